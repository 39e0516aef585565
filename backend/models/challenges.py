"""Challenges as the chain has them (ChallengeEscrow + ChallengeTeams), joined with their metadata.

Every row is built by the `challenges` projection from chain events and rebuilt by it after
a reorg; only the `metadata_*` and listing fields (title, tags, ...) are filled later, by the
metadata job, and only from metadata whose hash matched the chain's (`metadata_status`).
"""

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import ADDRESS_LENGTH, HASH_LENGTH, Base, BigId, Uint256

# Full-text search objects the migration creates per dialect (FTS5 table and its shadow tables
# on SQLite, a generated tsvector column and its GIN index on PostgreSQL); no model describes them.
_SEARCH_OBJECTS = {("table", "challenges_fts"), ("column", "search_vector"), ("index", "ix_challenges_search_vector")}


def include_in_autogenerate(_object: Any, name: str | None, type_: str, reflected: bool, _compare_to: Any) -> bool:
    """Alembic's `include_object`: hides the search objects from model/database comparisons."""
    if not reflected or name is None:
        return True
    return (type_, name) not in _SEARCH_OBJECTS and not (type_ == "table" and name.startswith("challenges_fts_"))


class Challenge(Base):
    """One challenge of ChallengeEscrow: its terms, money, state, counters and verified metadata."""

    __tablename__ = "challenges"
    __table_args__ = (
        UniqueConstraint("chain_id", "challenge_id"),
        Index("ix_challenges_submission_deadline", "submission_deadline"),
        Index("ix_challenges_funded", "funded"),
        Index("ix_challenges_seeker", "seeker"),
        # Covers the profile's per-seeker totals: no row lookups for a seeker of thousands of challenges.
        Index(
            "ix_challenges_seeker_totals",
            "seeker",
            "token",
            "state",
            "funded",
            "awarded",
            "share_pool",
            "settled_by",
            "closed_at",
            "evaluation_deadline",
        ),
        Index("ix_challenges_metadata_status", "metadata_status", "metadata_retry_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    chain_id: Mapped[int] = mapped_column(BigInteger)
    challenge_id: Mapped[int] = mapped_column(BigInteger)
    escrow_address: Mapped[str] = mapped_column(String(ADDRESS_LENGTH))
    seeker: Mapped[str] = mapped_column(String(ADDRESS_LENGTH))
    kind: Mapped[str] = mapped_column(String(16))  # ideation | conditional | rfp
    token: Mapped[str] = mapped_column(String(ADDRESS_LENGTH))  # the zero address for ETH
    slot_amounts: Mapped[list[str]] = mapped_column(JSON)  # at creation, decimal strings; slot 0 grows
    funded: Mapped[int] = mapped_column(Uint256)
    awarded: Mapped[int] = mapped_column(Uint256)
    state: Mapped[str] = mapped_column(String(16))  # open | cancelled | settled
    submission_deadline: Mapped[int] = mapped_column(BigInteger)
    evaluation_deadline: Mapped[int] = mapped_column(BigInteger)
    agreement_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))
    encryption_public_key: Mapped[str] = mapped_column(String(HASH_LENGTH))
    arbiter: Mapped[str | None] = mapped_column(String(ADDRESS_LENGTH))
    licence_days: Mapped[int] = mapped_column(Integer)
    prior_art_committed: Mapped[bool] = mapped_column(Boolean)
    prior_art_commitment: Mapped[str | None] = mapped_column(String(HASH_LENGTH))
    created_block: Mapped[int] = mapped_column(BigInteger)
    created_tx: Mapped[str] = mapped_column(String(HASH_LENGTH))
    created_at: Mapped[int] = mapped_column(BigInteger)  # block time, Unix seconds
    # The highest block of an event applied to this challenge or its teams: a reorg below it
    # makes the projection rebuild the challenge from the events that remain.
    updated_block: Mapped[int] = mapped_column(BigInteger)
    acceptance_count: Mapped[int] = mapped_column(Integer, default=0)
    submission_count: Mapped[int] = mapped_column(Integer, default=0)
    # Outcome (ChallengeCancelled / ChallengeSettled).
    closed_at: Mapped[int | None] = mapped_column(BigInteger)
    settled_by: Mapped[str | None] = mapped_column(String(ADDRESS_LENGTH))
    share_pool: Mapped[int | None] = mapped_column(Uint256)
    share_count: Mapped[int | None] = mapped_column(Integer)
    refund_pool: Mapped[int | None] = mapped_column(Uint256)
    licence_expiry: Mapped[int | None] = mapped_column(BigInteger)
    # Metadata: the chain's commitment, and what the metadata job found at the CID.
    metadata_cid: Mapped[str] = mapped_column(String(256))  # CID text, or 0x-hex when not a CID
    metadata_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))
    metadata_status: Mapped[str] = mapped_column(String(16), default="pending")
    metadata_attempts: Mapped[int] = mapped_column(Integer, default=0)
    metadata_retry_at: Mapped[int] = mapped_column(BigInteger, default=0)  # Unix seconds
    # Listing fields, only from VERIFIED metadata (null otherwise).
    title: Mapped[str | None] = mapped_column(String(200))
    challenge_type: Mapped[str | None] = mapped_column(String(32))
    tags: Mapped[list[str] | None] = mapped_column(JSON)
    description: Mapped[str | None] = mapped_column(Text)
    metadata_document: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class _ChallengeChild:
    """Rows that belong to one challenge and vanish with it (the projection rebuilds them)."""

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)


