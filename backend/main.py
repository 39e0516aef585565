"""The FastAPI application: `uvicorn backend.main:app`."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from anyio import to_thread
from fastapi import FastAPI

from backend.api.allow import AllowHeaderMiddleware
from backend.api.errors import install_error_handlers
from backend.api.routes import (
    auth,
    challenges,
    health,
    manifests,
    microtasks,
    notifications,
    profiles,
    rooms,
    uploads,
    web,
)
from backend.core.config import get_settings
from backend.core.process import die_with_uvicorn_master
from backend.db import make_engine
from backend.services.database import migrate
from backend.services.profiles import ProfileCache


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    die_with_uvicorn_master()
    settings = get_settings()
    # Blocking routes run on AnyIO's worker threads; each keeps its own pooled connection.
    to_thread.current_default_thread_limiter().total_tokens = settings.api_threads
    app.state.engine = make_engine(settings.database_url, pool_size=settings.api_threads)
    migrate(app.state.engine)
    # Set at shutdown: long-lived responses (the notification stream) end on it.
    app.state.stopping = asyncio.Event()
    yield
    app.state.stopping.set()
    app.state.engine.dispose()


def create_app() -> FastAPI:
    app = FastAPI(
        title="Crowdbounty API",
        summary="Challenges and micro-tasks on Ethereum: indexed chain state joined with IPFS metadata.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.profile_cache = ProfileCache(get_settings().profile_cache_ttl_s)
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(challenges.router)
    app.include_router(auth.router)
    app.include_router(notifications.router)
    app.include_router(rooms.router)
    app.include_router(microtasks.router)
    app.include_router(profiles.router)
    app.include_router(uploads.router)
    app.include_router(manifests.router)
    app.include_router(web.router)
    web.mount_static(app, get_settings())
    app.add_middleware(AllowHeaderMiddleware, routes=app.router.routes)
    return app


app = create_app()
