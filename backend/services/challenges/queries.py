"""The reads the challenge routes serve: filtered, searched, keyset-paginated lists and details.

Metadata fields leave this module only for challenges whose metadata was VERIFIED against
the on-chain hash; for any other status they are null, whatever the row holds.
"""

import re
from collections.abc import Sequence
from functools import lru_cache

from sqlalchemy import (
    BindParameter,
    Boolean,
    ColumnElement,
    Integer,
    String,
    and_,
    bindparam,
    func,
    literal_column,
    or_,
    select,
    text,
)
from sqlalchemy.orm import Session

from backend.api.errors import BadRequestError, NotFoundError
from backend.api.pagination import decode_cursor, encode_cursor
from backend.db import AnyRow, AnySelect
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
    ChallengeSort,
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


# What a summary shows and the keysets need: a list never loads (nor parses) the metadata document.
_SUMMARY_COLUMNS = (
    Challenge.id,
    Challenge.challenge_id,
    Challenge.chain_id,
    Challenge.seeker,
    Challenge.kind,
    Challenge.token,
    Challenge.funded,
    Challenge.awarded,
    Challenge.state,
    Challenge.submission_deadline,
    Challenge.evaluation_deadline,
    Challenge.created_at,
    Challenge.created_block,
    Challenge.acceptance_count,
    Challenge.submission_count,
    Challenge.metadata_status,
    Challenge.title,
    Challenge.challenge_type,
    Challenge.tags,
    Challenge.description,
)

# The filters of ChallengeListIn, each a condition on the bound parameter of its name (bound
# parameters take the column's type, so amounts are compared as Uint256).
_FILTERS: dict[str, ColumnElement[bool]] = {
    "status": Challenge.state == bindparam("status"),
    "type": Challenge.kind == bindparam("type"),
    "token": Challenge.token == bindparam("token"),
    "seeker": Challenge.seeker == bindparam("seeker"),
    "min_prize": Challenge.funded >= bindparam("min_prize"),
    "max_prize": Challenge.funded <= bindparam("max_prize"),
    "deadline_after": Challenge.submission_deadline > bindparam("deadline_after"),
    "deadline_before": Challenge.submission_deadline < bindparam("deadline_before"),
}
_SORT_KEYS = {"newest": Challenge.challenge_id, "deadline": Challenge.submission_deadline, "prize": Challenge.funded}


def list_challenges(session: Session, query: ChallengeListIn) -> Page[ChallengeSummaryOut]:
    dialect = session.get_bind().dialect.name
    params = _filter_params(dialect, query)
    filters = tuple(name for name in params if name != "search")
    if query.cursor is not None:
        params["after_key"], params["after_id"] = _after(query.cursor, query.sort)
    params["limit"] = query.limit + 1
    statement = _list_statement(dialect, "search" in params, filters, query.sort, query.cursor is not None)
    rows = session.connection().execute(statement, params).all()
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


@lru_cache(maxsize=256)
def _list_statement(
    dialect: str, search: bool, filters: tuple[str, ...], sort: ChallengeSort, after_cursor: bool
) -> AnySelect:
    """The list query of one combination of filters, with every value a bound parameter.

    Built once per combination: building and cache-keying a statement of this size costs more
    than running it, and the combinations in use are few.
    """
    statement = select(*_SUMMARY_COLUMNS)
    if search:
        statement = statement.where(_search_condition(dialect))
    for name in filters:
        statement = statement.where(_FILTERS[name])
    key = _SORT_KEYS[sort]
    ascending = sort == "deadline"
    if after_cursor:
        after_key: BindParameter[int] = bindparam("after_key")
        after_id: BindParameter[int] = bindparam("after_id")
        if ascending:
            after = or_(key > after_key, and_(key == after_key, Challenge.id > after_id))
        else:
            after = or_(key < after_key, and_(key == after_key, Challenge.id < after_id))
        statement = statement.where(after)
    order = (key, Challenge.id) if ascending else (key.desc(), Challenge.id.desc())
    return statement.order_by(*order).limit(bindparam("limit", type_=Integer))


