"""Profiles: an address's two-sided reputation, aggregated in SQL from the domain tables.

Every query starts from an index on the address column (`seeker`, `solver`, `entrant`,
`member`, `requester`, `worker`) and reaches the rest through foreign-key indexes, so a
profile costs the same whatever the size of the tables.

Uint256 columns are 78-digit zero-padded strings (see `backend.models.base.Uint256`): they
are summed exactly, on SQLite and PostgreSQL alike, as six 13-digit slices summed as 64-bit
integers and put back together in Python (a slice sum overflows only past 900,000 rows of
one group, and SQLite then raises rather than round).

Rules the numbers follow:
- A seeker *evaluated on time* when its challenge was settled by the seeker itself
  (`settled_by` is the seeker) no later than the evaluation deadline (`closed_at <=
  evaluation_deadline`): that is `closeEvaluation`. Any other settlement (the arbiter's
  close, `settle` by anyone after the deadlines, the seeker's own `settle` after them) is
  *settled by default*.
- The *paid ratio* of a token is, over the seeker's settled challenges in it, what reached
  solvers (awards and the default split's shares) over what was funded.
- A refusal is *disputed* when the entrant disputed it; *overturned* when the dispute was
  ruled for the entrant or left unruled past its deadline. A dispute the entrant won is an
  overturned refusal; one it lost is a disputed refusal that stood.
- On-chain micro-task results: *approved* (state `approved`, by the requester, automatically
  or on dispute), *rejected* (the requester rejected it: a reason hash), *overturned* (rejected,
  then approved: only a dispute does that), *upheld* (`rejection_upheld`).
"""

import threading
import time
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    BindParameter,
    ColumnElement,
    Executable,
    Numeric,
    and_,
    bindparam,
    case,
    cast,
    func,
    select,
    true,
)
from sqlalchemy.orm import InstrumentedAttribute, Session

from backend.db import AnyRow, AnySelect
from backend.models import IndexedBlock
from backend.models.base import UINT256_DIGITS
from backend.models.challenges import (
    Challenge,
    ChallengeAcceptance,
    ChallengeAward,
    ChallengeContribution,
    ChallengeRefusal,
    ChallengeSubmission,
    ChallengeTeam,
    ChallengeTeamPayout,
)
from backend.models.microtasks import (
    MicrotaskBatch,
    MicrotaskOnchainResult,
    MicrotaskRedemption,
    MicrotaskResult,
    MicrotaskReview,
    MicrotaskVoucher,
)
from backend.schemas.profiles import ProfileOut, RequesterStats, SeekerStats, SolverStats, TokenAmounts, WorkerStats

SLICE_DIGITS = 13
SLICES = UINT256_DIGITS // SLICE_DIGITS


def get_profile(session: Session, address: str) -> ProfileOut:
    """The profile of `address` (checksummed, as the tables store addresses)."""
    return ProfileOut(
        address=address,
        seeker=seeker_stats(session, address),
        solver=solver_stats(session, address),
        requester=requester_stats(session, address),
        worker=worker_stats(session, address),
    )


# The last indexed block of each (chain, stream). The challenge tables the seeker and solver
# sides aggregate are written only by the indexer, in the transaction that advances the stream,
# and are a function of the chain up to that block, reorgs included (a rewind ends on the fork
# block): while these heads stay the same, so do those two sides.
_LATEST = (
    select(IndexedBlock.chain_id, IndexedBlock.stream, func.max(IndexedBlock.number).label("number"))
    .group_by(IndexedBlock.chain_id, IndexedBlock.stream)
    .subquery()
)
_HEADS = (
    select(IndexedBlock.chain_id, IndexedBlock.stream, IndexedBlock.number, IndexedBlock.hash)
    .join(
        _LATEST,
        and_(
            IndexedBlock.chain_id == _LATEST.c.chain_id,
            IndexedBlock.stream == _LATEST.c.stream,
            IndexedBlock.number == _LATEST.c.number,
        ),
    )
    .order_by(IndexedBlock.chain_id, IndexedBlock.stream)
)
IndexedHeads = tuple[tuple[Any, ...], ...]


def indexed_heads(session: Session) -> IndexedHeads:
    """(chain id, stream, number, hash) of the last block each indexer stream indexed."""
    return tuple(tuple(row) for row in session.connection().execute(_HEADS).all())


@dataclass(frozen=True)
class _CachedProfile:
    computed_at: float
    heads: IndexedHeads  # of the seeker and solver sides
    profile: ProfileOut


