"""The `challenges` projection: ChallengeEscrow and ChallengeTeams events into the challenge tables.

One handler per event, so a contract change touches one function; events without a handler
(e.g. `Withdrawn`, which concerns an account rather than a challenge, or events added to the
contracts later) are simply not projected. Each handled event is linked to its challenge
(`challenge_event_links`): that is the challenge's timeline and what a rebuild replays.

After a reorg, `rewind` deletes every challenge touched above the last valid block (its
children go with it) and rebuilds it by replaying its remaining events, so the tables equal
what indexing the new chain from scratch would give. Verified metadata is carried over when
the rebuilt challenge commits to the same CID and hash.
"""

import logging
from typing import Any

from multiformats import CID
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from backend.models import ChainEvent, IndexedBlock
from backend.models.challenges import (
    Challenge,
    ChallengeAcceptance,
    ChallengeAward,
    ChallengeContribution,
    ChallengeEventLink,
    ChallengeRefusal,
    ChallengeSubmission,
    ChallengeTeam,
    ChallengeTeamPayout,
)
from backend.services.indexer._decode import DecodedEvent, JsonValue
from backend.services.indexer.projections import EventHandler, Projection, replayed_event

log = logging.getLogger(__name__)

ESCROW = "ChallengeEscrow"
TEAMS = "ChallengeTeams"
ZERO_ADDRESS = "0x" + "0" * 40
ZERO_HASH = "0x" + "0" * 64
# The contracts' enums, by their uint8 value.
KINDS = ("ideation", "conditional", "rfp")
REFUSAL_REASONS = ("criteria_unmet", "prior_knowledge")
SPLIT_RULES = ("equal", "leader_half")
METADATA_FIELDS = ("metadata_status", "title", "challenge_type", "tags", "description", "metadata_document")


def cid_text(raw_hex: str) -> str:
    """A CID committed on chain as text: its bytes are a binary CID (or a CID's text); anything
    else is kept as the 0x-hex it came as, so it is shown but never fetched."""
    raw = bytes.fromhex(raw_hex[2:])
    candidates: list[bytes | str] = [raw]
    if raw.isascii():
        candidates.append(raw.decode())
    for candidate in candidates:
        try:
            cid = CID.decode(candidate)
        except (ValueError, KeyError):
            continue
        return str(cid.set(base="base32")) if cid.version == 1 else str(cid)
    return raw_hex


def is_cid(text: str) -> bool:
    return not text.startswith("0x")


def _int(value: JsonValue) -> int:
    assert isinstance(value, str)
    return int(value)


def _str(value: JsonValue) -> str:
    assert isinstance(value, str)
    return value


def _dict(value: JsonValue) -> dict[str, JsonValue]:
    assert isinstance(value, dict)
    return value


def _ints(value: JsonValue) -> list[int]:
    assert isinstance(value, list)
    return [_int(item) for item in value]


def _time(event: DecodedEvent) -> int:
    if event.block_timestamp is None:
        raise ValueError(f"event {event.tx_hash}:{event.log_index} has no block timestamp")
    return event.block_timestamp


def _challenge(session: Session, event: DecodedEvent, challenge_id: int) -> Challenge | None:
    challenge = session.scalars(
        select(Challenge).where(Challenge.chain_id == event.chain_id, Challenge.challenge_id == challenge_id)
    ).one_or_none()
    if challenge is None:
        # Only possible when the indexer starts after the challenge's creation block.
        log.warning("%s for unknown challenge %d ignored", event.event_name, challenge_id)
        return None
    _link(session, challenge, event)
    return challenge


def _link(session: Session, challenge: Challenge, event: DecodedEvent) -> None:
    session.flush()
    event_id = session.scalars(
        select(ChainEvent.id).where(
            ChainEvent.chain_id == event.chain_id,
            ChainEvent.tx_hash == event.tx_hash,
            ChainEvent.log_index == event.log_index,
        )
    ).one()
    session.add(
        ChallengeEventLink(
            challenge_pk=challenge.id,
            chain_event_id=event_id,
            block_number=event.block_number,
            log_index=event.log_index,
        )
    )
    challenge.updated_block = max(challenge.updated_block, event.block_number)


