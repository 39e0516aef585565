"""Alembic's environment: migrates the connection handed over by `migrate()`, or else the
database of CROWDBOUNTY_DATABASE_URL (when run from the `alembic` command line)."""

from alembic import context
from sqlalchemy import Connection

from backend.core.config import get_settings
from backend.db import make_engine
from backend.models import Base
from backend.models.challenges import include_in_autogenerate


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
        compare_type=True,
        include_object=include_in_autogenerate,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if isinstance(connection, Connection):
        _run(connection)
        return
    engine = make_engine(get_settings().database_url)
    try:
        with engine.connect() as new_connection:
            _run(new_connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run them against a database")
run_migrations_online()
