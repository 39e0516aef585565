"""Dependencies shared by the routes."""

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine

from backend.core.config import Settings, get_settings


async def get_engine(request: Request) -> Engine:
    """The app's engine; async because it never blocks, so FastAPI calls it without a thread hop."""
    engine: Engine = request.app.state.engine
    return engine


SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[Engine, Depends(get_engine)]
