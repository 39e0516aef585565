"""A whole batch on the real chain, IPFS node and both databases: funded with a manifest on
IPFS, indexed, worked through the API (claims with a timeout and a re-claim, results,
approvals with a bonus, a rejection), paid by vouchers (each announced to its worker) redeemed ON CHAIN with the signatures
the API stored, and closed."""

import time

from eth_utils.crypto import keccak
from microtask_support import (
    ADDRESSES,
    ASSIGNMENT_DURATION,
    BONUS_POOL,
    REQUESTER,
    REWARD,
    TASK_COUNT,
    WORKER1,
    WORKER2,
    WORKER3,
    Market,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.models import Notification
from backend.services.microtasks.service import load_new_manifests


def test_a_batch_is_worked_paid_by_redeemed_vouchers_and_closed(market: Market) -> None:
    api = market.client
    batch_id = market.fund()
    market.index()

    listed = api.get("/api/batches").json()
    assert [item["batch_id"] for item in listed["items"]] == [batch_id]
    batch = api.get(f"/api/batches/{batch_id}").json()
    assert batch["manifest_status"] == "verified"
    assert batch["metadata_status"] == "verified"
    assert batch["title"] == "Label cats"
    assert batch["escrowed"] == str(REWARD * TASK_COUNT + BONUS_POOL)
    assert batch["progress"]["tasks_open"] == TASK_COUNT
    tasks = api.get(f"/api/batches/{batch_id}/tasks").json()["items"]
    assert [t["task_index"] for t in tasks] == list(range(TASK_COUNT))
    assert tasks[2]["input"] == {"image": "cat-2.png", "question": "Is it a cat?"}

    # Worker 2 claims task 1 and lets the claim lapse; nobody else can take it meanwhile.
    taken = api.post(f"/api/batches/{batch_id}/claims", json=market.claim(batch_id, 1, WORKER2))
    assert taken.status_code == 201, taken.text
    assert taken.json()["expires_at"] - taken.json()["claimed_at"] == ASSIGNMENT_DURATION
    busy = api.post(f"/api/batches/{batch_id}/claims", json=market.claim(batch_id, 1, WORKER3))
    assert busy.status_code == 409
    assert "claimed by" in busy.json()["detail"]
    assert api.get(f"/api/batches/{batch_id}/tasks").json()["items"][1]["status"] == "claimed"
    time.sleep(ASSIGNMENT_DURATION + 1)
    assert api.get(f"/api/batches/{batch_id}/tasks").json()["items"][1]["status"] == "open"
    late = api.post(f"/api/batches/{batch_id}/results", json=market.result(batch_id, 1, WORKER2))
    assert late.status_code == 409

    # Task 1 re-claimed by worker 3; worker 1 takes tasks 0 and 2; all three results come in.
    for task_index, worker in ((1, WORKER3), (0, WORKER1), (2, WORKER1)):
        claimed = api.post(f"/api/batches/{batch_id}/claims", json=market.claim(batch_id, task_index, worker))
        assert claimed.status_code == 201, claimed.text
        submitted = api.post(f"/api/batches/{batch_id}/results", json=market.result(batch_id, task_index, worker))
        assert submitted.status_code == 201, submitted.text
    queue = api.get(f"/api/batches/{batch_id}/results", params={"status": "pending"}).json()["items"]
    assert [(r["task_index"], r["worker"]) for r in queue] == [
        (1, ADDRESSES[WORKER3]),
        (0, ADDRESSES[WORKER1]),
        (2, ADDRESSES[WORKER1]),
    ]

    # The requester approves two (one with a bonus) and rejects one, which frees its task.
    bonus = 5 * 10**14
    reviews = [
        market.review(batch_id, 0, WORKER1, approved=True, bonus=bonus),
        market.review(batch_id, 1, WORKER3, approved=True),
        market.review(batch_id, 2, WORKER1, approved=False, reason="not a cat"),
    ]
    for review in reviews:
        answer = api.post(f"/api/batches/{batch_id}/reviews", json=review)
        assert answer.status_code == 201, answer.text
    assert api.get(f"/api/batches/{batch_id}/results", params={"status": "pending"}).json()["items"] == []
    progress = api.get(f"/api/batches/{batch_id}").json()["progress"]
    assert progress | {"vouchered": None} == {
        "tasks_open": 2,
        "tasks_claimed": 0,
        "tasks_submitted": 0,
        "tasks_approved": 2,
        "results_pending": 0,
        "results_approved": 2,
        "results_rejected": 1,
        "onchain_results": 0,
        "vouchered": None,
    }
    assert api.get(f"/api/batches/{batch_id}/tasks").json()["items"][2]["status"] == "open"

    # Vouchers through the API; worker 1's first voucher is superseded by a larger one.
    owed = {WORKER1: REWARD + bonus, WORKER3: REWARD}
    for body in (
        market.voucher(batch_id, WORKER1, REWARD),
        market.voucher(batch_id, WORKER1, owed[WORKER1]),
        market.voucher(batch_id, WORKER3, owed[WORKER3]),
    ):
        issued = api.post(f"/api/batches/{batch_id}/vouchers", json=body)
        assert issued.status_code == 201, issued.text
    assert api.get(f"/api/batches/{batch_id}").json()["progress"]["vouchered"] == str(sum(owed.values()))
    with Session(market.engine) as session:
        issued_notes = session.execute(
            select(Notification.address, Notification.payload["cumulative_amount"].as_string())
            .where(Notification.kind == "voucher_issued")
            .order_by(Notification.id)
        ).all()
    assert issued_notes == [
        (ADDRESSES[WORKER1], str(REWARD)),
        (ADDRESSES[WORKER1], str(owed[WORKER1])),
        (ADDRESSES[WORKER3], str(owed[WORKER3])),
    ]

    # Each worker redeems ON CHAIN exactly what the API hands out.
    for worker, amount in owed.items():
        (latest,) = api.get(f"/api/workers/{ADDRESSES[worker]}/vouchers").json()
        assert (latest["cumulative_amount"], latest["redeemed"], latest["redeemable"]) == (
            str(amount),
            "0",
            str(amount),
        )
        before = market.w3.eth.get_balance(ADDRESSES[worker])
        redeem = market.escrow.functions.redeemVoucher(
            batch_id, ADDRESSES[worker], int(latest["cumulative_amount"]), bytes.fromhex(latest["signature"][2:])
        )
        market.transact(redeem, REQUESTER)  # anyone may relay; the money goes to the worker
        assert market.w3.eth.get_balance(ADDRESSES[worker]) - before == amount
    market.index()
    for worker, amount in owed.items():
        (latest,) = api.get(f"/api/workers/{ADDRESSES[worker]}/vouchers").json()
        assert (latest["redeemed"], latest["redeemable"]) == (str(amount), "0")
    assert api.get(f"/api/batches/{batch_id}").json()["paid"] == str(sum(owed.values()))
    stale = api.post(f"/api/batches/{batch_id}/vouchers", json=market.voucher(batch_id, WORKER3, REWARD))
    assert stale.status_code == 409

    # After expiry + 7 days the requester closes and reclaims the rest; vouchers are refused.
    batch = api.get(f"/api/batches/{batch_id}").json()
    market.sleep_chain(batch["expiry"] - market.chain_time() + 7 * 86400 + 1)
    market.transact(market.escrow.functions.closeBatch(batch_id), REQUESTER)
    market.index()
    closed = api.get(f"/api/batches/{batch_id}").json()
    assert closed["state"] == "closed"
    assert closed["reclaimed"] == str(REWARD * TASK_COUNT + BONUS_POOL - sum(owed.values()))
    assert api.get("/api/batches", params={"state": "open"}).json()["items"] == []
    refused = api.post(f"/api/batches/{batch_id}/vouchers", json=market.voucher(batch_id, WORKER1, 2 * REWARD))
    assert refused.status_code == 409
    assert "closed" in refused.json()["detail"]


def test_a_manifest_that_does_not_match_the_task_root_gives_no_tasks(market: Market) -> None:
    api = market.client
    batch_id = market.fund(taskRoot=keccak(text="another task list"))
    market.index()

    batch = api.get(f"/api/batches/{batch_id}").json()
    assert batch["manifest_status"] == "invalid"
    assert "is not the batch's" in batch["manifest_error"]
    assert batch["progress"]["tasks_open"] == 0
    assert api.get(f"/api/batches/{batch_id}/tasks").json()["items"] == []
    refused = api.post(f"/api/batches/{batch_id}/claims", json=market.claim(batch_id, 0, WORKER1))
    assert refused.status_code == 409
    assert "no verified tasks" in refused.json()["detail"]


def test_the_indexer_process_loads_new_manifests_so_lists_show_titles(market: Market) -> None:
    batch_id = market.fund()
    market.index()
    (listed,) = [b for b in market.client.get("/api/batches").json()["items"] if b["batch_id"] == batch_id]
    assert (listed["manifest_status"], listed["title"]) == ("pending", None)
    assert load_new_manifests(market.engine, market.ipfs) == 1
    (listed,) = [b for b in market.client.get("/api/batches").json()["items"] if b["batch_id"] == batch_id]
    assert listed["manifest_status"] == "verified"
    assert listed["title"]
    assert load_new_manifests(market.engine, market.ipfs) == 0  # nothing new: nothing fetched
