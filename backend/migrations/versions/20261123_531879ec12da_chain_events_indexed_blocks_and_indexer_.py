"""Chain events, indexed blocks and indexer cursors: the generic tables of the indexer.

Revision ID: 531879ec12da
Revises:
Create Date: 2026-11-23 11:07:35.695389
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "531879ec12da"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "chain_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("stream", sa.String(length=64), nullable=False),
        sa.Column("contract_name", sa.String(length=128), nullable=False),
        sa.Column("contract_address", sa.String(length=42), nullable=False),
        sa.Column("event_name", sa.String(length=128), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("tx_index", sa.Integer(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("args", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chain_events")),
        sa.UniqueConstraint(
            "chain_id", "tx_hash", "log_index", name=op.f("uq_chain_events_chain_id_tx_hash_log_index")
        ),
    )
    with op.batch_alter_table("chain_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_chain_events_contract_event", ["chain_id", "contract_name", "event_name"], unique=False
        )
        batch_op.create_index("ix_chain_events_stream_block", ["chain_id", "stream", "block_number"], unique=False)

    op.create_table(
        "indexed_blocks",
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("stream", sa.String(length=64), nullable=False),
        sa.Column("number", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=66), nullable=False),
        sa.Column("parent_hash", sa.String(length=66), nullable=False),
        sa.PrimaryKeyConstraint("chain_id", "stream", "number", name=op.f("pk_indexed_blocks")),
    )
    op.create_table(
        "indexer_cursors",
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("stream", sa.String(length=64), nullable=False),
        sa.Column("last_block", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("chain_id", "stream", name=op.f("pk_indexer_cursors")),
    )


def downgrade() -> None:
    op.drop_table("indexer_cursors")
    op.drop_table("indexed_blocks")
    with op.batch_alter_table("chain_events", schema=None) as batch_op:
        batch_op.drop_index("ix_chain_events_stream_block")
        batch_op.drop_index("ix_chain_events_contract_event")

    op.drop_table("chain_events")