def _team(session: Session, event: DecodedEvent) -> tuple[ChallengeTeam, Challenge] | None:
    team_id = _int(event.args["teamId"])
    team = session.scalars(
        select(ChallengeTeam).where(ChallengeTeam.chain_id == event.chain_id, ChallengeTeam.team_id == team_id)
    ).one_or_none()
    if team is None:
        log.warning("%s for unknown team %d ignored", event.event_name, team_id)
        return None
    challenge = session.get_one(Challenge, team.challenge_pk)
    _link(session, challenge, event)
    return team, challenge


def _submission(session: Session, challenge: Challenge, entrant: str) -> ChallengeSubmission | None:
    return session.scalars(
        select(ChallengeSubmission).where(
            ChallengeSubmission.challenge_pk == challenge.id, ChallengeSubmission.entrant == entrant
        )
    ).one_or_none()


def _set_submission_status(session: Session, challenge: Challenge, entrant: str, status: str) -> None:
    submission = _submission(session, challenge, entrant)
    if submission is not None:
        submission.status = status


def _refusal(session: Session, challenge: Challenge, event: DecodedEvent) -> ChallengeRefusal:
    entrant = _str(event.args["entrant"])
    refusal = session.scalars(
        select(ChallengeRefusal).where(
            ChallengeRefusal.challenge_pk == challenge.id, ChallengeRefusal.entrant == entrant
        )
    ).one_or_none()
    if refusal is None:
        refusal = ChallengeRefusal(
            challenge_pk=challenge.id,
            entrant=entrant,
            reason=REFUSAL_REASONS[1],
            fee=0,
            dispute_deadline=0,
            refused_at=_time(event),
        )
        session.add(refusal)
    return refusal


def _contribution(session: Session, challenge: Challenge, contributor: str) -> ChallengeContribution:
    contribution = session.scalars(
        select(ChallengeContribution).where(
            ChallengeContribution.challenge_pk == challenge.id, ChallengeContribution.contributor == contributor
        )
    ).one_or_none()
    if contribution is None:
        contribution = ChallengeContribution(
            challenge_pk=challenge.id, contributor=contributor, amount=0, refunded=False
        )
        session.add(contribution)
    return contribution


# ---------------------------------------------------------------- ChallengeEscrow


def on_challenge_created(session: Session, event: DecodedEvent) -> None:
    terms = _dict(event.args["terms"])
    slots = _ints(terms["slotAmounts"])
    metadata_cid = cid_text(_str(terms["metadataCid"]))
    arbiter = _str(terms["arbiter"])
    commitment = _str(terms["priorArtCommitment"])
    challenge = Challenge(
        chain_id=event.chain_id,
        challenge_id=_int(event.args["challengeId"]),
        escrow_address=event.contract_address,
        seeker=_str(event.args["seeker"]),
        kind=KINDS[_int(terms["kind"])],
        token=_str(event.args["token"]),
        slot_amounts=[str(amount) for amount in slots],
        funded=sum(slots),
        awarded=0,
        state="open",
        submission_deadline=_int(terms["submissionDeadline"]),
        evaluation_deadline=_int(terms["evaluationDeadline"]),
        agreement_hash=_str(terms["agreementHash"]),
        encryption_public_key=_str(terms["encryptionPublicKey"]),
        arbiter=None if arbiter == ZERO_ADDRESS else arbiter,
        licence_days=_int(event.args["licenceDays"]),
        prior_art_committed=commitment != ZERO_HASH,
        prior_art_commitment=None if commitment == ZERO_HASH else commitment,
        created_block=event.block_number,
        created_tx=event.tx_hash,
        created_at=_time(event),
        updated_block=event.block_number,
        acceptance_count=0,
        submission_count=0,
        metadata_cid=metadata_cid,
        metadata_hash=_str(terms["metadataHash"]),
        # A commitment that is not a CID can never be verified: flagged, never fetched.
        metadata_status="pending" if is_cid(metadata_cid) else "mismatch",
        metadata_attempts=0,
        metadata_retry_at=0,
    )
    session.add(challenge)
    session.flush()
    _link(session, challenge, event)
    if slots and sum(slots):
        _contribution(session, challenge, challenge.seeker).amount = sum(slots)


def on_challenge_funded(session: Session, event: DecodedEvent) -> None:
    challenge = _challenge(session, event, _int(event.args["challengeId"]))
    if challenge is None:
        return
    amount = _int(event.args["amount"])
    challenge.funded = _int(event.args["funded"])
    contribution = _contribution(session, challenge, _str(event.args["contributor"]))
    contribution.amount += amount


