"""The reads the challenge routes serve: filtered, searched, keyset-paginated lists and details.

Metadata fields leave this module only for challenges whose metadata was VERIFIED against
the on-chain hash; for any other status they are null, whatever the row holds.
"""

import re
from collections.abc import Sequence

from sqlalchemy import Boolean, ColumnElement, Integer, Select, and_, func, literal_column, or_, select, text
from sqlalchemy.orm import Session

from backend.api.errors import BadRequestError, NotFoundError
from backend.api.pagination import decode_cursor, encode_cursor
from backend.models import ChainEvent, IndexedBlock
from backend.models.challenges import (
    Challenge,
    ChallengeAward,
    ChallengeContribution,
    ChallengeEventLink,
    ChallengeRefusal,
    ChallengeSubmission,
    ChallengeTeam,
)
from backend.schemas.challenges import (
    AwardOut,
    ChallengeDetailOut,
    ChallengeListIn,
    ChallengeMetadataOut,
    ChallengeSummaryOut,
    ContributionOut,
    OutcomeOut,
    PageIn,
    RefusalOut,
    SlotOut,
    SplitProposalOut,
    SubmissionOut,
    TeamMemberOut,
    TeamOut,
    TimelineEventOut,
)
from backend.schemas.common import Page

SNIPPET_CHARS = 280
_WORD = re.compile(r"\w+")
_MAX_SEARCH_WORDS = 16


def list_challenges(session: Session, query: ChallengeListIn) -> Page[ChallengeSummaryOut]:
    statement = select(Challenge)
    for condition in _filters(session, query):
        statement = statement.where(condition)
    statement = _keyset(statement, query)
    rows = session.scalars(statement.limit(query.limit + 1)).all()
    next_cursor = None
    if len(rows) > query.limit:
        rows = rows[: query.limit]
        last = rows[-1]
        key: dict[str, list[str | int]] = {
            "newest": ["newest", last.challenge_id, last.id],
            "deadline": ["deadline", last.submission_deadline, last.id],
            "prize": ["prize", str(last.funded), last.id],
        }
        next_cursor = encode_cursor(key[query.sort])
    return Page(items=[_summary(row) for row in rows], next_cursor=next_cursor)


def _filters(session: Session, query: ChallengeListIn) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if query.q is not None:
        conditions.append(_search(session, query.q))
    if query.status is not None:
        conditions.append(Challenge.state == query.status)
    if query.type is not None:
        conditions.append(Challenge.kind == query.type)
    if query.token is not None:
        conditions.append(Challenge.token == query.token)
    if query.seeker is not None:
        conditions.append(Challenge.seeker == query.seeker)
    min_prize = _uint256("min_prize", query.min_prize)
    max_prize = _uint256("max_prize", query.max_prize)
    if min_prize is not None and max_prize is not None and min_prize > max_prize:
        raise BadRequestError("min_prize is larger than max_prize")
    if min_prize is not None:
        conditions.append(Challenge.funded >= min_prize)
    if max_prize is not None:
        conditions.append(Challenge.funded <= max_prize)
    if query.deadline_after is not None:
        conditions.append(Challenge.submission_deadline > query.deadline_after)
    if query.deadline_before is not None:
        conditions.append(Challenge.submission_deadline < query.deadline_before)
    return conditions


def _uint256(name: str, value: str | None) -> int | None:
    if value is None:
        return None
    amount = int(value)
    if amount >= 2**256:
        raise BadRequestError(f"{name} {value} exceeds a uint256")
    return amount


def _search(session: Session, q: str) -> ColumnElement[bool]:
    """Full-text match of every word of `q` (as a prefix), with the dialect's own index."""
    words = _WORD.findall(q)[:_MAX_SEARCH_WORDS]
    if not words:
        raise BadRequestError(f"q {q[:40]!r} has no words to search for")
    if session.get_bind().dialect.name == "postgresql":
        # Words are \w+ only, so the tsquery syntax cannot be injected or broken.
        tsquery = " & ".join(f"{word}:*" for word in words)
        vector: ColumnElement[str] = literal_column("challenges.search_vector")
        return vector.op("@@", return_type=Boolean)(func.to_tsquery(literal_column("'english'::regconfig"), tsquery))
    fts_query = " ".join(f'"{word}"*' for word in words)
    matching = (
        text("SELECT rowid FROM challenges_fts WHERE challenges_fts MATCH :fts_query")
        .bindparams(fts_query=fts_query)
        .columns(rowid=Integer)
    )
    return Challenge.id.in_(matching)