class ProfileCache:
    """Profiles computed at most once per `ttl_s` seconds per address, per backend process.

    A profile aggregates an address's whole history (about 18 queries, 30-100 ms of CPU for
    an active seeker); so a popular profile costs one computation per period instead of one
    per request. When the period ends, the seeker and solver sides (the costly ones, from
    indexed challenge events only) are reused as long as the indexed heads have not moved;
    the requester and worker sides, which include messages posted to the API, are recomputed.
    `ttl_s` 0 turns the cache off. Bounded: the least recently computed entries are dropped first.
    """

    def __init__(self, ttl_s: float, max_entries: int = 10_000) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._entries: OrderedDict[str, _CachedProfile] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, session: Session, address: str) -> ProfileOut:
        if self.ttl_s <= 0:
            return get_profile(session, address)
        now = time.monotonic()
        with self._lock:
            cached = self._entries.get(address)
        if cached is not None and now - cached.computed_at < self.ttl_s:
            return cached.profile
        # Computed outside the lock, so requests for other addresses go on meanwhile. The heads
        # are read first: sides read after them are at least as recent as the key they get.
        heads = indexed_heads(session)
        if cached is not None and cached.heads == heads:
            seeker, solver = cached.profile.seeker, cached.profile.solver
        else:
            seeker, solver = seeker_stats(session, address), solver_stats(session, address)
        profile = ProfileOut(
            address=address,
            seeker=seeker,
            solver=solver,
            requester=requester_stats(session, address),
            worker=worker_stats(session, address),
        )
        with self._lock:
            self._entries[address] = _CachedProfile(now, heads, profile)
            self._entries.move_to_end(address)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return profile


# ---------------------------------------------------------------- exact uint256 sums


def _sum_parts(column: Any, dialect: str) -> tuple[ColumnElement[Any], ...]:
    """The exact SUM of a Uint256 column, as aggregates `_joined` puts back together:
    PostgreSQL sums NUMERIC exactly; SQLite sums 13-digit slices (NULLs count as nothing)."""
    if dialect == "postgresql":
        return (func.sum(cast(column, Numeric(UINT256_DIGITS, 0))),)
    return tuple(
        func.sum(cast(func.substr(column, 1 + index * SLICE_DIGITS, SLICE_DIGITS), BigInteger))
        for index in range(SLICES)
    )


def _width(session: Session) -> tuple[str, int]:
    """The dialect's name and how many aggregates one `_sum_parts` is."""
    dialect = session.get_bind().dialect.name
    return dialect, 1 if dialect == "postgresql" else SLICES


def _joined(parts: Sequence[Any]) -> int:
    if len(parts) == 1:
        return int(parts[0] or 0)
    total = 0
    for part in parts:
        total = total * 10**SLICE_DIGITS + int(part or 0)
    return total


def _amounts(totals: dict[str, int]) -> TokenAmounts:
    return {token: str(totals[token]) for token in sorted(totals)}


def _flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """1 where `condition` holds, for SUM: counts within one aggregate query."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _count_where(rows: Iterable[Sequence[Any]]) -> tuple[int, ...]:
    (row,) = rows
    return tuple(int(value or 0) for value in row)


# ---------------------------------------------------------------- prebuilt statements

# Every statement below takes the address as this parameter and is built once per dialect:
# building (and cache-keying) these aggregates cost more than running them.
_ADDRESS: BindParameter[str] = bindparam("address")


def _rows(session: Session, statement: Executable, address: str, **params: Any) -> Sequence[AnyRow]:
    """The rows of a prebuilt statement for `address`, read on the session's connection."""
    return session.connection().execute(statement, {"address": address, **params}).all()


# ---------------------------------------------------------------- challenges


@cache
def _seeker_statements(dialect: str) -> tuple[AnySelect, AnySelect, AnySelect]:
    """Per (token, state) totals of the seeker's challenges; refunds per token; refusals."""
    on_time = and_(
        Challenge.state == "settled",
        Challenge.settled_by == Challenge.seeker,
        Challenge.closed_at <= Challenge.evaluation_deadline,
    )
    totals = (
        select(
            Challenge.token,
            Challenge.state,
            func.count(),
            _flag(on_time),
            *_sum_parts(Challenge.funded, dialect),
            *_sum_parts(Challenge.awarded, dialect),
            *_sum_parts(Challenge.share_pool, dialect),
        )
        .where(Challenge.seeker == _ADDRESS)
        .group_by(Challenge.token, Challenge.state)
    )
    refunds = (
        select(Challenge.token, func.count(), *_sum_parts(ChallengeContribution.refund_amount, dialect))
        .join(ChallengeContribution, ChallengeContribution.challenge_pk == Challenge.id)
        .where(Challenge.seeker == _ADDRESS, ChallengeContribution.refunded == true())
        .group_by(Challenge.token)
    )
    refusals = (
        select(
            func.count(),
            _flag(ChallengeRefusal.disputed_at.is_not(None)),
            _flag(ChallengeRefusal.overturned == true()),
        )
        .join(Challenge, Challenge.id == ChallengeRefusal.challenge_pk)
        .where(Challenge.seeker == _ADDRESS)
    )
    return totals, refunds, refusals


