"""Gas of paying micro-tasks through MicrotaskEscrow.

Run: `.venv/bin/brownie run scripts/bench_gas_microtask.py --network dev-microtask`.

Scenario: a batch of 1,000 tasks done by 10 workers (100 each), all approved, every worker
paid in full, the requester closes the batch after the grace period. Every on-chain
transaction is counted (funding, redemptions, closing) and divided by 1,000 paid tasks.
Measured twice: with cumulative EIP-712 vouchers (one redemption per worker) and with a
Merkle settlement root (one root, one claim per worker). Then the slow path: a result
posted on chain and auto-approved; rejected, disputed and ruled; an unruled dispute.
Results go to bench/results/gas.json, section "microtask".
"""

import sys
from pathlib import Path
from typing import Any

from brownie import MicrotaskEscrow, TestToken, accounts, chain
from eth_account import Account

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "contracts" / "microtask"))
from microtask_helpers import (
    ETH,
    MNEMONIC,
    ZERO32,
    settlement_tree,
    sign_voucher,
    task_hash,
    task_tree,
)

from devstack.results import record_results

TASKS = 1_000
WORKERS = 10
REWARD = 10**15  # 0.001 ETH per task
REVIEW_WINDOW = 86_400
GRACE_PERIOD = 7 * 86_400
LIFETIME = 10 * 86_400
GOAL = 1_000


def _params(task_root: bytes, arbiter: str, task_count: int = TASKS, token: str = ETH) -> tuple[Any, ...]:
    return (
        token,
        REWARD,
        task_count,
        0,
        task_root,
        3_600,
        REVIEW_WINDOW,
        int(chain.time()) + LIFETIME,
        0,
        ZERO32,
        arbiter,
        "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku",
    )


def _fund(escrow: Any, requester: Any, tasks: Any, arbiter: str, task_count: int = TASKS) -> tuple[int, Any]:
    tx = escrow.fundBatch(_params(tasks.root, arbiter, task_count), {"from": requester, "value": REWARD * task_count})
    return tx.return_value, tx


def _close(escrow: Any, batch_id: int, requester: Any) -> Any:
    chain.sleep(LIFETIME + GRACE_PERIOD + 1)
    chain.mine()
    return escrow.closeBatch(batch_id, {"from": requester})


def _workers() -> list[Any]:
    workers = list(accounts[1:WORKERS])
    extra = accounts.add()  # the 10th worker; funded so it is an existing account like the others
    accounts[0].transfer(extra, 10**18)
    workers.append(extra)
    return workers


def _requester_key() -> str:
    Account.enable_unaudited_hdwallet_features()
    return Account.from_mnemonic(MNEMONIC, account_path="m/44'/60'/0'/0/0").key.hex()


def _redeem_every_worker(escrow: Any, batch_id: int, workers: list[Any]) -> list[int]:
    """Each worker redeems one voucher for all its tasks; returns the gas of each redemption."""
    key = _requester_key()
    per_worker = TASKS // WORKERS * REWARD
    return [
        escrow.redeemVoucher(
            batch_id,
            w,
            per_worker,
            sign_voucher(key, chain.id, escrow.address, batch_id, str(w), per_worker),
            {"from": w},
        ).gas_used
        for w in workers
    ]


def bench_vouchers(escrow: Any, requester: Any, workers: list[Any], tasks: Any, arbiter: str) -> dict[str, int]:
    batch_id, fund_tx = _fund(escrow, requester, tasks, arbiter)
    redeem_gas = _redeem_every_worker(escrow, batch_id, workers)
    close_tx = _close(escrow, batch_id, requester)
    assert close_tx.return_value == 0, "every task was paid"
    total = fund_tx.gas_used + sum(redeem_gas) + close_tx.gas_used
    return {
        "voucher_fund_batch_gas": fund_tx.gas_used,
        "voucher_redeem_gas_max": max(redeem_gas),
        "voucher_redeem_gas_mean": sum(redeem_gas) // len(redeem_gas),
        "voucher_close_batch_gas": close_tx.gas_used,
        "voucher_total_gas_1000x10": total,
        "voucher_gas_per_paid_task_1000x10": total // TASKS,
    }


def bench_erc20_vouchers(escrow: Any, requester: Any, workers: list[Any], tasks: Any, arbiter: str) -> dict[str, int]:
    """The voucher scenario in an ERC-20 (workers hold none of it before: a worst case)."""
    token = TestToken.deploy({"from": requester})
    token.mint(requester, REWARD * TASKS, {"from": requester})
    token.approve(escrow, REWARD * TASKS, {"from": requester})
    fund_tx = escrow.fundBatch(_params(tasks.root, arbiter, token=token.address), {"from": requester})
    batch_id = fund_tx.return_value
    redeem_gas = _redeem_every_worker(escrow, batch_id, workers)
    close_tx = _close(escrow, batch_id, requester)
    total = fund_tx.gas_used + sum(redeem_gas) + close_tx.gas_used
    return {
        "erc20_voucher_fund_batch_gas": fund_tx.gas_used,
        "erc20_voucher_redeem_gas_mean": sum(redeem_gas) // len(redeem_gas),
        "erc20_voucher_gas_per_paid_task_1000x10": total // TASKS,
    }


