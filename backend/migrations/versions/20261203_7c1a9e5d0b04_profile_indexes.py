"""Indexes for profiles: a challenge's solvers, entrants and team members by address, and a
batch's reviews, so every profile query starts from an index.

Revision ID: 7c1a9e5d0b04
Revises: 7c1a9e5d0b01
Create Date: 2026-12-03 00:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "7c1a9e5d0b04"
down_revision: str | None = "7c1a9e5d0b01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The seeker's totals, covered: a seeker of thousands of challenges costs no row lookups.
SEEKER_TOTALS = (
    "seeker",
    "token",
    "state",
    "funded",
    "awarded",
    "share_pool",
    "settled_by",
    "closed_at",
    "evaluation_deadline",
)
INDEXES = (
    ("challenges", "ix_challenges_seeker_totals", SEEKER_TOTALS),
    ("challenge_acceptances", "ix_challenge_acceptances_solver", ("solver",)),
    ("challenge_submissions", "ix_challenge_submissions_entrant", ("entrant",)),
    ("challenge_awards", "ix_challenge_awards_entrant", ("entrant",)),
    ("challenge_refusals", "ix_challenge_refusals_entrant", ("entrant",)),
    ("challenge_team_payouts", "ix_challenge_team_payouts_member", ("member",)),
    ("microtask_reviews", "ix_microtask_reviews_batch_pk", ("batch_pk",)),
)


def upgrade() -> None:
    for table, name, columns in INDEXES:
        op.create_index(name, table, list(columns), unique=False)


def downgrade() -> None:
    for table, name, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
