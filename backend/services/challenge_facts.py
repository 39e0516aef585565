"""What the auth, notification and room services need to know about a challenge, read from
the raw `chain_events` rows of ChallengeEscrow and ChallengeTeams.

Kept in one module on purpose: when the challenge domain tables exist, these lookups are
repointed at them and nothing else changes. Every function reads the caller's session, so
inside the indexer's transaction it also sees the events of the range being stored.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.models import ChainEvent

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


def _events(
    session: Session, ref: ChallengeRef, event_name: str, contract: str = ESCROW_CONTRACT
) -> Sequence[ChainEvent]:
    query = select(ChainEvent).where(
        ChainEvent.chain_id == ref.chain_id,
        ChainEvent.contract_name == contract,
        ChainEvent.event_name == event_name,
        ChainEvent.args["challengeId"].as_string() == str(ref.challenge_id),
    )
    if contract == ESCROW_CONTRACT:
        query = query.where(ChainEvent.contract_address == ref.escrow)
    return session.scalars(query.order_by(ChainEvent.block_number, ChainEvent.log_index)).all()


def _created(session: Session, ref: ChallengeRef) -> ChainEvent | None:
    created = _events(session, ref, "ChallengeCreated")
    return created[0] if created else None


def challenge_seeker(session: Session, ref: ChallengeRef) -> str | None:
    """The seeker (creator) of the challenge; None while its creation is not indexed."""
    created = _created(session, ref)
    return str(created.args["seeker"]) if created else None


def acceptor_blocks(session: Session, ref: ChallengeRef) -> dict[str, int]:
    """Every solver that accepted the challenge's agreement on chain, with the block it did so in."""
    return {str(row.args["solver"]): row.block_number for row in _events(session, ref, "TermsAccepted")}


def acceptors(session: Session, ref: ChallengeRef) -> list[str]:
    """Every solver that accepted the challenge's agreement on chain, in acceptance order."""
    return list(acceptor_blocks(session, ref))


def has_accepted_terms(session: Session, ref: ChallengeRef, address: str) -> bool:
    return address in acceptor_blocks(session, ref)


def team_members(session: Session, ref: ChallengeRef, team_id: int) -> list[str]:
    """The leader and members of team `team_id` (formed in the escrow's ChallengeTeams)."""
    for row in _events(session, ref, "TeamCreated", TEAMS_CONTRACT):
        if row.args["teamId"] == str(team_id):
            members: list[Any] = row.args["members"]
            return [str(row.args["leader"]), *(str(member) for member in members)]
    return []


def submitted_addresses(session: Session, ref: ChallengeRef) -> set[str]:
    """Everyone whose entry is submitted: solo entrants and every member of a submitting team."""
    submitted: set[str] = set()
    for row in _events(session, ref, "SubmissionCommitted"):
        submitted.add(str(row.args["entrant"]))
        if row.args["teamId"] != "0":
            submitted.update(team_members(session, ref, int(row.args["teamId"])))
    return submitted


def entrant_team(session: Session, ref: ChallengeRef, entrant: str) -> int:
    """The team `entrant` submitted for (0: a solo entry or no submission)."""
    for row in _events(session, ref, "SubmissionCommitted"):
        if row.args["entrant"] == entrant:
            return int(row.args["teamId"])
    return 0


def is_closed(session: Session, ref: ChallengeRef) -> bool:
    """Cancelled or settled."""
    return bool(_events(session, ref, "ChallengeCancelled") or _events(session, ref, "ChallengeSettled"))


def deadlines(session: Session, ref: ChallengeRef) -> Deadlines | None:
    """The current deadlines: from the last DeadlinesExtended, else from the creation terms."""
    extended = _events(session, ref, "DeadlinesExtended")
    if extended:
        last = extended[-1]
        return Deadlines(int(last.args["submissionDeadline"]), int(last.args["evaluationDeadline"]), last.block_number)
    created = _created(session, ref)
    if created is None:
        return None
    terms: dict[str, Any] = created.args["terms"]
    return Deadlines(int(terms["submissionDeadline"]), int(terms["evaluationDeadline"]), created.block_number)


def open_challenges(session: Session, chain_id: int | None = None) -> list[ChallengeRef]:
    """Every indexed challenge that is neither cancelled nor settled."""
    query = select(ChainEvent.chain_id, ChainEvent.contract_address, ChainEvent.args).where(
        ChainEvent.contract_name == ESCROW_CONTRACT, ChainEvent.event_name == "ChallengeCreated"
    )
    if chain_id is not None:
        query = query.where(ChainEvent.chain_id == chain_id)
    refs = [ChallengeRef(row[0], row[1], int(row[2]["challengeId"])) for row in session.execute(query)]
    return [ref for ref in refs if not is_closed(session, ref)]