def _keyset(statement: Select[Challenge], query: ChallengeListIn) -> Select[Challenge]:
    if query.sort == "newest":
        if query.cursor is not None:
            challenge_id, row_id = _cursor(query.cursor, "newest", int)
            statement = statement.where(
                or_(
                    Challenge.challenge_id < challenge_id,
                    and_(Challenge.challenge_id == challenge_id, Challenge.id < row_id),
                )
            )
        return statement.order_by(Challenge.challenge_id.desc(), Challenge.id.desc())
    if query.sort == "deadline":
        if query.cursor is not None:
            deadline, row_id = _cursor(query.cursor, "deadline", int)
            statement = statement.where(
                or_(
                    Challenge.submission_deadline > deadline,
                    and_(Challenge.submission_deadline == deadline, Challenge.id > row_id),
                )
            )
        return statement.order_by(Challenge.submission_deadline, Challenge.id)
    if query.cursor is not None:
        funded_text, row_id = _cursor(query.cursor, "prize", str)
        if not str(funded_text).isdigit() or int(funded_text) >= 2**256:
            raise BadRequestError("invalid page cursor: not a cursor of this list")
        funded = int(funded_text)
        statement = statement.where(
            or_(Challenge.funded < funded, and_(Challenge.funded == funded, Challenge.id < row_id))
        )
    return statement.order_by(Challenge.funded.desc(), Challenge.id.desc())


def _cursor(cursor: str, sort: str, key_kind: type[str] | type[int]) -> tuple[int | str, int]:
    sort_name, key, row_id = decode_cursor(cursor, (str, key_kind, int))
    if sort_name != sort:
        raise BadRequestError(f"this page cursor continues a list sorted by {sort_name!r}, not {sort!r}")
    assert isinstance(row_id, int)
    return key, row_id


def _verified(challenge: Challenge) -> bool:
    return challenge.metadata_status == "verified"


def _snippet(description: str | None) -> str | None:
    if description is None:
        return None
    flat = " ".join(description.split())
    return flat if len(flat) <= SNIPPET_CHARS else flat[: SNIPPET_CHARS - 1].rstrip() + "…"


def _summary_fields(challenge: Challenge) -> dict[str, object]:
    verified = _verified(challenge)
    return {
        "challenge_id": challenge.challenge_id,
        "chain_id": challenge.chain_id,
        "seeker": challenge.seeker,
        "kind": challenge.kind,
        "token": challenge.token,
        "funded": str(challenge.funded),
        "awarded": str(challenge.awarded),
        "state": challenge.state,
        "submission_deadline": challenge.submission_deadline,
        "evaluation_deadline": challenge.evaluation_deadline,
        "created_at": challenge.created_at,
        "created_block": challenge.created_block,
        "acceptance_count": challenge.acceptance_count,
        "submission_count": challenge.submission_count,
        "metadata_status": challenge.metadata_status,
        "title": challenge.title if verified else None,
        "challenge_type": challenge.challenge_type if verified else None,
        "tags": challenge.tags if verified else None,
        "description_snippet": _snippet(challenge.description) if verified else None,
    }


def _summary(challenge: Challenge) -> ChallengeSummaryOut:
    return ChallengeSummaryOut.model_validate(_summary_fields(challenge))


def _find(session: Session, challenge_id: int) -> Challenge:
    # One deployment per database: the API serves the chain the indexer follows.
    challenge = session.scalars(
        select(Challenge).where(Challenge.challenge_id == challenge_id).order_by(Challenge.chain_id)
    ).first()
    if challenge is None:
        raise NotFoundError(f"no challenge {challenge_id} (not created, or not indexed yet)")
    return challenge