def _filter_params(dialect: str, query: ChallengeListIn) -> dict[str, object]:
    """The bound values of the filters `query` sets (`search`: the dialect's full-text query)."""
    params: dict[str, object] = {}
    if query.q is not None:
        params["search"] = _search_terms(dialect, query.q)
    given = {
        "status": query.status,
        "type": query.type,
        "token": query.token,
        "seeker": query.seeker,
        "min_prize": _uint256("min_prize", query.min_prize),
        "max_prize": _uint256("max_prize", query.max_prize),
        "deadline_after": query.deadline_after,
        "deadline_before": query.deadline_before,
    }
    min_prize, max_prize = given["min_prize"], given["max_prize"]
    if isinstance(min_prize, int) and isinstance(max_prize, int) and min_prize > max_prize:
        raise BadRequestError("min_prize is larger than max_prize")
    params.update({name: value for name, value in given.items() if value is not None})
    return params


def _uint256(name: str, value: str | None) -> int | None:
    if value is None:
        return None
    amount = int(value)
    if amount >= 2**256:
        raise BadRequestError(f"{name} {value} exceeds a uint256")
    return amount


def _search_terms(dialect: str, q: str) -> str:
    """Every word of `q` (as a prefix), in the query language of the dialect's full-text index."""
    words = _WORD.findall(q)[:_MAX_SEARCH_WORDS]
    if not words:
        raise BadRequestError(f"q {q[:40]!r} has no words to search for")
    # Words are \w+ only, so neither query syntax can be injected or broken.
    if dialect == "postgresql":
        return " & ".join(f"{word}:*" for word in words)
    return " ".join(f'"{word}"*' for word in words)


def _search_condition(dialect: str) -> ColumnElement[bool]:
    """Full-text match of the bound `search` query, with the dialect's own index."""
    if dialect == "postgresql":
        vector: ColumnElement[str] = literal_column("challenges.search_vector")
        tsquery = func.to_tsquery(literal_column("'english'::regconfig"), bindparam("search", type_=String))
        return vector.op("@@", return_type=Boolean)(tsquery)
    matching = text("SELECT rowid FROM challenges_fts WHERE challenges_fts MATCH :search").columns(rowid=Integer)
    # `id + 0`, not `id`: SQLite would otherwise look every match up by primary key and sort
    # them all (20 ms for a common word over 10,000 challenges); this way it walks the sort
    # order's index and stops at the page's end, checking ids against the matched set.
    return (Challenge.id + 0).in_(matching)


def _after(cursor: str, sort: ChallengeSort) -> tuple[int, int]:
    """The sort key and row id a page `cursor` of a list sorted by `sort` resumes after."""
    if sort != "prize":
        key, row_id = _cursor(cursor, sort, int)
        assert isinstance(key, int)
        return key, row_id
    funded_text, row_id = _cursor(cursor, "prize", str)
    if not str(funded_text).isdigit() or int(funded_text) >= 2**256:
        raise BadRequestError("invalid page cursor: not a cursor of this list")
    return int(funded_text), row_id


def _cursor(cursor: str, sort: str, key_kind: type[str] | type[int]) -> tuple[int | str, int]:
    sort_name, key, row_id = decode_cursor(cursor, (str, key_kind, int))
    if sort_name != sort:
        raise BadRequestError(f"this page cursor continues a list sorted by {sort_name!r}, not {sort!r}")
    assert isinstance(row_id, int)
    return key, row_id


def _verified(challenge: AnyRow) -> bool:
    return bool(challenge.metadata_status == "verified")


def _snippet(description: str | None) -> str | None:
    if description is None:
        return None
    flat = " ".join(description.split())
    return flat if len(flat) <= SNIPPET_CHARS else flat[: SNIPPET_CHARS - 1].rstrip() + "…"