def on_deadlines_extended(session: Session, event: DecodedEvent) -> None:
    challenge = _challenge(session, event, _int(event.args["challengeId"]))
    if challenge is None:
        return
    challenge.submission_deadline = _int(event.args["submissionDeadline"])
    challenge.evaluation_deadline = _int(event.args["evaluationDeadline"])


def on_challenge_cancelled(session: Session, event: DecodedEvent) -> None:
    challenge = _challenge(session, event, _int(event.args["challengeId"]))
    if challenge is None:
        return
    challenge.state = "cancelled"
    challenge.refund_pool = _int(event.args["refundPool"])
    challenge.closed_at = _time(event)


def on_terms_accepted(session: Session, event: DecodedEvent) -> None:
    challenge = _challenge(session, event, _int(event.args["challengeId"]))
    if challenge is None:
        return
    session.add(
        ChallengeAcceptance(
            challenge_pk=challenge.id,
            solver=_str(event.args["solver"]),
            agreement_hash=_str(event.args["agreementHash"]),
            block_number=event.block_number,
            tx_hash=event.tx_hash,
            accepted_at=_time(event),
        )
    )
    challenge.acceptance_count += 1


def on_submission_committed(session: Session, event: DecodedEvent) -> None:
    challenge = _challenge(session, event, _int(event.args["challengeId"]))
    if challenge is None:
        return
    team_id = _int(event.args["teamId"])
    challenge.submission_count += 1
    session.add(
        ChallengeSubmission(
            challenge_pk=challenge.id,
            entrant=_str(event.args["entrant"]),
            team_id=team_id or None,
            cid=cid_text(_str(event.args["cid"])),
            cid_hash=_str(event.args["cidHash"]),
            submitted_at=_int(event.args["submittedAt"]),
            arrival=challenge.submission_count,
            status="submitted",
            awarded=0,
            block_number=event.block_number,
            tx_hash=event.tx_hash,
        )
    )


def on_award_granted(session: Session, event: DecodedEvent) -> None:
    challenge = _challenge(session, event, _int(event.args["challengeId"]))
    if challenge is None:
        return
    entrant = _str(event.args["entrant"])
    amount = _int(event.args["amount"])
    session.add(
        ChallengeAward(
            challenge_pk=challenge.id,
            entrant=entrant,
            slot=_int(event.args["slot"]),
            amount=amount,
            slot_remaining=_int(event.args["slotRemaining"]),
            grantor=_str(event.args["grantor"]),
            block_number=event.block_number,
            tx_hash=event.tx_hash,
            log_index=event.log_index,
            awarded_at=_time(event),
        )
    )
    challenge.awarded += amount
    submission = _submission(session, challenge, entrant)
    if submission is not None:
        submission.awarded += amount
        submission.status = "selected"


def on_selected(session: Session, event: DecodedEvent) -> None:
    """IpTransferred and ProposalSelected: the entrant's submission is selected."""
    challenge = _challenge(session, event, _int(event.args["challengeId"]))
    if challenge is not None:
        _set_submission_status(session, challenge, _str(event.args["entrant"]), "selected")


def on_prior_knowledge_revealed(session: Session, event: DecodedEvent) -> None:
    challenge = _challenge(session, event, _int(event.args["challengeId"]))
    if challenge is None:
        return
    refusal = _refusal(session, challenge, event)
    refusal.prior_art_salt = _str(event.args["salt"])
    refusal.prior_art_cid = cid_text(_str(event.args["priorArtCid"]))


def on_submission_refused(session: Session, event: DecodedEvent) -> None:
    challenge = _challenge(session, event, _int(event.args["challengeId"]))
    if challenge is None:
        return
    refusal = _refusal(session, challenge, event)
    refusal.reason = REFUSAL_REASONS[_int(event.args["reason"])]
    refusal.fee = _int(event.args["fee"])
    refusal.dispute_deadline = _int(event.args["disputeDeadline"])
    refusal.refused_at = _time(event)
    _set_submission_status(session, challenge, refusal.entrant, "refused")


def on_refusal_disputed(session: Session, event: DecodedEvent) -> None:
    challenge = _challenge(session, event, _int(event.args["challengeId"]))
    if challenge is None:
        return
    refusal = _refusal(session, challenge, event)
    refusal.disputed_at = _time(event)
    refusal.ruling_deadline = _int(event.args["rulingDeadline"])
    _set_submission_status(session, challenge, refusal.entrant, "disputed")


