"""Notifications per address: `notify` (idempotent), the indexer projection that derives them
from challenge events, the periodic "deadline near" job, and the reads the API serves.

Ordering guarantee for the SSE stream, which resumes "after id N": on PostgreSQL every
writer takes one transaction-level advisory lock before inserting, so ids become visible
in increasing order (a sequence alone would let id 11 commit before id 10). SQLite
serializes writers by itself. The rewind handler takes the same lock.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, delete, func, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from backend.db import upsert_insert
from backend.models import Notification
from backend.services import challenge_facts as facts
from backend.services.challenge_facts import ChallengeRef

if TYPE_CHECKING:  # the indexer imports this module (projections.py); not the other way round
    from backend.services.indexer import DecodedEvent, EventHandler

log = logging.getLogger(__name__)

# Any fixed number: serializes the writers of `notifications` on one PostgreSQL database.
_PG_NOTIFY_LOCK = 0x43_42_4E_54  # "CBNT"

SUBMISSION_RECEIVED = "submission_received"
AWARD_GRANTED = "award_granted"
CHALLENGE_CANCELLED = "challenge_cancelled"
CHALLENGE_SETTLED = "challenge_settled"
SUBMISSION_DEADLINE_NEAR = "submission_deadline_near"
EVALUATION_DEADLINE_NEAR = "evaluation_deadline_near"
VOUCHER_ISSUED = "voucher_issued"


def lock_notifications(session: Session) -> None:
    """Serialize notification writers until the session's transaction ends (PostgreSQL only)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_NOTIFY_LOCK})


def notify(
    session: Session,
    *,
    chain_id: int,
    address: str,
    kind: str,
    payload: dict[str, Any],
    dedupe_key: str,
    block_number: int | None = None,
) -> bool:
    """Record a notification for `address` unless one with `dedupe_key` exists; True if new.

    `block_number`: the block of the chain fact it stems from, so that a reorg removes it.
    """
    lock_notifications(session)
    insert = upsert_insert(session.get_bind().engine)
    created = session.execute(
        insert(Notification)
        .values(
            chain_id=chain_id,
            address=address,
            kind=kind,
            payload=payload,
            dedupe_key=dedupe_key,
            block_number=block_number,
            created_at=datetime.now(UTC),
        )
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(Notification.id)
    ).scalar_one_or_none()
    return created is not None


# ---------------------------------------------------------------- the indexer projection


def _ref(event: DecodedEvent) -> ChallengeRef:
    return ChallengeRef(event.chain_id, event.contract_address, int(str(event.args["challengeId"])))


def _notify_event(
    session: Session, event: DecodedEvent, kind: str, recipients: Iterable[str], payload: dict[str, Any]
) -> None:
    ref = _ref(event)
    body = {"escrow": ref.escrow, "challenge_id": str(ref.challenge_id), "tx_hash": event.tx_hash, **payload}
    for address in dict.fromkeys(recipients):  # each once, in order
        notify(
            session,
            chain_id=event.chain_id,
            address=address,
            kind=kind,
            payload=body,
            dedupe_key=f"{kind}:{event.chain_id}:{event.tx_hash}:{event.log_index}:{address}",
            block_number=event.block_number,
        )


def _on_submission(session: Session, event: DecodedEvent) -> None:
    seeker = facts.challenge_seeker(session, _ref(event))
    if seeker is not None:
        payload = {"entrant": event.args["entrant"], "team_id": event.args["teamId"]}
        _notify_event(session, event, SUBMISSION_RECEIVED, [seeker], payload)


def _on_award(session: Session, event: DecodedEvent) -> None:
    entrant = str(event.args["entrant"])
    team_id = facts.entrant_team(session, _ref(event), entrant)
    recipients = [entrant, *(facts.team_members(session, _ref(event), team_id) if team_id else [])]
    payload = {"entrant": entrant, "team_id": str(team_id), "slot": event.args["slot"], "amount": event.args["amount"]}
    _notify_event(session, event, AWARD_GRANTED, recipients, payload)


def _on_cancelled(session: Session, event: DecodedEvent) -> None:
    _notify_event(session, event, CHALLENGE_CANCELLED, facts.acceptors(session, _ref(event)), {})


def _on_settled(session: Session, event: DecodedEvent) -> None:
    payload = {"share_pool": event.args["sharePool"], "share_count": event.args["shareCount"]}
    _notify_event(session, event, CHALLENGE_SETTLED, facts.acceptors(session, _ref(event)), payload)


