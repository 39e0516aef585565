"""GET /api/profiles/{address} on both databases, from history made on the real chain and
indexed with the real projections: seekers who evaluate on time or let the default settle,
solvers who win an award or a dispute, workers reviewed off chain, and addresses without history."""

from typing import Any

from challenges_support import CONDITIONAL, DAY, ChallengeChain
from microtask_support import ADDRESSES, BONUS_POOL, REQUESTER, REWARD, TASK_COUNT, WORKER1, WORKER3, Market
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from web3 import Web3

from backend.models import IndexedBlock
from backend.services.profiles import ProfileCache, get_profile
from backend.services.storage.cid import bytes_cid

ETHER = 10**18
ETH = "0x" + "0" * 40


def _profile(market: Market, address: str) -> dict[str, Any]:
    response = market.client.get(f"/api/profiles/{address}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_seekers_and_solvers_on_time_by_default_awards_and_a_won_dispute(
    market: Market, w3: Web3, escrows: Any
) -> None:
    chain = ChallengeChain(w3, escrows)
    accounts = w3.eth.accounts
    seeker_on_time, seeker_by_default, winner, disputer, other, arbiter = 0, 1, 2, 3, 4, 6
    evaluated = chain.create(sender=seeker_on_time)
    defaulted = chain.create(sender=seeker_by_default, kind=CONDITIONAL, slots=(2 * ETHER,), arbiter=accounts[arbiter])
    chain.accept(evaluated, winner)
    chain.submit(evaluated, winner, bytes(bytes_cid(b"winning idea")))
    for solver in (disputer, other):
        chain.accept(defaulted, solver)
        chain.submit(defaulted, solver, bytes(bytes_cid(bytes([solver]))))
    chain.pass_time(7 * DAY + 1)  # evaluation

    chain.send(chain.escrow.functions.award(evaluated, accounts[winner], 0, ETHER), seeker_on_time)
    chain.send(chain.escrow.functions.closeEvaluation(evaluated), seeker_on_time)
    fee = int(chain.escrow.functions.arbitrationFee(defaulted).call())
    chain.send(chain.escrow.functions.declareCriteriaUnmet(defaulted, accounts[disputer]), seeker_by_default, fee)
    chain.send(chain.escrow.functions.disputeRefusal(defaulted), disputer, fee)
    chain.send(chain.escrow.functions.ruleOnDispute(defaulted, accounts[disputer], True), arbiter)
    chain.pass_time(28 * DAY + 1)  # past the evaluation deadline and the arbiter's decision period
    chain.send(chain.escrow.functions.settle(defaulted), 5)
    for solver in (disputer, other):
        chain.send(chain.escrow.functions.claimShare(defaulted, accounts[solver]), 5)
    market.index()

    on_time = _profile(market, accounts[seeker_on_time].lower())
    assert on_time["address"] == accounts[seeker_on_time]
    assert on_time["seeker"] | {"funded": None} == {
        "challenges_created": 1,
        "open": 0,
        "settled": 1,
        "cancelled": 0,
        "funded": None,
        "awarded": {ETH: str(ETHER)},
        "paid_ratio": {ETH: 1.0},
        "evaluated_on_time": 1,
        "settled_by_default": 0,
        "refunded_contributions": 0,
        "refunded": {},
        "refusals_made": 0,
        "refusals_disputed": 0,
        "refusals_overturned": 0,
    }
    by_default = _profile(market, accounts[seeker_by_default])["seeker"]
    assert (by_default["evaluated_on_time"], by_default["settled_by_default"]) == (0, 1)
    assert (by_default["funded"], by_default["awarded"], by_default["paid_ratio"]) == (
        {ETH: str(2 * ETHER)},
        {ETH: "0"},
        {ETH: 1.0},  # the default split paid it all out in shares
    )
    assert (by_default["refusals_made"], by_default["refusals_disputed"], by_default["refusals_overturned"]) == (
        1,
        1,
        1,
    )

    won = _profile(market, accounts[winner])["solver"]
    assert won == {
        "terms_accepted": 1,
        "submissions": 1,
        "awards_won": 1,
        "awarded": {ETH: str(ETHER)},
        "default_shares": 0,
        "shares": {},
        "team_payouts": {},
        "refusals_suffered": 0,
        "disputes_won": 0,
        "disputes_lost": 0,
        "team_memberships": 0,
    }
    refused_then_won = _profile(market, accounts[disputer])["solver"]
    assert (refused_then_won["refusals_suffered"], refused_then_won["disputes_won"]) == (1, 1)
    assert refused_then_won["disputes_lost"] == 0
    assert (refused_then_won["default_shares"], refused_then_won["shares"]) == (1, {ETH: str(ETHER)})
    assert refused_then_won["awards_won"] == 0
    # Sides the address never took stay at zero.
    assert _profile(market, accounts[winner])["seeker"]["challenges_created"] == 0
    assert _profile(market, accounts[seeker_on_time])["solver"]["terms_accepted"] == 0