def on_refusal_resolved(session: Session, event: DecodedEvent) -> None:
    challenge = _challenge(session, event, _int(event.args["challengeId"]))
    if challenge is None:
        return
    refusal = _refusal(session, challenge, event)
    overturned = event.args["overturned"] is True
    refusal.resolved_at = _time(event)
    refusal.overturned = overturned
    refusal.by_arbiter = event.args["byArbiter"] is True
    refusal.arbiter_fee = _int(event.args["arbiterFee"])
    _set_submission_status(session, challenge, refusal.entrant, "overturned" if overturned else "refused")


def on_challenge_settled(session: Session, event: DecodedEvent) -> None:
    challenge = _challenge(session, event, _int(event.args["challengeId"]))
    if challenge is None:
        return
    challenge.state = "settled"
    challenge.settled_by = _str(event.args["settledBy"])
    challenge.share_pool = _int(event.args["sharePool"])
    challenge.share_count = _int(event.args["shareCount"])
    challenge.refund_pool = _int(event.args["refundPool"])
    challenge.licence_expiry = _int(event.args["licenceExpiry"])
    challenge.closed_at = _time(event)


def on_share_claimed(session: Session, event: DecodedEvent) -> None:
    challenge = _challenge(session, event, _int(event.args["challengeId"]))
    if challenge is None:
        return
    submission = _submission(session, challenge, _str(event.args["entrant"]))
    if submission is not None:
        submission.share_amount = _int(event.args["amount"])


def on_award_withdrawn(session: Session, event: DecodedEvent) -> None:
    """A solo entrant withdrew what the challenge held for it: no table changes, but linking the
    event puts the payout on the challenge's timeline."""
    _challenge(session, event, _int(event.args["challengeId"]))


def on_refund_claimed(session: Session, event: DecodedEvent) -> None:
    challenge = _challenge(session, event, _int(event.args["challengeId"]))
    if challenge is None:
        return
    contribution = _contribution(session, challenge, _str(event.args["contributor"]))
    contribution.refunded = True
    contribution.refund_amount = _int(event.args["amount"])


def on_team_payout_credited(session: Session, event: DecodedEvent) -> None:
    found = _team(session, event)
    if found is None:
        return
    team, challenge = found
    session.add(
        ChallengeTeamPayout(
            challenge_pk=challenge.id,
            team_id=team.team_id,
            member=_str(event.args["member"]),
            amount=_int(event.args["amount"]),
            block_number=event.block_number,
            log_index=event.log_index,
        )
    )


# ---------------------------------------------------------------- ChallengeTeams


def on_team_created(session: Session, event: DecodedEvent) -> None:
    challenge = _challenge(session, event, _int(event.args["challengeId"]))
    if challenge is None:
        return
    leader = _str(event.args["leader"])
    members = event.args["members"]
    assert isinstance(members, list)
    session.add(
        ChallengeTeam(
            challenge_pk=challenge.id,
            chain_id=event.chain_id,
            team_id=_int(event.args["teamId"]),
            leader=leader,
            members=[leader, *(_str(member) for member in members)],
            confirmed_mask=1,
            split_rule=SPLIT_RULES[_int(event.args["rule"])],
            leader_bps=_ints(event.args["leaderBps"]),
            proposal_nonce=0,
            approval_mask=0,
            disbanded=False,
            created_block=event.block_number,
            created_tx=event.tx_hash,
            created_at=_time(event),
        )
    )


def on_team_member_confirmed(session: Session, event: DecodedEvent) -> None:
    found = _team(session, event)
    if found is not None:
        found[0].confirmed_mask = _int(event.args["confirmedMask"])


def on_team_disbanded(session: Session, event: DecodedEvent) -> None:
    found = _team(session, event)
    if found is not None:
        found[0].disbanded = True


def on_split_proposed(session: Session, event: DecodedEvent) -> None:
    found = _team(session, event)
    if found is None:
        return
    team = found[0]
    team.proposal_nonce = _int(event.args["nonce"])
    team.proposed_rule = SPLIT_RULES[_int(event.args["rule"])]
    team.proposed_bps = _ints(event.args["leaderBps"])
    team.approval_mask = 0


def on_split_approved(session: Session, event: DecodedEvent) -> None:
    found = _team(session, event)
    if found is not None:
        found[0].approval_mask = _int(event.args["approvalMask"])


def on_split_changed(session: Session, event: DecodedEvent) -> None:
    found = _team(session, event)
    if found is None:
        return
    team = found[0]
    team.split_rule = SPLIT_RULES[_int(event.args["rule"])]
    team.leader_bps = _ints(event.args["leaderBps"])
    team.proposed_rule = None
    team.proposed_bps = None
    team.approval_mask = 0