def seeker_stats(session: Session, address: str) -> SeekerStats:
    dialect, width = _width(session)
    totals, refunds_per_token, refusals = _seeker_statements(dialect)
    by_state: dict[str, int] = defaultdict(int)
    funded: dict[str, int] = defaultdict(int)
    awarded: dict[str, int] = defaultdict(int)
    settled_funded: dict[str, int] = defaultdict(int)
    settled_paid: dict[str, int] = defaultdict(int)
    evaluated_on_time = 0
    for token, state, count, on_time_count, *sums in _rows(session, totals, address):
        by_state[state] += count
        evaluated_on_time += int(on_time_count)
        token_funded = _joined(sums[:width])
        token_awarded = _joined(sums[width : 2 * width])
        funded[token] += token_funded
        awarded[token] += token_awarded
        if state == "settled":
            settled_funded[token] += token_funded
            settled_paid[token] += token_awarded + _joined(sums[2 * width :])

    refunds: dict[str, int] = {}
    refunded_contributions = 0
    for token, count, *sums in _rows(session, refunds_per_token, address):
        refunded_contributions += count
        refunds[token] = _joined(sums)

    made, disputed, overturned = _count_where(_rows(session, refusals, address))
    return SeekerStats(
        challenges_created=sum(by_state.values()),
        open=by_state["open"],
        settled=by_state["settled"],
        cancelled=by_state["cancelled"],
        funded=_amounts(funded),
        awarded=_amounts(awarded),
        paid_ratio={
            token: settled_paid[token] / settled_funded[token]
            for token in sorted(settled_funded)
            if settled_funded[token]
        },
        evaluated_on_time=evaluated_on_time,
        settled_by_default=by_state["settled"] - evaluated_on_time,
        refunded_contributions=refunded_contributions,
        refunded=_amounts(refunds),
        refusals_made=made,
        refusals_disputed=disputed,
        refusals_overturned=overturned,
    )


@cache
def _per_token_statement(
    amount: InstrumentedAttribute[Any], address_column: InstrumentedAttribute[str], dialect: str
) -> AnySelect:
    model = address_column.class_
    return (
        select(Challenge.token, func.count(amount), *_sum_parts(amount, dialect))
        .join(Challenge, Challenge.id == model.challenge_pk)
        .where(address_column == _ADDRESS)
        .group_by(Challenge.token)
    )


def _per_token(
    session: Session, amount: InstrumentedAttribute[Any], address_column: InstrumentedAttribute[str], address: str
) -> tuple[int, dict[str, int]]:
    """(rows, sum of `amount` per token) of a challenge child table's rows naming `address`."""
    dialect, _ = _width(session)
    count = 0
    totals: dict[str, int] = {}
    for token, token_count, *sums in _rows(session, _per_token_statement(amount, address_column, dialect), address):
        count += token_count
        if token_count:
            totals[token] = _joined(sums)
    return count, totals


_TERMS_ACCEPTED = select(func.count()).select_from(ChallengeAcceptance).where(ChallengeAcceptance.solver == _ADDRESS)
_SUBMISSIONS = select(func.count()).select_from(ChallengeSubmission).where(ChallengeSubmission.entrant == _ADDRESS)
_DISPUTED = ChallengeRefusal.disputed_at.is_not(None)
_REFUSALS_SUFFERED = select(
    func.count(),
    _flag(and_(_DISPUTED, ChallengeRefusal.overturned == true())),
    _flag(and_(_DISPUTED, ChallengeRefusal.overturned.is_(False))),
).where(ChallengeRefusal.entrant == _ADDRESS)
# Members (leader first) are a JSON list; every member accepted the terms first, so the
# teams to look at are those of the challenges the address accepted.
_ACCEPTED_TEAMS = (
    select(ChallengeTeam.members, ChallengeTeam.confirmed_mask)
    .join(ChallengeAcceptance, ChallengeAcceptance.challenge_pk == ChallengeTeam.challenge_pk)
    .where(ChallengeAcceptance.solver == _ADDRESS, ChallengeTeam.disbanded.is_(False))
)


