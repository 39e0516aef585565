"""What the notification and room services need to know about a challenge, read from the
challenge domain tables (backend/models/challenges.py).

Every function reads the caller's session, so inside the indexer's transaction it sees the
rows the challenge projection (which runs before the notifications one) has just written.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from backend.models.chain import ChainEvent
from backend.models.challenges import (
    Challenge,
    ChallengeAcceptance,
    ChallengeEventLink,
    ChallengeSubmission,
    ChallengeTeam,
)

ESCROW_CONTRACT = "ChallengeEscrow"
TEAMS_CONTRACT = "ChallengeTeams"


@dataclass(frozen=True)
class ChallengeRef:
    """A challenge: its id in the ChallengeEscrow at `escrow` on chain `chain_id`."""

    chain_id: int
    escrow: str
    challenge_id: int


@dataclass(frozen=True)
class Deadlines:
    submission: int
    evaluation: int
    # The block of the event that set them (creation or the last extension).
    block_number: int


def _where_challenge(ref: ChallengeRef) -> ColumnElement[bool]:
    """The WHERE clause that picks the challenge `ref` names."""
    return and_(
        Challenge.chain_id == ref.chain_id,
        Challenge.challenge_id == ref.challenge_id,
        Challenge.escrow_address == ref.escrow,
    )


def _challenge(session: Session, ref: ChallengeRef) -> Challenge | None:
    return session.scalar(select(Challenge).where(_where_challenge(ref)))


def _ref(challenge: Challenge) -> ChallengeRef:
    return ChallengeRef(challenge.chain_id, challenge.escrow_address, challenge.challenge_id)


def challenge_seeker(session: Session, ref: ChallengeRef) -> str | None:
    """The seeker (creator) of the challenge; None while its creation is not indexed."""
    challenge = _challenge(session, ref)
    return challenge.seeker if challenge else None


def acceptor_blocks(session: Session, ref: ChallengeRef) -> dict[str, int]:
    """Every solver that accepted the challenge's agreement on chain, with the block it did so in."""
    rows = session.execute(
        select(ChallengeAcceptance.solver, ChallengeAcceptance.block_number)
        .join(Challenge, Challenge.id == ChallengeAcceptance.challenge_pk)
        .where(_where_challenge(ref))
        .order_by(ChallengeAcceptance.block_number, ChallengeAcceptance.id)
    )
    return dict(rows.all())


def acceptors(session: Session, ref: ChallengeRef) -> list[str]:
    """Every solver that accepted the challenge's agreement on chain, in acceptance order."""
    return list(acceptor_blocks(session, ref))


def has_accepted_terms(session: Session, ref: ChallengeRef, address: str) -> bool:
    accepted = session.scalar(
        select(ChallengeAcceptance.id)
        .join(Challenge, Challenge.id == ChallengeAcceptance.challenge_pk)
        .where(_where_challenge(ref), ChallengeAcceptance.solver == address)
    )
    return accepted is not None


def team_members(session: Session, ref: ChallengeRef, team_id: int) -> list[str]:
    """The leader and members of team `team_id` (formed in the escrow's ChallengeTeams)."""
    team = session.scalar(
        select(ChallengeTeam).where(ChallengeTeam.chain_id == ref.chain_id, ChallengeTeam.team_id == team_id)
    )
    return list(team.members) if team else []


def _submissions(session: Session, ref: ChallengeRef) -> Sequence[tuple[str, int | None]]:
    return session.execute(
        select(ChallengeSubmission.entrant, ChallengeSubmission.team_id)
        .join(Challenge, Challenge.id == ChallengeSubmission.challenge_pk)
        .where(_where_challenge(ref))
    ).all()


def submitted_addresses(session: Session, ref: ChallengeRef) -> set[str]:
    """Everyone whose entry is submitted: solo entrants and every member of a submitting team."""
    submitted: set[str] = set()
    for entrant, team_id in _submissions(session, ref):
        submitted.add(entrant)
        if team_id:
            submitted.update(team_members(session, ref, team_id))
    return submitted


def entrant_team(session: Session, ref: ChallengeRef, entrant: str) -> int:
    """The team `entrant` submitted for (0: a solo entry or no submission)."""
    for submitter, team_id in _submissions(session, ref):
        if submitter == entrant:
            return team_id or 0
    return 0


def deadlines(session: Session, ref: ChallengeRef) -> Deadlines | None:
    """The current deadlines (extensions included), with the block that set them."""
    challenge = _challenge(session, ref)
    if challenge is None:
        return None
    extended_in = session.scalar(
        select(func.max(ChallengeEventLink.block_number))
        .join(ChainEvent, ChainEvent.id == ChallengeEventLink.chain_event_id)
        .where(ChallengeEventLink.challenge_pk == challenge.id, ChainEvent.event_name == "DeadlinesExtended")
    )
    set_in = extended_in if extended_in is not None else challenge.created_block
    return Deadlines(challenge.submission_deadline, challenge.evaluation_deadline, set_in)


def open_challenges(
    session: Session, chain_id: int | None = None, deadline_between: tuple[int, int] | None = None
) -> list[ChallengeRef]:
    """Indexed challenges that are neither cancelled nor settled; with `deadline_between`
    (start, end], only those with a submission or evaluation deadline in that window."""
    query = select(Challenge).where(Challenge.state == "open")
    if chain_id is not None:
        query = query.where(Challenge.chain_id == chain_id)
    if deadline_between is not None:
        start, end = deadline_between
        query = query.where(
            or_(
                (Challenge.submission_deadline > start) & (Challenge.submission_deadline <= end),
                (Challenge.evaluation_deadline > start) & (Challenge.evaluation_deadline <= end),
            )
        )
    return [_ref(challenge) for challenge in session.scalars(query.order_by(Challenge.id))]
