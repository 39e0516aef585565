"""Local copies of IPFS documents (metadata, manifests), kept once verified.

Revision ID: 7c1a9e5d0b00
Revises: 531879ec12da
Create Date: 2026-12-02 00:28:19.787170
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7c1a9e5d0b00"
down_revision: str | None = "531879ec12da"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ipfs_documents",
        sa.Column("cid", sa.String(length=200), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("keccak", sa.String(length=66), nullable=False),
        sa.Column("kept_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("cid", name=op.f("pk_ipfs_documents")),
    )


def downgrade() -> None:
    op.drop_table("ipfs_documents")
