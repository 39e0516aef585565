"""Schema migrations: the app and the indexer call `migrate(engine)` at start-up."""

import logging
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

    Safe to call from several processes at once: PostgreSQL serializes them with an advisory
    lock; on SQLite a process that lost the race retries once and finds the schema done.
    """
    if current_revision(engine) == head_revision():
        return
    for attempt in (1, 2):
        try:
            _upgrade(engine)
            return
        except DBAPIError as error:
            if attempt == 2 or engine.dialect.name != "sqlite":
                raise MigrationError(f"migrating {engine.url!r} failed: {error}") from error
            log.warning("migration raced with another process, retrying: %s", error)


def _upgrade(engine: Engine) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    log.info("database %r is at schema revision %s", engine.url, head_revision())