def _challenge_fk() -> Mapped[int]:
    return mapped_column(BigId, ForeignKey("challenges.id", ondelete="CASCADE"), index=True)


class ChallengeContribution(Base, _ChallengeChild):
    """What one contributor put into a challenge (the seeker's includes the creation funding)."""

    __tablename__ = "challenge_contributions"
    __table_args__ = (UniqueConstraint("challenge_pk", "contributor"),)

    challenge_pk: Mapped[int] = _challenge_fk()
    contributor: Mapped[str] = mapped_column(String(ADDRESS_LENGTH))
    amount: Mapped[int] = mapped_column(Uint256)
    refunded: Mapped[bool] = mapped_column(Boolean, default=False)
    refund_amount: Mapped[int | None] = mapped_column(Uint256)


class ChallengeAcceptance(Base, _ChallengeChild):
    """A solver accepted the challenge's agreement."""

    __tablename__ = "challenge_acceptances"
    __table_args__ = (UniqueConstraint("challenge_pk", "solver"), Index("ix_challenge_acceptances_solver", "solver"))

    challenge_pk: Mapped[int] = _challenge_fk()
    solver: Mapped[str] = mapped_column(String(ADDRESS_LENGTH))
    agreement_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))
    block_number: Mapped[int] = mapped_column(BigInteger)
    tx_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))
    accepted_at: Mapped[int] = mapped_column(BigInteger)


class ChallengeSubmission(Base, _ChallengeChild):
    """An entrant's committed (encrypted) submission: only its CID and where it stands."""

    __tablename__ = "challenge_submissions"
    __table_args__ = (UniqueConstraint("challenge_pk", "entrant"), Index("ix_challenge_submissions_entrant", "entrant"))

    challenge_pk: Mapped[int] = _challenge_fk()
    entrant: Mapped[str] = mapped_column(String(ADDRESS_LENGTH))
    team_id: Mapped[int | None] = mapped_column(BigInteger)
    cid: Mapped[str] = mapped_column(String(256))  # CID text, or 0x-hex when not a CID
    cid_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))
    submitted_at: Mapped[int] = mapped_column(BigInteger)
    arrival: Mapped[int] = mapped_column(Integer)  # 1 for the first submission of the challenge
    status: Mapped[str] = mapped_column(String(16))  # submitted | selected | refused | disputed | overturned
    awarded: Mapped[int] = mapped_column(Uint256)
    share_amount: Mapped[int | None] = mapped_column(Uint256)
    block_number: Mapped[int] = mapped_column(BigInteger)
    tx_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))


class ChallengeAward(Base, _ChallengeChild):
    """An AwardGranted: `amount` from `slot` to `entrant`, by the seeker or the arbiter."""

    __tablename__ = "challenge_awards"
    __table_args__ = (Index("ix_challenge_awards_entrant", "entrant"),)

    challenge_pk: Mapped[int] = _challenge_fk()
    entrant: Mapped[str] = mapped_column(String(ADDRESS_LENGTH))
    slot: Mapped[int] = mapped_column(Integer)
    amount: Mapped[int] = mapped_column(Uint256)
    slot_remaining: Mapped[int] = mapped_column(Uint256)
    grantor: Mapped[str] = mapped_column(String(ADDRESS_LENGTH))
    block_number: Mapped[int] = mapped_column(BigInteger)
    tx_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))
    log_index: Mapped[int] = mapped_column(Integer)
    awarded_at: Mapped[int] = mapped_column(BigInteger)


