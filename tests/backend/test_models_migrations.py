from concurrent.futures import ThreadPoolExecutor

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, insert, inspect
from sqlalchemy.exc import IntegrityError

from backend.db import make_engine
from backend.models import Base, ChainEvent
from backend.models.challenges import include_in_autogenerate
from backend.services.database import MigrationError, current_revision, head_revision, migrate


def test_migrate_creates_the_tables_and_records_the_head_revision(database_url: str) -> None:
    engine = make_engine(database_url)
    assert current_revision(engine) is None
    migrate(engine)
    assert current_revision(engine) == head_revision()
    assert {"chain_events", "indexed_blocks", "indexer_cursors"} <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_migrate_again_is_a_no_op_and_keeps_the_rows(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(insert(ChainEvent), [_event_row()])
    migrate(engine)
    migrate(engine)
    assert current_revision(engine) == head_revision()
    with engine.connect() as connection:
        assert connection.execute(ChainEvent.__table__.select()).all()[0].args == {"amount": "1"}


def test_migrations_match_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": include_in_autogenerate})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_an_event_is_stored_once_per_chain_transaction_and_log_index(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(insert(ChainEvent), [_event_row()])
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(insert(ChainEvent), [_event_row()])
    with engine.begin() as connection:
        connection.execute(insert(ChainEvent), [_event_row(chain_id=1)])


def _event_row(chain_id: int = 1337) -> dict[str, object]:
    return {
        "chain_id": chain_id,
        "stream": "main",
        "contract_name": "Probe",
        "contract_address": "0x" + "1" * 40,
        "event_name": "Pinged",
        "block_number": 7,
        "block_hash": "0x" + "a" * 64,
        "tx_hash": "0x" + "b" * 64,
        "tx_index": 0,
        "log_index": 3,
        "args": {"amount": "1"},
    }


def test_concurrent_migrations_leave_one_schema(database_url: str) -> None:
    engines = [make_engine(database_url) for _ in range(4)]
    with ThreadPoolExecutor(len(engines)) as pool:
        list(pool.map(migrate, engines))
    assert {current_revision(engine) for engine in engines} == {head_revision()}
    for engine in engines:
        engine.dispose()


def test_a_failed_migration_leaves_no_half_made_schema(database_url: str) -> None:
    engine = make_engine(database_url)
    # A table of a later revision already there makes the upgrade fail part-way through.
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE auth_nonces (squatter INTEGER)")
    with pytest.raises(MigrationError, match="auth_nonces"):
        migrate(engine)
    assert set(inspect(engine).get_table_names()) == {"auth_nonces"}  # the earlier revisions' tables too rolled back
    assert current_revision(engine) is None

    with engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE auth_nonces")
    migrate(engine)
    assert current_revision(engine) == head_revision()
    engine.dispose()