def test_a_worker_with_approvals_and_a_rejection_and_their_requester(market: Market) -> None:
    api = market.client
    batch_id = market.fund()
    market.index()
    for task_index, worker in ((0, WORKER1), (1, WORKER3), (2, WORKER1)):
        claimed = api.post(f"/api/batches/{batch_id}/claims", json=market.claim(batch_id, task_index, worker))
        assert claimed.status_code == 201, claimed.text
        submitted = api.post(f"/api/batches/{batch_id}/results", json=market.result(batch_id, task_index, worker))
        assert submitted.status_code == 201, submitted.text
    for review in (
        market.review(batch_id, 0, WORKER1, approved=True),
        market.review(batch_id, 1, WORKER3, approved=True),
        market.review(batch_id, 2, WORKER1, approved=False, reason="not a cat"),
    ):
        assert api.post(f"/api/batches/{batch_id}/reviews", json=review).status_code == 201
    for body in (market.voucher(batch_id, WORKER1, REWARD), market.voucher(batch_id, WORKER3, REWARD)):
        assert api.post(f"/api/batches/{batch_id}/vouchers", json=body).status_code == 201
    signature = market.voucher_signature(batch_id, WORKER3, REWARD)
    market.transact(market.escrow.functions.redeemVoucher(batch_id, ADDRESSES[WORKER3], REWARD, signature), WORKER3)
    market.index()

    worker = _profile(market, ADDRESSES[WORKER1])["worker"]
    assert worker == {
        "results_submitted": 2,
        "results_approved": 1,
        "results_rejected": 1,
        "approval_rate": 0.5,
        "auto_approvals": 0,
        "disputes_won": 0,
        "disputes_lost": 0,
        "redeemed": {},
        "pending_vouchers": {ETH: str(REWARD)},
    }
    paid = _profile(market, ADDRESSES[WORKER3])["worker"]
    assert (paid["approval_rate"], paid["redeemed"], paid["pending_vouchers"]) == (1.0, {ETH: str(REWARD)}, {})
    requester = _profile(market, ADDRESSES[REQUESTER])["requester"]
    assert requester == {
        "batches_funded": 1,
        "batches_closed": 0,
        "escrowed": {ETH: str(REWARD * TASK_COUNT + BONUS_POOL)},
        "tasks_approved": 2,
        "tasks_rejected": 1,
        "rejections_overturned": 0,
        "vouchers_issued": {ETH: str(2 * REWARD)},
        "reclaimed": {},
    }


def test_an_address_without_history_has_zeros_and_a_malformed_one_is_refused(market: Market) -> None:
    stranger = "0x" + "ab" * 20
    profile = _profile(market, stranger)
    assert profile["address"] == Web3.to_checksum_address(stranger)
    for side in ("seeker", "solver", "requester", "worker"):
        for name, value in profile[side].items():
            assert value in (0, {}, None), (side, name, value)
    assert profile["worker"]["approval_rate"] is None
    for malformed in ("0x1234", "0x" + "g" * 40, "ab" * 21):
        response = market.client.get(f"/api/profiles/{malformed}")
        assert response.status_code == 422, malformed
        assert response.json()["detail"][0]["loc"] == ["path", "address"]


def test_profiles_are_computed_once_per_period_and_the_cache_is_bounded(engine: Engine) -> None:
    first, second, third = (f"0x{digit * 40}" for digit in "123")
    with Session(engine) as session:
        cached = ProfileCache(ttl_s=3600, max_entries=2)
        assert cached.get(session, first) is cached.get(session, first)  # one computation
        cached.get(session, second)
        cached.get(session, third)  # the least recently computed (first) is dropped
        assert list(cached._entries) == [second, third]
        uncached = ProfileCache(ttl_s=0)
        assert uncached.get(session, first) is not uncached.get(session, first)
        assert uncached.get(session, first) == get_profile(session, first)


def test_after_the_period_the_challenge_sides_are_reused_until_the_indexed_head_moves(engine: Engine) -> None:
    address = "0x" + "4" * 40
    with Session(engine) as session:
        cache = ProfileCache(ttl_s=1e-9)  # every request is past the period
        first = cache.get(session, address)
        again = cache.get(session, address)
        assert again is not first and again == first
        assert again.seeker is first.seeker and again.solver is first.solver  # heads unchanged
        assert again.requester is not first.requester  # off-chain messages: recomputed
        session.add(
            IndexedBlock(
                chain_id=1337, stream="main", number=10**9, hash="0x" + "ab" * 32, parent_hash="0x" + "cd" * 32
            )
        )
        session.commit()
        moved = cache.get(session, address)
        assert moved.seeker is not again.seeker and moved.solver is not again.solver
        assert moved == get_profile(session, address)
