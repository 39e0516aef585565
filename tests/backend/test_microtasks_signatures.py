"""Signed messages the API must refuse, each with a clear 4xx: wrong signer, malformed or
malleable signatures, another chain or contract, expired, replayed; vouchers that decrease
or exceed the escrow; and plainly bad input."""

import time

from eth_abi.abi import encode
from eth_utils.crypto import keccak
from microtask_support import (
    ADDRESSES,
    BONUS_POOL,
    KEYS,
    REQUESTER,
    REWARD,
    STRANGER,
    TASK_COUNT,
    WORKER1,
    WORKER2,
    WORKER3,
    Market,
)

from backend.services.microtasks.manifest import allowlist_leaf, merkle_proofs
from backend.services.microtasks.typed_data import SECP256K1_N, qualification_message


def _high_s(signature: str) -> str:
    """The malleable twin: s' = n - s, v flipped (same signer, different bytes)."""
    raw = bytes.fromhex(signature[2:])
    s = int.from_bytes(raw[32:64], "big")
    return "0x" + (raw[:32] + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - raw[64]])).hex()


def test_claims_with_a_bad_signature_domain_or_deadline_are_refused(market: Market) -> None:
    api = market.client
    batch_id = market.fund()
    market.index()
    url = f"/api/batches/{batch_id}/claims"

    def refused(body: dict[str, object], status: int, words: str) -> None:
        answer = api.post(url, json=body)
        assert answer.status_code == status, answer.text
        assert words in answer.json()["detail"]

    refused(market.claim(batch_id, 0, WORKER1, signer=STRANGER), 403, f"not by the worker {ADDRESSES[WORKER1]}")
    good = market.claim(batch_id, 0, WORKER1)
    refused({**good, "signature": good["signature"][:-2]}, 400, "65 bytes")
    refused({**good, "signature": _high_s(good["signature"])}, 400, "malleable")
    refused({**good, "signature": good["signature"][:-2] + "01"}, 400, "v must be 27 or 28")
    refused({**good, "chain_id": 1}, 400, "this escrow is on chain 1337")
    refused({**good, "verifying_contract": ADDRESSES[STRANGER]}, 400, f"this escrow is {market.address}")
    # Signed for another chain but presented as ours: it recovers to somebody else.
    refused(market.claim(batch_id, 0, WORKER1, sign_chain_id=1), 403, "not by the worker")
    refused(market.claim(batch_id, 0, WORKER1, deadline=int(time.time()) - 1), 400, "expired")
    refused(market.claim(batch_id, TASK_COUNT, WORKER1), 404, f"no task {TASK_COUNT}")

    assert api.post(url, json=good).status_code == 201
    refused(good, 409, "replay")
    # Nothing above was stored: only the one good claim holds the task.
    tasks = api.get(f"/api/batches/{batch_id}/tasks").json()["items"]
    assert [(t["status"], t["claimed_by"]) for t in tasks[:2]] == [("claimed", ADDRESSES[WORKER1]), ("open", None)]


def test_reviews_must_come_from_the_requester_and_rejections_need_a_reason(market: Market) -> None:
    api = market.client
    batch_id = market.fund()
    market.index()
    assert api.post(f"/api/batches/{batch_id}/claims", json=market.claim(batch_id, 0, WORKER1)).status_code == 201
    assert api.post(f"/api/batches/{batch_id}/results", json=market.result(batch_id, 0, WORKER1)).status_code == 201
    url = f"/api/batches/{batch_id}/reviews"

    by_worker = api.post(url, json=market.review(batch_id, 0, WORKER1, approved=True, signer=WORKER1))
    assert by_worker.status_code == 403
    assert "requester" in by_worker.json()["detail"]
    no_reason = api.post(url, json=market.review(batch_id, 0, WORKER1, approved=False))
    assert no_reason.status_code == 400
    assert api.post(url, json=market.review(batch_id, 0, WORKER2, approved=True)).status_code == 404
    approval = market.review(batch_id, 0, WORKER1, approved=True, bonus=7)
    assert api.post(url, json=approval).status_code == 201
    assert api.post(url, json=approval).status_code == 409
    again = api.post(url, json=market.review(batch_id, 0, WORKER1, approved=False, reason="changed my mind"))
    assert again.status_code == 409
    assert "already approved" in again.json()["detail"]


def test_vouchers_never_decrease_never_exceed_the_escrow_and_name_the_requester(market: Market) -> None:
    api = market.client
    batch_id = market.fund()
    market.index()
    url = f"/api/batches/{batch_id}/vouchers"
    escrowed = REWARD * TASK_COUNT + BONUS_POOL

    def post(body: dict[str, object], status: int, words: str = "") -> None:
        answer = api.post(url, json=body)
        assert answer.status_code == status, answer.text
        assert words in answer.text

    post(market.voucher(batch_id, WORKER1, REWARD, signer=WORKER1), 403, "requester")
    good = market.voucher(batch_id, WORKER1, 2 * REWARD)
    post({**good, "signature": _high_s(good["signature"])}, 400, "malleable")
    post({**good, "verifying_contract": ADDRESSES[STRANGER]}, 400, "this escrow is")
    post({**good, "cumulative_amount": str(3 * REWARD)}, 403, "not by the batch's requester")
    post(good, 201)
    post(good, 409, "replay")
    post(market.voucher(batch_id, WORKER1, REWARD), 409, "never decrease")
    post(market.voucher(batch_id, WORKER2, escrowed - 2 * REWARD + 1), 409, "more than its escrow can pay")
    post(market.voucher(batch_id, WORKER2, escrowed - 2 * REWARD), 201)

    # The contract agrees: the stored voucher redeems, and a high-s twin would not have.
    (stored,) = api.get(f"/api/workers/{ADDRESSES[WORKER2]}/vouchers").json()
    redeem = market.escrow.functions.redeemVoucher(
        batch_id, ADDRESSES[WORKER2], int(stored["cumulative_amount"]), bytes.fromhex(stored["signature"][2:])
    )
    market.transact(redeem, WORKER2)
    market.index()
    (stored,) = api.get(f"/api/workers/{ADDRESSES[WORKER2]}/vouchers").json()
    assert stored["redeemable"] == "0"
    assert api.get(f"/api/batches/{batch_id}").json()["paid"] == str(escrowed - 2 * REWARD)