HANDLERS: dict[str, EventHandler] = {
    f"{ESCROW}.ChallengeCreated": on_challenge_created,
    f"{ESCROW}.ChallengeFunded": on_challenge_funded,
    f"{ESCROW}.DeadlinesExtended": on_deadlines_extended,
    f"{ESCROW}.ChallengeCancelled": on_challenge_cancelled,
    f"{ESCROW}.TermsAccepted": on_terms_accepted,
    f"{ESCROW}.SubmissionCommitted": on_submission_committed,
    f"{ESCROW}.AwardGranted": on_award_granted,
    f"{ESCROW}.IpTransferred": on_selected,
    f"{ESCROW}.ProposalSelected": on_selected,
    f"{ESCROW}.PriorKnowledgeRevealed": on_prior_knowledge_revealed,
    f"{ESCROW}.SubmissionRefused": on_submission_refused,
    f"{ESCROW}.RefusalDisputed": on_refusal_disputed,
    f"{ESCROW}.RefusalResolved": on_refusal_resolved,
    f"{ESCROW}.ChallengeSettled": on_challenge_settled,
    f"{ESCROW}.ShareClaimed": on_share_claimed,
    f"{ESCROW}.AwardWithdrawn": on_award_withdrawn,
    f"{ESCROW}.RefundClaimed": on_refund_claimed,
    f"{ESCROW}.TeamPayoutCredited": on_team_payout_credited,
    f"{TEAMS}.TeamCreated": on_team_created,
    f"{TEAMS}.TeamMemberConfirmed": on_team_member_confirmed,
    f"{TEAMS}.TeamDisbanded": on_team_disbanded,
    f"{TEAMS}.SplitProposed": on_split_proposed,
    f"{TEAMS}.SplitApproved": on_split_approved,
    f"{TEAMS}.SplitChanged": on_split_changed,
}


def rewind(session: Session, last_valid_block: int) -> None:
    """Rebuild every challenge an orphaned event touched from the events that remain.

    Runs after the indexer deleted the orphaned `chain_events` (their links went with them).
    """
    stale = session.scalars(select(Challenge).where(Challenge.updated_block > last_valid_block)).all()
    if not stale:
        return
    kept_metadata: dict[tuple[str, str], dict[str, Any]] = {
        (challenge.metadata_cid, challenge.metadata_hash): {name: getattr(challenge, name) for name in METADATA_FIELDS}
        for challenge in stale
        if challenge.metadata_status in ("verified", "mismatch")
    }
    stale_ids = [challenge.id for challenge in stale]
    remaining = session.execute(
        select(ChainEvent, IndexedBlock.timestamp)
        .join(ChallengeEventLink, ChallengeEventLink.chain_event_id == ChainEvent.id)
        .outerjoin(
            IndexedBlock,
            (IndexedBlock.chain_id == ChainEvent.chain_id)
            & (IndexedBlock.stream == ChainEvent.stream)
            & (IndexedBlock.number == ChainEvent.block_number),
        )
        .where(ChallengeEventLink.challenge_pk.in_(stale_ids), ChainEvent.block_number <= last_valid_block)
        .order_by(ChainEvent.block_number, ChainEvent.log_index)
    ).all()
    replay = [replayed_event(row, timestamp) for row, timestamp in remaining]
    session.flush()
    session.execute(delete(Challenge).where(Challenge.id.in_(stale_ids)))
    session.expunge_all()  # the deleted rows' children went by ON DELETE CASCADE, not by the ORM
    for event in replay:
        handler = HANDLERS.get(f"{event.contract_name}.{event.event_name}")
        if handler is not None:
            handler(session, event)
    session.flush()
    _restore_metadata(session, kept_metadata)
    log.info("rebuilt %d challenges after a reorg below block %d", len(stale_ids), last_valid_block + 1)


def _restore_metadata(session: Session, kept: dict[tuple[str, str], dict[str, Any]]) -> None:
    for (cid, hash_), fields in kept.items():
        for challenge in session.scalars(
            select(Challenge).where(Challenge.metadata_cid == cid, Challenge.metadata_hash == hash_)
        ):
            if challenge.metadata_status == "pending":
                for name, value in fields.items():
                    setattr(challenge, name, value)


PROJECTION: Projection = Projection("challenges", handlers=HANDLERS, on_rewind=rewind)
