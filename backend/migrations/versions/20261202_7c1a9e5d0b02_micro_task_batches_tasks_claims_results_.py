"""Micro-task batches, tasks, claims, results, reviews, vouchers and on-chain records.

Revision ID: 7c1a9e5d0b02
Revises: 7c1a9e5d0b00
Create Date: 2026-12-02 00:29:27.776926
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7c1a9e5d0b02"
down_revision: str | None = "7c1a9e5d0b00"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "microtask_batches",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("contract_address", sa.String(length=42), nullable=False),
        sa.Column("batch_id", sa.BigInteger(), nullable=False),
        sa.Column("requester", sa.String(length=42), nullable=False),
        sa.Column("token", sa.String(length=42), nullable=False),
        sa.Column("reward", sa.String(length=78), nullable=False),
        sa.Column("task_count", sa.BigInteger(), nullable=False),
        sa.Column("bonus_pool", sa.String(length=78), nullable=False),
        sa.Column("escrowed", sa.String(length=78), nullable=False),
        sa.Column("task_root", sa.String(length=66), nullable=False),
        sa.Column("assignment_duration", sa.BigInteger(), nullable=False),
        sa.Column("review_window", sa.BigInteger(), nullable=False),
        sa.Column("expiry", sa.BigInteger(), nullable=False),
        sa.Column("qualification_kind", sa.Integer(), nullable=False),
        sa.Column("qualification", sa.String(length=66), nullable=False),
        sa.Column("arbiter", sa.String(length=42), nullable=False),
        sa.Column("manifest_cid", sa.String(length=200), nullable=False),
        sa.Column("manifest_hash", sa.String(length=66), nullable=False),
        sa.Column("manifest_status", sa.String(length=16), nullable=False),
        sa.Column("manifest_error", sa.String(length=500), nullable=True),
        sa.Column("metadata_cid", sa.String(length=200), nullable=True),
        sa.Column("metadata_hash", sa.String(length=66), nullable=True),
        sa.Column("metadata_status", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=True),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("paid", sa.String(length=78), nullable=False),
        sa.Column("reclaimed", sa.String(length=78), nullable=False),
        sa.Column("funded_block", sa.BigInteger(), nullable=False),
        sa.Column("funded_tx", sa.String(length=66), nullable=False),
        sa.Column("last_event_block", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_microtask_batches")),
        sa.UniqueConstraint(
            "chain_id",
            "contract_address",
            "batch_id",
            name=op.f("uq_microtask_batches_chain_id_contract_address_batch_id"),
        ),
    )
    with op.batch_alter_table("microtask_batches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_microtask_batches_requester"), ["requester"], unique=False)
        batch_op.create_index("ix_microtask_batches_state_reward", ["state", "reward"], unique=False)
        batch_op.create_index(batch_op.f("ix_microtask_batches_token"), ["token"], unique=False)

    op.create_table(
        "microtask_claims",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("batch_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("task_index", sa.BigInteger(), nullable=False),
        sa.Column("worker", sa.String(length=42), nullable=False),
        sa.Column("claimed_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("deadline", sa.BigInteger(), nullable=False),
        sa.Column("signature", sa.String(length=132), nullable=False),
        sa.Column("digest", sa.String(length=66), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_pk"],
            ["microtask_batches.id"],
            name=op.f("fk_microtask_claims_batch_pk_microtask_batches"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_microtask_claims")),
        sa.UniqueConstraint("digest", name=op.f("uq_microtask_claims_digest")),
    )
    with op.batch_alter_table("microtask_claims", schema=None) as batch_op:
        batch_op.create_index("ix_microtask_claims_batch_task", ["batch_pk", "task_index"], unique=False)
        batch_op.create_index(batch_op.f("ix_microtask_claims_worker"), ["worker"], unique=False)

    op.create_table(
        "microtask_onchain_results",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("batch_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("task_index", sa.BigInteger(), nullable=False),
        sa.Column("worker", sa.String(length=42), nullable=False),
        sa.Column("task_hash", sa.String(length=66), nullable=False),
        sa.Column("result_hash", sa.String(length=66), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("deadline", sa.BigInteger(), nullable=False),
        sa.Column("reason_hash", sa.String(length=66), nullable=True),
        sa.Column("requester_bond", sa.String(length=78), nullable=False),
        sa.Column("worker_bond", sa.String(length=78), nullable=False),
        sa.Column("to_worker", sa.String(length=78), nullable=False),
        sa.Column("to_requester", sa.String(length=78), nullable=False),
        sa.Column("arbiter_fee", sa.String(length=78), nullable=False),
        sa.Column("automatic", sa.Boolean(), nullable=False),
        sa.Column("worker_won", sa.Boolean(), nullable=True),
        sa.Column("submitted_block", sa.BigInteger(), nullable=False),
        sa.Column("last_event_block", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_pk"],
            ["microtask_batches.id"],
            name=op.f("fk_microtask_onchain_results_batch_pk_microtask_batches"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_microtask_onchain_results")),
        sa.UniqueConstraint(
            "batch_pk", "task_index", "worker", name=op.f("uq_microtask_onchain_results_batch_pk_task_index_worker")
        ),
    )
    with op.batch_alter_table("microtask_onchain_results", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_microtask_onchain_results_worker"), ["worker"], unique=False)

    op.create_table(
        "microtask_redemptions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("batch_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("worker", sa.String(length=42), nullable=False),
        sa.Column("cumulative_amount", sa.String(length=78), nullable=False),
        sa.Column("paid", sa.String(length=78), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_pk"],
            ["microtask_batches.id"],
            name=op.f("fk_microtask_redemptions_batch_pk_microtask_batches"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_microtask_redemptions")),
        sa.UniqueConstraint("tx_hash", "log_index", name=op.f("uq_microtask_redemptions_tx_hash_log_index")),
    )
    with op.batch_alter_table("microtask_redemptions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_microtask_redemptions_batch_pk"), ["batch_pk"], unique=False)
        batch_op.create_index(batch_op.f("ix_microtask_redemptions_worker"), ["worker"], unique=False)

    op.create_table(
        "microtask_settlement_roots",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("batch_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("root", sa.String(length=66), nullable=False),
        sa.Column("settlement_cid", sa.String(length=200), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_pk"],
            ["microtask_batches.id"],
            name=op.f("fk_microtask_settlement_roots_batch_pk_microtask_batches"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_microtask_settlement_roots")),
        sa.UniqueConstraint("tx_hash", "log_index", name=op.f("uq_microtask_settlement_roots_tx_hash_log_index")),
    )
    with op.batch_alter_table("microtask_settlement_roots", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_microtask_settlement_roots_batch_pk"), ["batch_pk"], unique=False)

    op.create_table(
        "microtask_tasks",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("batch_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("task_index", sa.BigInteger(), nullable=False),
        sa.Column("task_hash", sa.String(length=66), nullable=False),
        sa.Column("input", sa.JSON(), nullable=False),
        sa.Column("proof", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("claimed_by", sa.String(length=42), nullable=True),
        sa.Column("claim_expires_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_pk"],
            ["microtask_batches.id"],
            name=op.f("fk_microtask_tasks_batch_pk_microtask_batches"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_microtask_tasks")),
        sa.UniqueConstraint("batch_pk", "task_index", name=op.f("uq_microtask_tasks_batch_pk_task_index")),
    )
    op.create_table(
        "microtask_vouchers",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("batch_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("worker", sa.String(length=42), nullable=False),
        sa.Column("cumulative_amount", sa.String(length=78), nullable=False),
        sa.Column("signature", sa.String(length=132), nullable=False),
        sa.Column("issued_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_pk"],
            ["microtask_batches.id"],
            name=op.f("fk_microtask_vouchers_batch_pk_microtask_batches"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_microtask_vouchers")),
        sa.UniqueConstraint(
            "batch_pk",
            "worker",
            "cumulative_amount",
            name=op.f("uq_microtask_vouchers_batch_pk_worker_cumulative_amount"),
        ),
    )
    with op.batch_alter_table("microtask_vouchers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_microtask_vouchers_worker"), ["worker"], unique=False)

    op.create_table(
        "microtask_results",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("batch_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("claim_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("task_index", sa.BigInteger(), nullable=False),
        sa.Column("worker", sa.String(length=42), nullable=False),
        sa.Column("result_hash", sa.String(length=66), nullable=False),
        sa.Column("result_cid", sa.String(length=200), nullable=False),
        sa.Column("submitted_at", sa.BigInteger(), nullable=False),
        sa.Column("deadline", sa.BigInteger(), nullable=False),
        sa.Column("signature", sa.String(length=132), nullable=False),
        sa.Column("digest", sa.String(length=66), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_pk"],
            ["microtask_batches.id"],
            name=op.f("fk_microtask_results_batch_pk_microtask_batches"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["claim_id"],
            ["microtask_claims.id"],
            name=op.f("fk_microtask_results_claim_id_microtask_claims"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_microtask_results")),
        sa.UniqueConstraint("claim_id", name=op.f("uq_microtask_results_claim_id")),
        sa.UniqueConstraint("digest", name=op.f("uq_microtask_results_digest")),
    )
    with op.batch_alter_table("microtask_results", schema=None) as batch_op:
        batch_op.create_index("ix_microtask_results_batch_status", ["batch_pk", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_microtask_results_worker"), ["worker"], unique=False)

    op.create_table(
        "microtask_reviews",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("result_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("batch_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("approved", sa.Boolean(), nullable=False),
        sa.Column("reason_hash", sa.String(length=66), nullable=False),
        sa.Column("bonus", sa.String(length=78), nullable=False),
        sa.Column("reviewed_at", sa.BigInteger(), nullable=False),
        sa.Column("deadline", sa.BigInteger(), nullable=False),
        sa.Column("signature", sa.String(length=132), nullable=False),
        sa.Column("digest", sa.String(length=66), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_pk"],
            ["microtask_batches.id"],
            name=op.f("fk_microtask_reviews_batch_pk_microtask_batches"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["result_id"],
            ["microtask_results.id"],
            name=op.f("fk_microtask_reviews_result_id_microtask_results"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_microtask_reviews")),
        sa.UniqueConstraint("digest", name=op.f("uq_microtask_reviews_digest")),
        sa.UniqueConstraint("result_id", name=op.f("uq_microtask_reviews_result_id")),
    )


def downgrade() -> None:
    op.drop_table("microtask_reviews")
    with op.batch_alter_table("microtask_results", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_microtask_results_worker"))
        batch_op.drop_index("ix_microtask_results_batch_status")

    op.drop_table("microtask_results")
    with op.batch_alter_table("microtask_vouchers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_microtask_vouchers_worker"))

    op.drop_table("microtask_vouchers")
    op.drop_table("microtask_tasks")
    with op.batch_alter_table("microtask_settlement_roots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_microtask_settlement_roots_batch_pk"))

    op.drop_table("microtask_settlement_roots")
    with op.batch_alter_table("microtask_redemptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_microtask_redemptions_worker"))
        batch_op.drop_index(batch_op.f("ix_microtask_redemptions_batch_pk"))

    op.drop_table("microtask_redemptions")
    with op.batch_alter_table("microtask_onchain_results", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_microtask_onchain_results_worker"))

    op.drop_table("microtask_onchain_results")
    with op.batch_alter_table("microtask_claims", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_microtask_claims_worker"))
        batch_op.drop_index("ix_microtask_claims_batch_task")

    op.drop_table("microtask_claims")
    with op.batch_alter_table("microtask_batches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_microtask_batches_token"))
        batch_op.drop_index("ix_microtask_batches_state_reward")
        batch_op.drop_index(batch_op.f("ix_microtask_batches_requester"))

    op.drop_table("microtask_batches")
