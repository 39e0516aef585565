"""The requester's and the workers' on-chain journeys through `bounty`: funding a batch from a
task file, vouchers, and the slow path (results on chain, silence, rejection, dispute)."""

import json
from pathlib import Path

from conftest import Bounty, Platform

from backend.services.microtasks.manifest import task_hash
from client.wallets import dev_account

REQUESTER, WORKER, OTHER_WORKER, ARBITER = "dev:5", "dev:6", "dev:8", "dev:7"
REWARD = 10**15  # 0.001 ETH
DAY = 86_400


def _batch(bounty: Bounty, folder: Path, tasks: int = 10, **fields: str) -> tuple[str, Path]:
    spec = folder / "batch.md"
    front = {
        "title": "Label the pictures",
        "reward": "0.001",
        "bonus_pool": "0.002",
        "expiry": "+10d",
        "review_window": "2d",
        "arbiter": dev_account(7).address,
        **fields,
    }
    spec.write_text(
        "---\n" + "\n".join(f"{k}: {json.dumps(v)}" for k, v in front.items()) + "\n---\nSay what you see.\n"
    )
    task_file = folder / "tasks.csv"
    task_file.write_text("image,hint\n" + "".join(f"cat-{i}.png,animal\n" for i in range(tasks)))
    created = bounty.json("batch", "create", str(spec), "--tasks", str(task_file), "--account", REQUESTER)
    return str(created["id"]), task_file


def test_batch_from_csv_escrows_every_reward_and_lists_its_tasks(
    bounty: Bounty, platform: Platform, tmp_path: Path
) -> None:
    batch_id, _ = _batch(bounty, tmp_path)
    shown = bounty.json("batch", "show", batch_id)
    assert shown["task_count"] == 10 and shown["reward"] == str(REWARD)
    assert shown["available"] == str(10 * REWARD + 2 * 10**15)
    assert platform.w3.eth.get_balance(platform.microtask.address) == 12 * 10**15
    manifest = json.loads(bounty.ok("network", "--json").stdout)  # the same deployments
    assert manifest["contracts"]["MicrotaskEscrow"] == platform.microtask.address


def test_cumulative_voucher_pays_once(bounty: Bounty, platform: Platform, tmp_path: Path) -> None:
    batch_id, _ = _batch(bounty, tmp_path)
    worker = dev_account(6).address
    voucher = bounty.json("batch", "pay", batch_id, worker, "0.003", "--account", REQUESTER, "--sign-only")
    voucher_file = tmp_path / "voucher.json"
    voucher_file.write_text(json.dumps(voucher))
    before = platform.balance(6)
    bounty.ok("work", "redeem", "--voucher-file", str(voucher_file), "--account", OTHER_WORKER)  # anyone may relay
    assert platform.balance(6) - before == 3 * REWARD
    bounty.fails(
        "work", "redeem", "--voucher-file", str(voucher_file), "--account", WORKER, code=4, says="StaleVoucher"
    )
    forged = {**voucher, "cumulative_amount": str(10**16)}
    voucher_file.write_text(json.dumps(forged))
    bounty.fails(
        "work", "redeem", "--voucher-file", str(voucher_file), "--account", WORKER, code=4, says="InvalidVoucherSigner"
    )
    assert bounty.json("batch", "show", batch_id)["available"] == str(9 * 10**15)


def test_silent_requester_result_is_auto_approved(bounty: Bounty, platform: Platform, tmp_path: Path) -> None:
    batch_id, _ = _batch(bounty, tmp_path)
    result = tmp_path / "answer.txt"
    result.write_text("a cat")
    bounty.ok("work", "post", batch_id, "3", str(result), "--account", WORKER)
    worker = dev_account(6).address
    assert bounty.json("work", "status", batch_id, "3", worker)["state"] == "pending"
    bounty.fails("work", "auto-approve", batch_id, "3", "--account", WORKER, code=4, says="UTC")
    platform.time_travel(2 * DAY + 60)
    bounty.ok("work", "auto-approve", batch_id, "3", "--account", OTHER_WORKER, "--worker", worker)
    assert bounty.json("work", "status", batch_id, "3", worker)["state"] == "approved"
    credited = bounty.json("balance", "--account", WORKER)["withdrawable"]["MicrotaskEscrow"]
    assert credited == str(REWARD)
    bounty.ok("withdraw", "--account", WORKER)


