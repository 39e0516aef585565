"""The commands that go through the backend (client/api.py), against the real API served over
HTTP with its indexer: the micro-task fast path and the lists."""

import json
from pathlib import Path

from conftest import Backend, Bounty, Platform, write_challenge
from test_cli_microtasks import REQUESTER, REWARD, WORKER, _batch

from client.wallets import dev_account


def test_worker_claims_submits_is_reviewed_and_redeems_the_voucher(
    bounty: Bounty, platform: Platform, backend: Backend, tmp_path: Path
) -> None:
    batch_id, _ = _batch(bounty, tmp_path, tasks=4)
    backend.index()
    assert [b["batch_id"] for b in bounty.json("work", "find")] == [int(batch_id)]
    assert [t["status"] for t in bounty.json("work", "tasks", batch_id)] == ["open"] * 4
    answer = tmp_path / "answer.txt"
    answer.write_text("a cat")
    for task in ("0", "1", "2"):
        bounty.json("work", "claim", batch_id, task, "--account", WORKER)
        bounty.ok("work", "submit", batch_id, task, str(answer), "--account", WORKER)
    bounty.fails("work", "claim", batch_id, "0", "--account", REQUESTER, code=4, says="409")
    pending = bounty.json("batch", "results", batch_id, "--status", "pending")
    assert [r["task_index"] for r in pending] == [0, 1, 2]
    worker = dev_account(6).address
    reviews = tmp_path / "reviews.jsonl"
    reviews.write_text(
        json.dumps({"task_index": 0, "worker": worker, "approved": True, "bonus": "0.0005"})
        + "\n"
        + json.dumps({"task_index": 1, "worker": worker, "approved": False, "reason": "blurry"})
        + "\n"
    )
    bounty.ok("batch", "review", batch_id, "--file", str(reviews), "--account", REQUESTER)
    asked = bounty.ok("batch", "review", batch_id, "--account", REQUESTER, input="reject\nsmudged\n")
    assert "task 2 of" in asked.stdout and "rejected (smudged)" in asked.stdout
    assert bounty.json("batch", "results", batch_id, "--status", "pending") == []
    rejected = bounty.json("batch", "results", batch_id, "--status", "rejected")
    assert sorted(r["task_index"] for r in rejected) == [1, 2]
    bounty.ok("batch", "pay", batch_id, worker, "0.0015", "--account", REQUESTER)
    bounty.fails("batch", "pay", batch_id, worker, "0.0015", "--account", REQUESTER, code=4, says="replay")
    backend.index()
    vouchers = bounty.json("work", "vouchers", "--account", WORKER)
    assert vouchers[0]["redeemable"] == str(REWARD * 3 // 2)
    before = platform.balance(6)
    bounty.ok("work", "redeem", "--account", WORKER)
    assert 0 < platform.balance(6) - before <= REWARD * 3 // 2
    backend.index()
    assert bounty.json("work", "vouchers", "--account", WORKER)[0]["redeemable"] == "0"


def test_challenge_list_and_project_room_open_to_solvers_who_accepted(
    bounty: Bounty, platform: Platform, backend: Backend, tmp_path: Path
) -> None:
    challenge_id = str(bounty.json("challenge", "create", str(write_challenge(tmp_path)), "--account", "dev:1")["id"])
    bounty.ok("challenge", "accept", challenge_id, "--account", "dev:2", "--yes")
    backend.index()
    listed = bounty.json("challenge", "list", "--status", "open", "--kind", "ideation")
    assert [(c["challenge_id"], c["acceptance_count"]) for c in listed] == [(int(challenge_id), 1)]
    assert bounty.json("challenge", "list", "--kind", "rfp") == []
    brief = tmp_path / "brief.pdf"
    brief.write_bytes(b"%PDF confidential data sheet")
    bounty.ok("challenge", "room-add", challenge_id, str(brief), "--account", "dev:1")
    bounty.fails("challenge", "room-add", challenge_id, str(brief), "--account", "dev:2", code=4, says="403")
    room = bounty.json("challenge", "room", challenge_id, "--account", "dev:2", "--download", str(tmp_path / "room"))
    assert [d["filename"] for d in room["documents"]] == ["brief.pdf"]
    assert (tmp_path / "room" / "brief.pdf").read_bytes() == b"%PDF confidential data sheet"
    bounty.fails("challenge", "room", challenge_id, "--account", "dev:3", code=4, says="acceptTerms")
