"""Indexes for the challenge list's keyset orders, alone and under a status filter.

Revision ID: 7c1a9e5d0b05
Revises: 7c1a9e5d0b04
Create Date: 2026-12-02 01:50:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "7c1a9e5d0b05"
down_revision: str | None = "7c1a9e5d0b04"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("ix_challenges_newest", ("challenge_id", "id")),
    ("ix_challenges_state_newest", ("state", "challenge_id", "id")),
    ("ix_challenges_state_deadline", ("state", "submission_deadline", "id")),
)


def upgrade() -> None:
    for name, columns in INDEXES:
        op.create_index(name, "challenges", list(columns))


def downgrade() -> None:
    for name, _ in reversed(INDEXES):
        op.drop_index(name, table_name="challenges")