def test_rejection_disputed_and_won_pays_the_worker_both_bonds(
    bounty: Bounty, platform: Platform, tmp_path: Path
) -> None:
    batch_id, _ = _batch(bounty, tmp_path)
    result = tmp_path / "answer.txt"
    result.write_text("a dog")
    worker = dev_account(8).address
    bounty.ok("work", "post", batch_id, "4", str(result), "--account", OTHER_WORKER)
    bounty.fails(
        "batch", "reject", batch_id, "4", worker, "wrong animal", "--account", WORKER, code=4, says="NotRequester"
    )
    bounty.ok("batch", "reject", batch_id, "4", worker, "wrong animal", "--account", REQUESTER)
    assert bounty.json("work", "status", batch_id, "4", worker)["state"] == "rejected"
    bounty.ok("work", "dispute", batch_id, "4", "--account", OTHER_WORKER)
    bounty.ok("batch", "rule", batch_id, "4", worker, "--worker-wins", "--account", ARBITER)
    # reward R + own bond 1R + the requester's bond 2R less the arbiter's fee 0.5R
    assert bounty.json("balance", "--account", OTHER_WORKER)["withdrawable"]["MicrotaskEscrow"] == str(
        35 * REWARD // 10
    )
    assert bounty.json("balance", "--account", ARBITER)["withdrawable"]["MicrotaskEscrow"] == str(REWARD // 2)


def test_close_after_grace_reclaims_what_is_left(bounty: Bounty, platform: Platform, tmp_path: Path) -> None:
    batch_id, _ = _batch(bounty, tmp_path)
    bounty.fails("batch", "close", batch_id, "--account", REQUESTER, code=4, says="UTC")
    platform.time_travel(17 * DAY + 60)
    before = platform.balance(5)
    bounty.ok("batch", "close", batch_id, "--account", REQUESTER)
    assert 0.99 * 12 * 10**15 < platform.balance(5) - before <= 12 * 10**15
    assert bounty.json("batch", "show", batch_id)["state"] == "closed"


def test_bad_task_files_and_amounts_change_nothing(bounty: Bounty, platform: Platform, tmp_path: Path) -> None:
    spec = tmp_path / "batch.yaml"
    spec.write_text("title: Bad\nreward: lots\n")
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text('{"q": 1}\n')
    bounty.fails(
        "batch",
        "create",
        str(spec),
        "--tasks",
        str(tasks),
        "--account",
        REQUESTER,
        code=2,
        says="'lots' is not an amount",
    )
    spec.write_text("title: Bad\nreward: '0.001'\n")
    tasks.write_text('{"q": 1}\n{"q": \n')
    bounty.fails(
        "batch",
        "create",
        str(spec),
        "--tasks",
        str(tasks),
        "--account",
        REQUESTER,
        code=2,
        says="tasks.jsonl:2 is not JSON",
    )
    tasks.write_text('{"q": 1.5}\n')
    bounty.fails(
        "batch", "create", str(spec), "--tasks", str(tasks), "--account", REQUESTER, code=2, says="without floats"
    )
    assert platform.w3.eth.get_balance(platform.microtask.address) == 0
    bounty.fails("batch", "show", "7", code=4, says="batch 7 does not exist")


def test_posted_result_proves_the_task_from_the_manifest(bounty: Bounty, platform: Platform, tmp_path: Path) -> None:
    batch_id, _ = _batch(bounty, tmp_path, tasks=5)
    result = tmp_path / "answer.txt"
    result.write_text("a cat")
    bounty.fails("work", "post", batch_id, "5", str(result), "--account", WORKER, code=2, says="tasks 0..4, not 5")
    bounty.ok("work", "post", batch_id, "2", str(result), "--account", WORKER)
    event = platform.microtask.events.ResultSubmitted().get_logs(from_block=0)[-1]["args"]
    assert event["taskHash"] == task_hash({"image": "cat-2.png", "hint": "animal"})