def get_challenge(session: Session, challenge_id: int) -> ChallengeDetailOut:
    challenge = _find(session, challenge_id)
    awards = session.scalars(
        select(ChallengeAward)
        .where(ChallengeAward.challenge_pk == challenge.id)
        .order_by(ChallengeAward.block_number, ChallengeAward.log_index)
    ).all()
    contributions = session.scalars(
        select(ChallengeContribution)
        .where(ChallengeContribution.challenge_pk == challenge.id)
        .order_by(ChallengeContribution.id)
    ).all()
    refusals = session.scalars(
        select(ChallengeRefusal).where(ChallengeRefusal.challenge_pk == challenge.id).order_by(ChallengeRefusal.id)
    ).all()
    teams = session.scalars(
        select(ChallengeTeam).where(ChallengeTeam.challenge_pk == challenge.id).order_by(ChallengeTeam.team_id)
    ).all()
    document = challenge.metadata_document if _verified(challenge) else None
    return ChallengeDetailOut.model_validate(
        {
            **_summary_fields(challenge),
            "escrow_address": challenge.escrow_address,
            "agreement_hash": challenge.agreement_hash,
            "encryption_public_key": challenge.encryption_public_key,
            "arbiter": challenge.arbiter,
            "licence_days": challenge.licence_days,
            "prior_art_committed": challenge.prior_art_committed,
            "metadata_cid": challenge.metadata_cid,
            "metadata_hash": challenge.metadata_hash,
            "metadata": ChallengeMetadataOut.model_validate(document) if document is not None else None,
            "outcome": _outcome(challenge),
            "slots": _slots(challenge, awards),
            "contributions": [
                ContributionOut(
                    contributor=row.contributor,
                    amount=str(row.amount),
                    refunded=row.refunded,
                    refund_amount=None if row.refund_amount is None else str(row.refund_amount),
                )
                for row in contributions
            ],
            "awards": [
                AwardOut(
                    entrant=row.entrant,
                    slot=row.slot,
                    amount=str(row.amount),
                    grantor=row.grantor,
                    awarded_at=row.awarded_at,
                    tx_hash=row.tx_hash,
                )
                for row in awards
            ],
            "refusals": [
                RefusalOut(
                    entrant=row.entrant,
                    reason=row.reason,
                    fee=str(row.fee),
                    refused_at=row.refused_at,
                    dispute_deadline=row.dispute_deadline,
                    disputed_at=row.disputed_at,
                    ruling_deadline=row.ruling_deadline,
                    resolved_at=row.resolved_at,
                    overturned=row.overturned,
                    by_arbiter=row.by_arbiter,
                )
                for row in refusals
            ],
            "teams": [_team(team, challenge.challenge_id) for team in teams],
        }
    )


def _outcome(challenge: Challenge) -> OutcomeOut | None:
    if challenge.closed_at is None:
        return None
    return OutcomeOut(
        closed_at=challenge.closed_at,
        settled_by=challenge.settled_by,
        share_pool=None if challenge.share_pool is None else str(challenge.share_pool),
        share_count=challenge.share_count,
        refund_pool=None if challenge.refund_pool is None else str(challenge.refund_pool),
        licence_expiry=challenge.licence_expiry,
    )


def _slots(challenge: Challenge, awards: Sequence[ChallengeAward]) -> list[SlotOut]:
    initial = [int(amount) for amount in challenge.slot_amounts]
    if not initial:
        return []
    # Contributions raise slot 0: it holds whatever the other slots do not.
    amounts = [challenge.funded - sum(initial[1:]), *initial[1:]]
    awarded = [0] * len(amounts)
    for award in awards:
        awarded[award.slot] += award.amount
    return [
        SlotOut(slot=slot, amount=str(amount), awarded=str(awarded[slot]), remaining=str(amount - awarded[slot]))
        for slot, amount in enumerate(amounts)
    ]


