"""The database engine: SQLite (WAL) by default with zero set-up, PostgreSQL by URL."""

import sqlite3
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Row, Select, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url

SQLITE_BUSY_TIMEOUT_S = 30.0
DEFAULT_POOL_SIZE, MAX_OVERFLOW = 5, 10  # SQLAlchemy's own defaults

AnyRow = Row[*tuple[Any, ...]]
"""A result row of any columns, read by attribute or unpacked."""
AnySelect = Select[*tuple[Any, ...]]
"""A SELECT of any columns."""


def _enable_wal(cursor: sqlite3.Cursor) -> None:
    """Switch the file to WAL once (the mode is stored in the file).

    Changing the journal mode needs an exclusive lock and SQLite does not wait for it with
    the busy timeout, so processes opening a new database together (the backend and the
    indexer of `make up`) retry here instead of failing with "database is locked".
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_S
    while cursor.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def make_engine(url: str, pool_size: int = DEFAULT_POOL_SIZE) -> Engine:
    """An engine for `url` that keeps up to `pool_size` connections open (more are opened
    when needed, and closed after use); a SQLite file gets its folder created and WAL journaling."""
    parsed = make_url(url)
    pool = {"pool_size": pool_size, "max_overflow": MAX_OVERFLOW}
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, **pool)
    connect_args = {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_S}
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args=connect_args, **pool)
    else:  # an in-memory database lives in its connection: SQLAlchemy's per-thread pool
        engine = create_engine(url, connect_args=connect_args)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        # WAL lets the API read while the indexer writes; NORMAL is durable in WAL mode.
        _enable_wal(cursor)
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return engine


def upsert_insert(engine: Engine) -> Any:
    """The dialect's own `insert` (PostgreSQL's or SQLite's), whose statements take
    `on_conflict_do_nothing` / `on_conflict_do_update`: the generic one cannot."""
    return postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