def solver_stats(session: Session, address: str) -> SolverStats:
    ((accepted,),) = _rows(session, _TERMS_ACCEPTED, address)
    ((submissions,),) = _rows(session, _SUBMISSIONS, address)
    awards_won, awarded = _per_token(session, ChallengeAward.amount, ChallengeAward.entrant, address)
    default_shares, shares = _per_token(session, ChallengeSubmission.share_amount, ChallengeSubmission.entrant, address)
    _, team_payouts = _per_token(session, ChallengeTeamPayout.amount, ChallengeTeamPayout.member, address)
    suffered, won, lost = _count_where(_rows(session, _REFUSALS_SUFFERED, address))
    teams = _rows(session, _ACCEPTED_TEAMS, address)
    memberships = sum(1 for members, mask in teams if address in members and mask >> members.index(address) & 1)
    return SolverStats(
        terms_accepted=accepted or 0,
        submissions=submissions or 0,
        awards_won=awards_won,
        awarded=_amounts(awarded),
        default_shares=default_shares,
        shares=_amounts(shares),
        team_payouts=_amounts(team_payouts),
        refusals_suffered=suffered,
        disputes_won=won,
        disputes_lost=lost,
        team_memberships=memberships,
    )


# ---------------------------------------------------------------- micro-tasks

_REJECTED_ON_CHAIN = MicrotaskOnchainResult.reason_hash.is_not(None)
_APPROVED_ON_CHAIN = MicrotaskOnchainResult.state == "approved"

_REVIEWS_OF_REQUESTER = (
    select(_flag(MicrotaskReview.approved == true()), _flag(MicrotaskReview.approved.is_(False)))
    .join(MicrotaskBatch, MicrotaskBatch.id == MicrotaskReview.batch_pk)
    .where(MicrotaskBatch.requester == _ADDRESS)
)
_ONCHAIN_RESULTS_OF_REQUESTER = (
    select(
        _flag(_APPROVED_ON_CHAIN),
        _flag(_REJECTED_ON_CHAIN),
        _flag(and_(_APPROVED_ON_CHAIN, _REJECTED_ON_CHAIN)),
    )
    .join(MicrotaskBatch, MicrotaskBatch.id == MicrotaskOnchainResult.batch_pk)
    .where(MicrotaskBatch.requester == _ADDRESS)
)


@cache
def _requester_statements(dialect: str) -> tuple[AnySelect, AnySelect]:
    """Per (token, state) totals of the requester's batches; its vouchers per token."""
    batches = (
        select(
            MicrotaskBatch.token,
            MicrotaskBatch.state,
            func.count(),
            *_sum_parts(MicrotaskBatch.escrowed, dialect),
            *_sum_parts(MicrotaskBatch.reclaimed, dialect),
        )
        .where(MicrotaskBatch.requester == _ADDRESS)
        .group_by(MicrotaskBatch.token, MicrotaskBatch.state)
    )
    latest = (
        select(MicrotaskBatch.token, func.max(MicrotaskVoucher.cumulative_amount).label("amount"))
        .join(MicrotaskBatch, MicrotaskBatch.id == MicrotaskVoucher.batch_pk)
        .where(MicrotaskBatch.requester == _ADDRESS)
        .group_by(MicrotaskBatch.token, MicrotaskVoucher.batch_pk, MicrotaskVoucher.worker)
        .subquery()
    )
    vouchers = select(latest.c.token, *_sum_parts(latest.c.amount, dialect)).group_by(latest.c.token)
    return batches, vouchers


def requester_stats(session: Session, address: str) -> RequesterStats:
    dialect, width = _width(session)
    batches_per_token, vouchers_per_token = _requester_statements(dialect)
    batches = 0
    closed = 0
    escrowed: dict[str, int] = defaultdict(int)
    reclaimed: dict[str, int] = defaultdict(int)
    for token, state, count, *sums in _rows(session, batches_per_token, address):
        batches += count
        closed += count if state == "closed" else 0
        escrowed[token] += _joined(sums[:width])
        if state == "closed":
            reclaimed[token] += _joined(sums[width:])

    approved_off, rejected_off = _count_where(_rows(session, _REVIEWS_OF_REQUESTER, address))
    approved_on, rejected_on, overturned = _count_where(_rows(session, _ONCHAIN_RESULTS_OF_REQUESTER, address))
    vouchers = {token: _joined(sums) for token, *sums in _rows(session, vouchers_per_token, address)}
    return RequesterStats(
        batches_funded=batches,
        batches_closed=closed,
        escrowed=_amounts(escrowed),
        tasks_approved=approved_off + approved_on,
        tasks_rejected=rejected_off + rejected_on,
        rejections_overturned=overturned,
        vouchers_issued=_amounts(vouchers),
        reclaimed=_amounts(reclaimed),
    )


