"""Schema migrations: the app and the indexer call `migrate(engine)` at start-up."""

import fcntl
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from backend.errors import CrowdbountyError

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parents[1] / "migrations"
# Any fixed number: serializes concurrent `migrate()` calls on one PostgreSQL database.
_PG_MIGRATION_LOCK = 0x43_42_4D_49  # "CBMI"


class MigrationError(CrowdbountyError):
    """The database could not be brought to the current schema."""


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "backend/migrations/versions holds no revision"
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def migrate(engine: Engine) -> None:
    """Bring the database to the newest schema (`alembic upgrade head`); a no-op when it is there.

    Safe to call from several processes at once (the app and the indexer start together):
    PostgreSQL serializes them with an advisory lock, a SQLite file with a lock file beside it.
    """
    if current_revision(engine) == head_revision():
        return
    try:
        with _sqlite_file_lock(engine):
            _upgrade(engine)
    except DBAPIError as error:
        raise MigrationError(f"migrating {engine.url!r} failed: {error}") from error


@contextmanager
def _sqlite_file_lock(engine: Engine) -> Iterator[None]:
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    with Path(f"{database}.migrate-lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _upgrade(engine: Engine) -> None:
    config = alembic_config()
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        try:
            with connection.begin():
                if sqlite:
                    # pysqlite opens a transaction only before INSERT/UPDATE/DELETE, so each CREATE
                    # TABLE committed on its own and a process killed mid-migration left a half-made
                    # schema that no later start could migrate. With our own BEGIN the upgrade is one
                    # transaction, which sqlite3's commit() or rollback() ends.
                    connection.connection.driver_connection.isolation_level = None  # type: ignore[union-attr]
                    connection.exec_driver_sql("BEGIN IMMEDIATE")
                else:
                    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
        finally:
            if sqlite:
                connection.invalidate()  # its transaction mode was changed: not back into the pool
    log.info("database %r is at schema revision %s", engine.url, head_revision())
