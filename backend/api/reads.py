"""Read-only database calls from async routes, placed by the database."""

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

T = TypeVar("T")


async def read(engine: Engine, query: Callable[[Session], T]) -> T:
    """`query(session)` in a new session: inline on SQLite, on a worker thread on PostgreSQL.

    SQLite answers the API's reads in this process in about a millisecond, less than a hop to
    a worker thread and back costs; under load the hops (and the GIL hand-offs between the
    threads) queued requests behind one another. PostgreSQL waits on its socket, so there the
    read stays off the event loop.
    """

    def in_session() -> T:
        with Session(engine) as session:
            return query(session)

    if engine.dialect.name == "sqlite":
        return in_session()
    return await run_in_threadpool(in_session)