_OFFCHAIN_RESULTS_OF_WORKER = select(
    func.count(),
    _flag(MicrotaskResult.status == "approved"),
    _flag(MicrotaskResult.status == "rejected"),
).where(MicrotaskResult.worker == _ADDRESS)
_ONCHAIN_RESULTS_OF_WORKER = select(
    func.count(),
    _flag(_APPROVED_ON_CHAIN),
    _flag(MicrotaskOnchainResult.state == "rejection_upheld"),
    _flag(MicrotaskOnchainResult.automatic == true()),
    _flag(and_(_APPROVED_ON_CHAIN, _REJECTED_ON_CHAIN)),
    _flag(MicrotaskOnchainResult.worker_won.is_(False)),
).where(MicrotaskOnchainResult.worker == _ADDRESS)
_OPEN_VOUCHERS_OF_WORKER = (
    select(MicrotaskVoucher.batch_pk, MicrotaskBatch.token, func.max(MicrotaskVoucher.cumulative_amount))
    .join(MicrotaskBatch, MicrotaskBatch.id == MicrotaskVoucher.batch_pk)
    .where(MicrotaskVoucher.worker == _ADDRESS, MicrotaskBatch.state == "open")
    .group_by(MicrotaskVoucher.batch_pk, MicrotaskBatch.token)
)
_PAID_TO_WORKER = (
    select(MicrotaskRedemption.batch_pk, func.max(MicrotaskRedemption.cumulative_amount))
    .where(
        MicrotaskRedemption.worker == _ADDRESS,
        MicrotaskRedemption.batch_pk.in_(bindparam("batch_pks", expanding=True)),
    )
    .group_by(MicrotaskRedemption.batch_pk)
)


@cache
def _redeemed_statement(dialect: str) -> AnySelect:
    return (
        select(MicrotaskBatch.token, *_sum_parts(MicrotaskRedemption.paid, dialect))
        .join(MicrotaskBatch, MicrotaskBatch.id == MicrotaskRedemption.batch_pk)
        .where(MicrotaskRedemption.worker == _ADDRESS)
        .group_by(MicrotaskBatch.token)
    )


def worker_stats(session: Session, address: str) -> WorkerStats:
    dialect, _ = _width(session)
    submitted_off, approved_off, rejected_off = _count_where(_rows(session, _OFFCHAIN_RESULTS_OF_WORKER, address))
    submitted_on, approved_on, upheld, automatic, won, lost = _count_where(
        _rows(session, _ONCHAIN_RESULTS_OF_WORKER, address)
    )
    redeemed = {token: _joined(sums) for token, *sums in _rows(session, _redeemed_statement(dialect), address)}
    approved = approved_off + approved_on
    rejected = rejected_off + upheld
    return WorkerStats(
        results_submitted=submitted_off + submitted_on,
        results_approved=approved,
        results_rejected=rejected,
        approval_rate=approved / (approved + rejected) if approved + rejected else None,
        auto_approvals=automatic,
        disputes_won=won,
        disputes_lost=lost,
        redeemed=_amounts(redeemed),
        pending_vouchers=_amounts(_pending_vouchers(session, address)),
    )


def _pending_vouchers(session: Session, address: str) -> dict[str, int]:
    """Per token: the worker's latest voucher of each open batch minus what that batch paid it."""
    vouchered = _rows(session, _OPEN_VOUCHERS_OF_WORKER, address)
    if not vouchered:
        return {}
    open_batches = [batch_pk for batch_pk, _, _ in vouchered]
    paid: dict[int, int] = dict(_rows(session, _PAID_TO_WORKER, address, batch_pks=open_batches))
    pending: dict[str, int] = defaultdict(int)
    for batch_pk, token, amount in vouchered:
        left = int(amount) - int(paid.get(batch_pk) or 0)
        if left > 0:
            pending[token] += left
    return pending