def on_rewind(session: Session, last_valid_block: int) -> None:
    # Notifications of orphaned facts go; nothing needs rebuilding: those of the remaining
    # events are untouched, and the deadline job recreates what is due again.
    lock_notifications(session)
    session.execute(delete(Notification).where(Notification.block_number > last_valid_block))


# The projection's parts; `projections.py` assembles them (see `PROJECTIONS` there).
HANDLERS: dict[str, EventHandler] = {
    "ChallengeEscrow.SubmissionCommitted": _on_submission,
    "ChallengeEscrow.AwardGranted": _on_award,
    "ChallengeEscrow.ChallengeCancelled": _on_cancelled,
    "ChallengeEscrow.ChallengeSettled": _on_settled,
}


# ---------------------------------------------------------------- deadlines


def notify_deadlines(session: Session, now: int, window_s: int, chain_id: int | None = None) -> int:
    """Notify everyone a deadline within `window_s` seconds after `now` (chain time) concerns:
    solvers who accepted and have not submitted (submission deadline), the seeker (evaluation
    deadline). Idempotent per deadline value, so an extended deadline is announced again.
    Returns how many notifications were new."""
    lock_notifications(session)
    created = 0
    for ref in facts.open_challenges(session, chain_id, deadline_between=(now, now + window_s)):
        due = facts.deadlines(session, ref)
        if due is None:
            continue
        payload = {"escrow": ref.escrow, "challenge_id": str(ref.challenge_id)}
        prefix = f"{ref.chain_id}:{ref.escrow}:{ref.challenge_id}"
        if now < due.submission <= now + window_s:
            submitted = facts.submitted_addresses(session, ref)
            for solver, accepted_block in facts.acceptor_blocks(session, ref).items():
                if solver not in submitted:
                    created += notify(
                        session,
                        chain_id=ref.chain_id,
                        address=solver,
                        kind=SUBMISSION_DEADLINE_NEAR,
                        payload={**payload, "deadline": due.submission},
                        dedupe_key=f"{SUBMISSION_DEADLINE_NEAR}:{prefix}:{due.submission}:{solver}",
                        block_number=max(accepted_block, due.block_number),
                    )
        elif due.submission <= now < due.evaluation <= now + window_s:
            seeker = facts.challenge_seeker(session, ref)
            if seeker is not None:
                created += notify(
                    session,
                    chain_id=ref.chain_id,
                    address=seeker,
                    kind=EVALUATION_DEADLINE_NEAR,
                    payload={**payload, "deadline": due.evaluation},
                    dedupe_key=f"{EVALUATION_DEADLINE_NEAR}:{prefix}:{due.evaluation}:{seeker}",
                    block_number=due.block_number,
                )
    return created


def run_deadline_job(
    engine: Engine, stop: threading.Event, interval_s: float, window_s: int, chain_time: Callable[[], int]
) -> None:
    """Run `notify_deadlines` every `interval_s` until `stop` is set (the indexer process runs
    it in a thread); a failed run is logged and retried at the next tick."""
    sessions = sessionmaker(engine)
    while not stop.is_set():
        try:
            now = chain_time()
            with sessions.begin() as session:
                created = notify_deadlines(session, now, window_s)
            if created:
                log.info("%d deadline notifications", created)
        except Exception:  # the next tick retries; the indexer must keep running
            log.exception("the deadline job failed; retrying in %.0f s", interval_s)
        stop.wait(interval_s)


# ---------------------------------------------------------------- reads for the API


def list_notifications(session: Session, address: str, before_id: int | None, limit: int) -> Sequence[Notification]:
    """The newest notifications of `address` first, below `before_id` when given."""
    query = select(Notification).where(Notification.address == address)
    if before_id is not None:
        query = query.where(Notification.id < before_id)
    return session.scalars(query.order_by(Notification.id.desc()).limit(limit)).all()


def notifications_after(session: Session, address: str, after_id: int, limit: int) -> Sequence[Notification]:
    """The notifications of `address` with an id above `after_id`, oldest first (the stream)."""
    query = select(Notification).where(Notification.address == address, Notification.id > after_id)
    return session.scalars(query.order_by(Notification.id).limit(limit)).all()


def latest_id(session: Session, address: str) -> int:
    return session.scalar(select(func.max(Notification.id)).where(Notification.address == address)) or 0


def mark_read(session: Session, address: str, up_to_id: int) -> int:
    """Mark every unread notification of `address` up to `up_to_id` read; how many were."""
    result = session.execute(
        update(Notification)
        .where(Notification.address == address, Notification.id <= up_to_id, Notification.read_at.is_(None))
        .values(read_at=datetime.now(UTC))
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