def _team(team: ChallengeTeam, challenge_id: int) -> TeamOut:
    leader_half = team.split_rule == "leader_half"
    proposal = None
    if team.proposed_rule is not None:
        proposal = SplitProposalOut(
            nonce=team.proposal_nonce,
            rule=team.proposed_rule,
            leader_bps=team.proposed_bps or [],
            approved_by=[member for index, member in enumerate(team.members) if team.approval_mask >> index & 1],
        )
    return TeamOut(
        team_id=team.team_id,
        challenge_id=challenge_id,
        leader=team.leader,
        members=[
            TeamMemberOut(
                address=member,
                confirmed=bool(team.confirmed_mask >> index & 1),
                leader_bps=team.leader_bps[index] if leader_half else None,
            )
            for index, member in enumerate(team.members)
        ],
        fully_confirmed=team.confirmed_mask == (1 << len(team.members)) - 1,
        split_rule=team.split_rule,
        proposal=proposal,
        disbanded=team.disbanded,
        created_at=team.created_at,
    )


def get_team(session: Session, team_id: int) -> TeamOut:
    found = session.execute(
        select(ChallengeTeam, Challenge.challenge_id)
        .join(Challenge, Challenge.id == ChallengeTeam.challenge_pk)
        .where(ChallengeTeam.team_id == team_id)
        .order_by(ChallengeTeam.chain_id)
    ).first()
    if found is None:
        raise NotFoundError(f"no team {team_id} (not created, or not indexed yet)")
    team, challenge_id = found
    return _team(team, challenge_id)


def challenge_timeline(session: Session, challenge_id: int, page: PageIn) -> Page[TimelineEventOut]:
    challenge = _find(session, challenge_id)
    statement = (
        select(ChainEvent, IndexedBlock.timestamp)
        .join(ChallengeEventLink, ChallengeEventLink.chain_event_id == ChainEvent.id)
        .outerjoin(
            IndexedBlock,
            (IndexedBlock.chain_id == ChainEvent.chain_id)
            & (IndexedBlock.stream == ChainEvent.stream)
            & (IndexedBlock.number == ChainEvent.block_number),
        )
        .where(ChallengeEventLink.challenge_pk == challenge.id)
        .order_by(ChallengeEventLink.block_number, ChallengeEventLink.log_index)
    )
    if page.cursor is not None:
        block, log_index = decode_cursor(page.cursor, (int, int))
        statement = statement.where(
            or_(
                ChallengeEventLink.block_number > block,
                and_(ChallengeEventLink.block_number == block, ChallengeEventLink.log_index > log_index),
            )
        )
    rows = session.execute(statement.limit(page.limit + 1)).all()
    next_cursor = None
    if len(rows) > page.limit:
        rows = rows[: page.limit]
        last = rows[-1][0]
        next_cursor = encode_cursor([last.block_number, last.log_index])
    return Page(
        items=[
            TimelineEventOut(
                contract=event.contract_name,
                event=event.event_name,
                block_number=event.block_number,
                block_timestamp=timestamp,
                tx_hash=event.tx_hash,
                log_index=event.log_index,
                args=event.args,
            )
            for event, timestamp in rows
        ],
        next_cursor=next_cursor,
    )


def challenge_submissions(session: Session, challenge_id: int, page: PageIn) -> Page[SubmissionOut]:
    challenge = _find(session, challenge_id)
    statement = (
        select(ChallengeSubmission)
        .where(ChallengeSubmission.challenge_pk == challenge.id)
        .order_by(ChallengeSubmission.arrival)
    )
    if page.cursor is not None:
        (arrival,) = decode_cursor(page.cursor, (int,))
        statement = statement.where(ChallengeSubmission.arrival > arrival)
    rows = session.scalars(statement.limit(page.limit + 1)).all()
    next_cursor = None
    if len(rows) > page.limit:
        rows = rows[: page.limit]
        next_cursor = encode_cursor([rows[-1].arrival])
    return Page(
        items=[
            SubmissionOut(
                entrant=row.entrant,
                team_id=row.team_id,
                cid=row.cid,
                cid_hash=row.cid_hash,
                submitted_at=row.submitted_at,
                arrival=row.arrival,
                status=row.status,
                awarded=str(row.awarded),
            )
            for row in rows
        ],
        next_cursor=next_cursor,
    )
