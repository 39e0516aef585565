"""Dependencies shared by the routes."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine

from backend.core.config import Settings, get_settings
from backend.services.storage.ipfs import IpfsClient


async def get_engine(request: Request) -> Engine:
    """The app's engine; async because it never blocks, so FastAPI calls it without a thread hop."""
    engine: Engine = request.app.state.engine
    return engine


SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[Engine, Depends(get_engine)]


def get_ipfs(settings: SettingsDep) -> Iterator[IpfsClient]:
    """An IPFS API client for one request, closed after it."""
    with IpfsClient.from_settings(settings) as client:
        yield client


IpfsDep = Annotated[IpfsClient, Depends(get_ipfs)]