class ChallengeRefusal(Base, _ChallengeChild):
    """The seeker's refusal of a submission, its dispute and how it was resolved."""

    __tablename__ = "challenge_refusals"
    __table_args__ = (UniqueConstraint("challenge_pk", "entrant"), Index("ix_challenge_refusals_entrant", "entrant"))

    challenge_pk: Mapped[int] = _challenge_fk()
    entrant: Mapped[str] = mapped_column(String(ADDRESS_LENGTH))
    reason: Mapped[str] = mapped_column(String(16))  # criteria_unmet | prior_knowledge
    fee: Mapped[int] = mapped_column(Uint256)
    dispute_deadline: Mapped[int] = mapped_column(BigInteger)  # 0: final at once (no arbiter)
    refused_at: Mapped[int] = mapped_column(BigInteger)
    prior_art_salt: Mapped[str | None] = mapped_column(String(HASH_LENGTH))
    prior_art_cid: Mapped[str | None] = mapped_column(String(256))
    disputed_at: Mapped[int | None] = mapped_column(BigInteger)
    ruling_deadline: Mapped[int | None] = mapped_column(BigInteger)
    resolved_at: Mapped[int | None] = mapped_column(BigInteger)
    overturned: Mapped[bool | None] = mapped_column(Boolean)
    by_arbiter: Mapped[bool | None] = mapped_column(Boolean)
    arbiter_fee: Mapped[int | None] = mapped_column(Uint256)


class ChallengeTeam(Base, _ChallengeChild):
    """A team of ChallengeTeams: members (leader first), confirmations and the payout split."""

    __tablename__ = "challenge_teams"
    __table_args__ = (UniqueConstraint("chain_id", "team_id"),)

    challenge_pk: Mapped[int] = _challenge_fk()
    chain_id: Mapped[int] = mapped_column(BigInteger)
    team_id: Mapped[int] = mapped_column(BigInteger)
    leader: Mapped[str] = mapped_column(String(ADDRESS_LENGTH))
    members: Mapped[list[str]] = mapped_column(JSON)  # leader first
    confirmed_mask: Mapped[int] = mapped_column(Integer)  # bit i: members[i] confirmed
    split_rule: Mapped[str] = mapped_column(String(16))  # equal | leader_half
    leader_bps: Mapped[list[int]] = mapped_column(JSON)  # LeaderHalf allocation, per member
    proposal_nonce: Mapped[int] = mapped_column(Integer)
    proposed_rule: Mapped[str | None] = mapped_column(String(16))
    proposed_bps: Mapped[list[int] | None] = mapped_column(JSON)
    approval_mask: Mapped[int] = mapped_column(Integer)
    disbanded: Mapped[bool] = mapped_column(Boolean)
    created_block: Mapped[int] = mapped_column(BigInteger)
    created_tx: Mapped[str] = mapped_column(String(HASH_LENGTH))
    created_at: Mapped[int] = mapped_column(BigInteger)


class ChallengeTeamPayout(Base, _ChallengeChild):
    """A TeamPayoutCredited: a member's part of a payout to its team."""

    __tablename__ = "challenge_team_payouts"
    __table_args__ = (Index("ix_challenge_team_payouts_member", "member"),)

    challenge_pk: Mapped[int] = _challenge_fk()
    team_id: Mapped[int] = mapped_column(BigInteger)
    member: Mapped[str] = mapped_column(String(ADDRESS_LENGTH))
    amount: Mapped[int] = mapped_column(Uint256)
    block_number: Mapped[int] = mapped_column(BigInteger)
    log_index: Mapped[int] = mapped_column(Integer)


class ChallengeEventLink(Base):
    """Which chain events concern a challenge (its timeline, and what a rebuild replays)."""

    __tablename__ = "challenge_event_links"

    challenge_pk: Mapped[int] = mapped_column(BigId, ForeignKey("challenges.id", ondelete="CASCADE"), primary_key=True)
    chain_event_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("chain_events.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    block_number: Mapped[int] = mapped_column(BigInteger)
    log_index: Mapped[int] = mapped_column(Integer)