def _summary_fields(challenge: AnyRow) -> dict[str, object]:
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


def _summary(challenge: AnyRow) -> ChallengeSummaryOut:
    return ChallengeSummaryOut.model_validate(_summary_fields(challenge))


# Statements the detail runs on every request, built once (each costs more to build than to run),
# and run on the session's connection: rows, not ORM objects, for a read that changes nothing.
# One deployment per database: the API serves the chain the indexer follows.
_CHALLENGE_BY_ID = (
    select(Challenge.__table__)
    .where(Challenge.challenge_id == bindparam("challenge_id"))
    .order_by(Challenge.chain_id)
    .limit(1)
)
_CHALLENGE_PK_BY_ID = (
    select(Challenge.id)
    .where(Challenge.challenge_id == bindparam("challenge_id"))
    .order_by(Challenge.chain_id)
    .limit(1)
)
_AWARDS = (
    select(ChallengeAward.__table__)
    .where(ChallengeAward.challenge_pk == bindparam("challenge_pk"))
    .order_by(ChallengeAward.block_number, ChallengeAward.log_index)
)
_CONTRIBUTIONS = (
    select(ChallengeContribution.__table__)
    .where(ChallengeContribution.challenge_pk == bindparam("challenge_pk"))
    .order_by(ChallengeContribution.id)
)
_REFUSALS = (
    select(ChallengeRefusal.__table__)
    .where(ChallengeRefusal.challenge_pk == bindparam("challenge_pk"))
    .order_by(ChallengeRefusal.id)
)
_TEAMS = (
    select(ChallengeTeam.__table__)
    .where(ChallengeTeam.challenge_pk == bindparam("challenge_pk"))
    .order_by(ChallengeTeam.team_id)
)


def _not_found(challenge_id: int) -> NotFoundError:
    return NotFoundError(f"no challenge {challenge_id} (not created, or not indexed yet)")


def _find_pk(session: Session, challenge_id: int) -> int:
    """The row id of challenge `challenge_id`."""
    pk = session.connection().scalar(_CHALLENGE_PK_BY_ID, {"challenge_id": challenge_id})
    if pk is None:
        raise _not_found(challenge_id)
    return pk


def get_challenge(session: Session, challenge_id: int) -> ChallengeDetailOut:
    connection = session.connection()
    challenge = connection.execute(_CHALLENGE_BY_ID, {"challenge_id": challenge_id}).first()
    if challenge is None:
        raise _not_found(challenge_id)
    children = {"challenge_pk": challenge.id}
    awards = connection.execute(_AWARDS, children).all()
    contributions = connection.execute(_CONTRIBUTIONS, children).all()
    refusals = connection.execute(_REFUSALS, children).all()
    teams = connection.execute(_TEAMS, children).all()
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


def _outcome(challenge: AnyRow) -> OutcomeOut | None:
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


def _slots(challenge: AnyRow, awards: Sequence[AnyRow]) -> list[SlotOut]:
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


def _team(team: ChallengeTeam | AnyRow, challenge_id: int) -> TeamOut:
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
    challenge_pk = _find_pk(session, challenge_id)
    statement = (
        select(ChainEvent, IndexedBlock.timestamp)
        .join(ChallengeEventLink, ChallengeEventLink.chain_event_id == ChainEvent.id)
        .outerjoin(
            IndexedBlock,
            (IndexedBlock.chain_id == ChainEvent.chain_id)
            & (IndexedBlock.stream == ChainEvent.stream)
            & (IndexedBlock.number == ChainEvent.block_number),
        )
        .where(ChallengeEventLink.challenge_pk == challenge_pk)
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
    challenge_pk = _find_pk(session, challenge_id)
    statement = (
        select(ChallengeSubmission)
        .where(ChallengeSubmission.challenge_pk == challenge_pk)
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