def test_bad_input_is_a_4xx_that_names_the_problem(market: Market) -> None:
    api = market.client
    batch_id = market.fund()
    market.index()

    assert api.get("/api/batches/999").status_code == 404
    assert api.get("/api/batches/0").status_code == 422
    assert api.get("/api/batches", params={"cursor": "not-a-cursor"}).status_code == 400
    assert api.get("/api/batches", params={"min_reward": "-1"}).status_code == 422
    assert api.get("/api/batches", params={"requester": "0x123"}).status_code == 422
    assert api.get("/api/workers/not-an-address/vouchers").status_code == 422
    claim = market.claim(batch_id, 0, WORKER1)
    for broken in (
        {**claim, "worker": "0x" + "zz" * 20},
        {**claim, "signature": "0xnothex"},
        {**claim, "task_index": -1},
        {key: value for key, value in claim.items() if key != "deadline"},
    ):
        answer = api.post(f"/api/batches/{batch_id}/claims", json=broken)
        assert answer.status_code == 422, answer.text
    result = market.result(batch_id, 0, WORKER1)
    answer = api.post(
        f"/api/batches/{batch_id}/results", json={**result, "result_hash": "0x" + keccak(b"x").hex()[:10]}
    )
    assert answer.status_code == 422


def test_batches_are_filtered_and_paged_with_a_cursor(market: Market) -> None:
    api = market.client
    cheap = market.fund()
    dear = market.fund(reward=3 * REWARD)
    third = market.fund()
    market.index()

    first = api.get("/api/batches", params={"limit": 2}).json()
    assert [b["batch_id"] for b in first["items"]] == [third, dear]
    rest = api.get("/api/batches", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert ([b["batch_id"] for b in rest["items"]], rest["next_cursor"]) == ([cheap], None)
    rich = api.get("/api/batches", params={"min_reward": str(2 * REWARD)}).json()["items"]
    assert [b["batch_id"] for b in rich] == [dear]
    mine = api.get("/api/batches", params={"requester": ADDRESSES[REQUESTER].lower(), "state": "open"}).json()
    assert len(mine["items"]) == 3
    assert api.get("/api/batches", params={"requester": ADDRESSES[WORKER1]}).json()["items"] == []
    paths = api.get("/openapi.json").json()["paths"]
    assert {"/api/batches", "/api/batches/{batch_id}/vouchers", "/api/workers/{address}/vouchers"} <= set(paths)
    assert "409" in paths["/api/batches/{batch_id}/claims"]["post"]["responses"]


def test_claims_on_qualified_batches_need_the_proof_the_contract_accepts(market: Market) -> None:
    api = market.client
    root, proofs = merkle_proofs([allowlist_leaf(ADDRESSES[WORKER1]), allowlist_leaf(ADDRESSES[WORKER2])])
    allowlisted = market.fund(qualificationKind=1, qualification=root)
    qualifier = ADDRESSES[STRANGER]
    vetted = market.fund(qualificationKind=2, qualification=b"\x00" * 12 + bytes.fromhex(qualifier[2:]))
    market.index()

    def claim(batch_id: int, task_index: int, worker: int, proof: bytes) -> int:
        body = market.claim(batch_id, task_index, worker, qualification_proof="0x" + proof.hex())
        return api.post(f"/api/batches/{batch_id}/claims", json=body).status_code

    worker1_proof = encode(["bytes32[]"], [proofs[0]])
    assert claim(allowlisted, 0, WORKER1, b"") == 403
    assert claim(allowlisted, 0, WORKER3, worker1_proof) == 403
    assert claim(allowlisted, 0, WORKER1, b"\x12\x34") == 403
    assert claim(allowlisted, 0, WORKER1, worker1_proof) == 201

    def qualification(worker: int, signer: int) -> bytes:
        message = qualification_message(market.chain_id, market.address, batch_id=vetted, worker=ADDRESSES[worker])
        return message.sign(KEYS[signer])

    assert claim(vetted, 0, WORKER3, qualification(WORKER3, WORKER3)) == 403
    assert claim(vetted, 0, WORKER2, qualification(WORKER3, STRANGER)) == 403
    accepted = qualification(WORKER2, STRANGER)
    assert claim(vetted, 0, WORKER2, accepted) == 201
    # The contract takes the same proof for the slow path.
    task = api.get(f"/api/batches/{vetted}/tasks").json()["items"][0]
    submit = market.escrow.functions.submitResult(
        vetted,
        0,
        bytes.fromhex(task["task_hash"][2:]),
        keccak(text="answer"),
        [bytes.fromhex(p[2:]) for p in task["proof"]],
        accepted,
    )
    market.transact(submit, WORKER2)