def bench_merkle(escrow: Any, requester: Any, workers: list[Any], tasks: Any, arbiter: str) -> dict[str, int]:
    batch_id, fund_tx = _fund(escrow, requester, tasks, arbiter)
    per_worker = TASKS // WORKERS * REWARD
    entries = [(str(w), per_worker) for w in workers]
    tree = settlement_tree(entries)
    root_tx = escrow.postSettlementRoot(batch_id, tree.root, "bafysettlementlist", {"from": requester})
    claim_gas = [
        escrow.claimSettlement(batch_id, w, amount, tree.proof(i), {"from": w}).gas_used
        for i, (w, amount) in enumerate(entries)
    ]
    close_tx = _close(escrow, batch_id, requester)
    total = fund_tx.gas_used + root_tx.gas_used + sum(claim_gas) + close_tx.gas_used
    return {
        "merkle_post_root_gas": root_tx.gas_used,
        "merkle_claim_gas_max": max(claim_gas),
        "merkle_claim_gas_mean": sum(claim_gas) // len(claim_gas),
        "merkle_total_gas_1000x10": total,
        "merkle_gas_per_paid_task_1000x10": total // TASKS,
    }


def bench_slow_path(escrow: Any, requester: Any, workers: list[Any], arbiter: Any) -> dict[str, int]:
    tasks = task_tree(8)
    batch_id, _ = _fund(escrow, requester, tasks, str(arbiter), task_count=8)

    def submit(worker: Any, index: int) -> Any:
        return escrow.submitResult(
            batch_id,
            index,
            task_hash(index),
            task_hash(100 + index),
            tasks.proof(index),
            b"",
            {"from": worker},
        )

    w0, w1, w2, w3 = workers[:4]
    submit_tx = submit(w0, 0)
    submit(w1, 1)
    submit(w2, 2)
    submit(w3, 3)
    approve_tx = escrow.approveResult(batch_id, 3, w3, {"from": requester})
    reason = task_hash(999)
    bond = 2 * REWARD
    reject_tx = escrow.rejectResult(batch_id, 1, w1, reason, {"from": requester, "value": bond})
    escrow.rejectResult(batch_id, 2, w2, reason, {"from": requester, "value": bond})
    dispute_tx = escrow.disputeRejection(batch_id, 1, {"from": w1, "value": REWARD})
    rule_tx = escrow.ruleDispute(batch_id, 1, w1, True, {"from": arbiter})
    chain.sleep(REVIEW_WINDOW + 1)
    chain.mine()
    auto_tx = escrow.autoApproveResult(batch_id, 0, w0, {"from": w0})
    withdraw_tx = escrow.withdraw(ETH, {"from": w0})
    submit(w0, 4)
    escrow.rejectResult(batch_id, 4, w0, reason, {"from": requester, "value": bond})
    escrow.disputeRejection(batch_id, 4, {"from": w0, "value": REWARD})
    chain.sleep(7 * 86_400 + 1)
    chain.mine()
    expired_tx = escrow.settleExpiredDispute(batch_id, 4, w0, {"from": w0})
    finalize_tx = escrow.finalizeRejection(batch_id, 2, w2, {"from": requester})  # dispute window long gone
    return {
        "slow_submit_result_gas": submit_tx.gas_used,
        "slow_approve_result_gas": approve_tx.gas_used,
        "slow_auto_approve_gas": auto_tx.gas_used,
        "slow_withdraw_gas": withdraw_tx.gas_used,
        "slow_reject_result_gas": reject_tx.gas_used,
        "slow_dispute_rejection_gas": dispute_tx.gas_used,
        "slow_rule_dispute_gas": rule_tx.gas_used,
        "slow_finalize_rejection_gas": finalize_tx.gas_used,
        "slow_settle_expired_dispute_gas": expired_tx.gas_used,
    }


def main() -> None:
    requester = accounts[0]
    arbiter = accounts.add()  # the 10 dev accounts are the requester and 9 workers
    requester.transfer(arbiter, 10**18)
    workers = _workers()
    escrow = MicrotaskEscrow.deploy({"from": requester})
    tasks = task_tree(TASKS)
    results: dict[str, int] = {"deploy_gas": escrow.tx.gas_used}
    results |= bench_vouchers(escrow, requester, workers, tasks, str(arbiter))
    results |= bench_merkle(escrow, requester, workers, tasks, str(arbiter))
    results |= bench_erc20_vouchers(escrow, requester, workers, tasks, str(arbiter))
    results |= bench_slow_path(escrow, requester, workers, arbiter)
    best = min(results["voucher_total_gas_1000x10"], results["merkle_total_gas_1000x10"])
    results["gas_per_paid_task_1000x10"] = best // TASKS
    results["goal_gas_per_paid_task"] = GOAL
    record_results("gas", "microtask", results)

    width = max(len(k) for k in results)
    print(f"\nMicrotaskEscrow gas ({TASKS} tasks x {WORKERS} workers, ETH)")
    print("-" * (width + 14))
    for name, value in results.items():
        print(f"{name:<{width}}  {value:>12,}")
    per_task = results["gas_per_paid_task_1000x10"]
    verdict = "meets" if per_task <= GOAL else "MISSES"
    print(f"\ngas_per_paid_task_1000x10 = {per_task:,} ({verdict} the goal of {GOAL:,})")
