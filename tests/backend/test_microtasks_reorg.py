"""The micro-task projection after a reorg (evm_snapshot / evm_revert on the real chain):
orphaned redemptions, on-chain results and batches disappear, the new chain's events take
their place, and off-chain work on batches whose funding survived is kept."""

from eth_utils.crypto import keccak
from microtask_support import (
    ADDRESSES,
    REWARD,
    WORKER1,
    WORKER2,
    Market,
)
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.models import MicrotaskOnchainResult, MicrotaskRedemption


def _count(market: Market, model: type[MicrotaskRedemption] | type[MicrotaskOnchainResult]) -> int:
    with Session(market.engine) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_a_reorg_rewinds_redemptions_results_and_orphaned_batches(market: Market) -> None:
    api = market.client
    kept = market.fund()
    market.index()
    voucher = api.post(f"/api/batches/{kept}/vouchers", json=market.voucher(kept, WORKER1, REWARD))
    assert voucher.status_code == 201
    task = api.get(f"/api/batches/{kept}/tasks").json()["items"][0]

    snapshot = market.rpc("evm_snapshot")
    signature = bytes.fromhex(voucher.json()["signature"][2:])
    market.transact(market.escrow.functions.redeemVoucher(kept, ADDRESSES[WORKER1], REWARD, signature), WORKER1)
    submit = market.escrow.functions.submitResult(
        kept,
        0,
        bytes.fromhex(task["task_hash"][2:]),
        keccak(text="on-chain answer"),
        [bytes.fromhex(p[2:]) for p in task["proof"]],
        b"",
    )
    market.transact(submit, WORKER2)
    orphaned = market.fund()
    market.index()
    assert api.post(f"/api/batches/{orphaned}/claims", json=market.claim(orphaned, 0, WORKER2)).status_code == 201
    assert api.get(f"/api/batches/{kept}").json()["paid"] == str(REWARD)
    assert api.get(f"/api/batches/{kept}").json()["progress"]["onchain_results"] == 1
    assert (_count(market, MicrotaskRedemption), _count(market, MicrotaskOnchainResult)) == (1, 1)

    assert market.rpc("evm_revert", snapshot) is True
    replacing = market.fund(reward=3 * REWARD)
    assert replacing == orphaned  # the same id, different terms
    market.index()

    rewound = api.get(f"/api/batches/{kept}").json()
    assert (rewound["paid"], rewound["state"], rewound["progress"]["onchain_results"]) == ("0", "open", 0)
    assert (_count(market, MicrotaskRedemption), _count(market, MicrotaskOnchainResult)) == (0, 0)
    (latest,) = api.get(f"/api/workers/{ADDRESSES[WORKER1]}/vouchers").json()
    assert (latest["batch_id"], latest["redeemed"], latest["redeemable"]) == (kept, "0", str(REWARD))
    new = api.get(f"/api/batches/{replacing}").json()
    assert new["reward"] == str(3 * REWARD)
    # The claim on the orphaned batch went with it; the new batch's tasks are all open.
    assert {t["status"] for t in api.get(f"/api/batches/{replacing}/tasks").json()["items"]} == {"open"}


def test_a_reorg_above_a_batch_replays_its_surviving_events(market: Market) -> None:
    api = market.client
    batch_id = market.fund()
    for worker, amount in ((WORKER1, REWARD), (WORKER2, 2 * REWARD)):
        signature = market.voucher_signature(batch_id, worker, amount)
        market.transact(market.escrow.functions.redeemVoucher(batch_id, ADDRESSES[worker], amount, signature), worker)
    snapshot = market.rpc("evm_snapshot")
    signature = market.voucher_signature(batch_id, WORKER1, 3 * REWARD)
    market.transact(market.escrow.functions.redeemVoucher(batch_id, ADDRESSES[WORKER1], 3 * REWARD, signature), WORKER1)
    market.index()
    assert api.get(f"/api/batches/{batch_id}").json()["paid"] == str(5 * REWARD)

    market.rpc("evm_revert", snapshot)
    market.rpc("evm_mine")
    market.rpc("evm_mine")  # a longer chain without the last redemption
    market.index()

    assert api.get(f"/api/batches/{batch_id}").json()["paid"] == str(3 * REWARD)
    assert _count(market, MicrotaskRedemption) == 2
