"""Slow path: results posted on chain, auto-approval, bonded rejection, dispute, ruling."""

# Pytest fixtures arrive as positional parameters; many per test is normal here.

import brownie
import pytest
from brownie import chain
from eth_abi import encode
from microtask_helpers import (
    BONUS_POOL,
    ETH,
    REVIEW_WINDOW,
    REWARD,
    TASK_COUNT,
    ZERO32,
    allowlist_tree,
    error,
    now,
    sign_qualification,
    sleep,
    task_hash,
)

TOTAL = REWARD * TASK_COUNT + BONUS_POOL
NONE, PENDING, REJECTED, DISPUTED, APPROVED, UPHELD = range(6)
DISPUTE_WINDOW = 3 * 86400
RULING_WINDOW = 7 * 86400
REJECT_BOND = 2 * REWARD
DISPUTE_BOND = REWARD
FEE = REWARD // 2
WSS = "WrongSubmissionState(uint256,uint256,address,uint8,uint8)"
REASON = task_hash(424242)


def state(escrow, batch_id, index, worker):
    return escrow.getSubmission(batch_id, index, worker)["state"]


def window(name, batch_id, deadline):
    """Pattern for WindowOpen/WindowClosed: the block time in the message is the chain's."""
    return {"revert_pattern": rf"{name}: {batch_id}, {deadline}, \d+"}


def deadline_of(escrow, batch_id, index, worker):
    return escrow.getSubmission(batch_id, index, worker)["deadline"]


def available(escrow, batch_id):
    return escrow.getBatch(batch_id)["available"]


@pytest.fixture
def pending(escrow, batch, workers, submit):
    """Worker 0's result for task 0, posted on chain and pending review."""
    submit(batch, workers[0], 0)
    return batch


@pytest.fixture
def rejected(escrow, pending, requester, workers):
    escrow.rejectResult(pending, 0, workers[0], REASON, {"from": requester, "value": REJECT_BOND})
    return pending


@pytest.fixture
def disputed(escrow, rejected, workers):
    escrow.disputeRejection(rejected, 0, {"from": workers[0], "value": DISPUTE_BOND})
    return rejected


# ---------------------------------------------------------------- posting results


def test_submit_reserves_reward_and_emits(escrow, batch, workers, submit):
    w = workers[0]
    tx = submit(batch, w, 3)
    deadline = tx.timestamp + REVIEW_WINDOW
    assert tx.events["ResultSubmitted"] == {
        "batchId": batch,
        "taskIndex": 3,
        "worker": w,
        "taskHash": "0x" + task_hash(3).hex(),
        "resultHash": "0x" + task_hash(10_003).hex(),
        "reviewDeadline": deadline,
    }
    assert tuple(escrow.getSubmission(batch, 3, w)) == (deadline, PENDING)
    assert available(escrow, batch) == TOTAL - REWARD


def test_submit_with_wrong_task_proof_reverts(escrow, batch, workers, tasks):
    bogus = task_hash(99)
    with brownie.reverts(error("InvalidTaskProof(uint256,uint256,bytes32)", batch, 1, bogus)):
        escrow.submitResult(batch, 1, bogus, REASON, tasks.proof(1), b"", {"from": workers[0]})


def test_submit_empty_result_reverts(escrow, batch, workers, tasks):
    with brownie.reverts(error("EmptyResult()")):
        escrow.submitResult(batch, 0, task_hash(0), ZERO32, tasks.proof(0), b"", {"from": workers[0]})


def test_submit_twice_reverts(escrow, pending, workers, submit):
    with brownie.reverts(error(WSS, pending, 0, workers[0], PENDING, NONE)):
        submit(pending, workers[0], 0)


def test_two_workers_may_post_the_same_task(escrow, pending, workers, submit):
    submit(pending, workers[1], 0)
    assert available(escrow, pending) == TOTAL - 2 * REWARD


def test_submit_after_grace_period_reverts(escrow, batch, workers, submit):
    closes = escrow.getBatch(batch)["expiry"] + 7 * 86400
    sleep(closes - now() + 1)
    with brownie.reverts(**window("WindowClosed", batch, closes)):
        submit(batch, workers[0], 0)


def test_submit_when_escrow_is_spent_reverts(escrow, batch, workers, voucher, submit):
    w = workers[1]
    escrow.redeemVoucher(batch, w, TOTAL - 1, voucher(batch, w, TOTAL - 1), {"from": w})
    with brownie.reverts(error("InsufficientEscrow(uint256,uint256,uint256)", batch, REWARD, 1)):
        submit(batch, workers[0], 0)


def test_allowlist_qualification(escrow, fund, workers, submit):
    tree = allowlist_tree([workers[0], workers[2]])
    batch_id, _ = fund(qualificationKind=1, qualification=tree.root)
    submit(batch_id, workers[2], 0, encode(["bytes32[]"], [tree.proof(1)]))
    with brownie.reverts(error("NotQualified(uint256,address)", batch_id, workers[1])):
        submit(batch_id, workers[1], 0, encode(["bytes32[]"], [tree.proof(0)]))


def test_qualifier_signature_qualification(escrow, fund, workers, keys, submit):
    qualifier = workers[2]  # accounts[3]
    batch_id, _ = fund(qualificationKind=2, qualification=b"\x00" * 12 + bytes.fromhex(qualifier.address[2:]))
    signature = sign_qualification(keys[3], chain.id, escrow.address, batch_id, str(workers[0]))
    submit(batch_id, workers[0], 0, signature)
    with brownie.reverts(error("NotQualified(uint256,address)", batch_id, workers[1])):
        submit(batch_id, workers[1], 0, signature)  # signed for workers[0]
    forged = sign_qualification(keys[2], chain.id, escrow.address, batch_id, str(workers[1]))
    with brownie.reverts(error("NotQualified(uint256,address)", batch_id, workers[1])):
        submit(batch_id, workers[1], 0, forged)


# ---------------------------------------------------------------- approval


def test_auto_approve_before_review_deadline_reverts(escrow, pending, workers, stranger):
    deadline = deadline_of(escrow, pending, 0, workers[0])
    with brownie.reverts(**window("WindowOpen", pending, deadline)):
        escrow.autoApproveResult(pending, 0, workers[0], {"from": stranger})
    assert state(escrow, pending, 0, workers[0]) == PENDING


def test_auto_approve_after_review_window_credits_worker(escrow, pending, workers, stranger):
    w = workers[0]
    sleep(REVIEW_WINDOW)
    tx = escrow.autoApproveResult(pending, 0, w, {"from": stranger})
    assert tx.events["ResultApproved"]["automatic"] is True
    assert escrow.withdrawable(ETH, w) == REWARD
    assert state(escrow, pending, 0, w) == APPROVED
    before = w.balance()
    tx = escrow.withdraw(ETH, {"from": w})
    assert w.balance() - before == REWARD - tx.gas_used * tx.gas_price


def test_requester_approves_result(escrow, pending, requester, workers):
    tx = escrow.approveResult(pending, 0, workers[0], {"from": requester})
    assert tx.events["ResultApproved"]["automatic"] is False
    assert escrow.withdrawable(ETH, workers[0]) == REWARD
    with brownie.reverts(error(WSS, pending, 0, workers[0], APPROVED, PENDING)):
        escrow.autoApproveResult(pending, 0, workers[0], {"from": requester})


def test_only_requester_approves(escrow, pending, requester, workers, stranger):
    with brownie.reverts(error("NotRequester(uint256,address,address)", pending, stranger, requester)):
        escrow.approveResult(pending, 0, workers[0], {"from": stranger})


# ---------------------------------------------------------------- rejection and dispute


def test_reject_takes_bond_and_opens_dispute_window(escrow, pending, requester, workers):
    tx = escrow.rejectResult(pending, 0, workers[0], REASON, {"from": requester, "value": REJECT_BOND})
    event = tx.events["ResultRejected"]
    assert event["requesterBond"] == REJECT_BOND
    assert event["reasonHash"] == "0x" + REASON.hex()
    assert event["disputeDeadline"] == tx.timestamp + DISPUTE_WINDOW
    assert state(escrow, pending, 0, workers[0]) == REJECTED
    assert escrow.balance() == TOTAL + REJECT_BOND


def test_reject_needs_the_exact_bond(escrow, pending, requester, workers):
    with brownie.reverts(error("EthAmountMismatch(uint256,uint256)", REWARD, REJECT_BOND)):
        escrow.rejectResult(pending, 0, workers[0], REASON, {"from": requester, "value": REWARD})


def test_reject_after_review_window_reverts(escrow, pending, requester, workers):
    deadline = deadline_of(escrow, pending, 0, workers[0])
    sleep(REVIEW_WINDOW)
    with brownie.reverts(**window("WindowClosed", pending, deadline)):
        escrow.rejectResult(pending, 0, workers[0], REASON, {"from": requester, "value": REJECT_BOND})


def test_only_requester_rejects(escrow, pending, requester, workers, stranger):
    with brownie.reverts(error("NotRequester(uint256,address,address)", pending, stranger, requester)):
        escrow.rejectResult(pending, 0, workers[0], REASON, {"from": stranger, "value": REJECT_BOND})


def test_rejection_without_arbiter_is_final_and_free(escrow, fund, requester, workers, submit):
    batch_id, _ = fund(arbiter="0x0000000000000000000000000000000000000000")
    submit(batch_id, workers[0], 0)
    with brownie.reverts(error("EthNotAccepted()")):
        escrow.rejectResult(batch_id, 0, workers[0], REASON, {"from": requester, "value": REJECT_BOND})
    tx = escrow.rejectResult(batch_id, 0, workers[0], REASON, {"from": requester})
    assert tx.events["RejectionUpheld"]["rewardReleased"] == REWARD
    assert state(escrow, batch_id, 0, workers[0]) == UPHELD
    assert available(escrow, batch_id) == TOTAL


def test_undisputed_rejection_finalizes_after_window(escrow, rejected, requester, workers, stranger):
    with brownie.reverts(**window("WindowOpen", rejected, deadline_of(escrow, rejected, 0, workers[0]))):
        escrow.finalizeRejection(rejected, 0, workers[0], {"from": stranger})
    sleep(DISPUTE_WINDOW)
    tx = escrow.finalizeRejection(rejected, 0, workers[0], {"from": stranger})
    assert tx.events["RejectionUpheld"]["requesterBondReturned"] == REJECT_BOND
    assert available(escrow, rejected) == TOTAL
    assert escrow.withdrawable(ETH, requester) == REJECT_BOND
    assert state(escrow, rejected, 0, workers[0]) == UPHELD


def test_dispute_takes_worker_bond(escrow, rejected, workers):
    tx = escrow.disputeRejection(rejected, 0, {"from": workers[0], "value": DISPUTE_BOND})
    event = tx.events["RejectionDisputed"]
    assert event["workerBond"] == DISPUTE_BOND
    assert event["rulingDeadline"] == tx.timestamp + RULING_WINDOW
    assert state(escrow, rejected, 0, workers[0]) == DISPUTED


def test_only_the_worker_disputes(escrow, rejected, workers):
    with brownie.reverts(error(WSS, rejected, 0, workers[1], NONE, REJECTED)):
        escrow.disputeRejection(rejected, 0, {"from": workers[1], "value": DISPUTE_BOND})


def test_dispute_after_window_reverts(escrow, rejected, workers):
    deadline = deadline_of(escrow, rejected, 0, workers[0])
    sleep(DISPUTE_WINDOW)
    with brownie.reverts(**window("WindowClosed", rejected, deadline)):
        escrow.disputeRejection(rejected, 0, {"from": workers[0], "value": DISPUTE_BOND})
    assert state(escrow, rejected, 0, workers[0]) == REJECTED


def test_dispute_without_bond_reverts(escrow, rejected, workers):
    with brownie.reverts(error("EthAmountMismatch(uint256,uint256)", 0, DISPUTE_BOND)):
        escrow.disputeRejection(rejected, 0, {"from": workers[0]})


def test_arbiter_rules_for_worker(escrow, disputed, requester, workers, arbiter):
    w = workers[0]
    tx = escrow.ruleDispute(disputed, 0, w, True, {"from": arbiter})
    to_worker = REWARD + DISPUTE_BOND + REJECT_BOND - FEE
    assert tx.events["DisputeRuled"]["toWorker"] == to_worker
    assert escrow.withdrawable(ETH, w) == to_worker
    assert escrow.withdrawable(ETH, arbiter) == FEE
    assert escrow.withdrawable(ETH, requester) == 0
    assert available(escrow, disputed) == TOTAL - REWARD
    assert state(escrow, disputed, 0, w) == APPROVED


def test_arbiter_rules_for_requester(escrow, disputed, requester, workers, arbiter):
    w = workers[0]
    tx = escrow.ruleDispute(disputed, 0, w, False, {"from": arbiter})
    to_requester = REJECT_BOND + DISPUTE_BOND - FEE
    assert tx.events["DisputeRuled"]["toRequester"] == to_requester
    assert escrow.withdrawable(ETH, requester) == to_requester
    assert escrow.withdrawable(ETH, arbiter) == FEE
    assert escrow.withdrawable(ETH, w) == 0
    assert available(escrow, disputed) == TOTAL
    assert state(escrow, disputed, 0, w) == UPHELD


def test_only_arbiter_rules(escrow, disputed, requester, workers, arbiter):
    with brownie.reverts(error("NotArbiter(uint256,address,address)", disputed, requester, arbiter)):
        escrow.ruleDispute(disputed, 0, workers[0], False, {"from": requester})


def test_ruling_after_deadline_reverts(escrow, disputed, workers, arbiter):
    deadline = deadline_of(escrow, disputed, 0, workers[0])
    sleep(RULING_WINDOW)
    with brownie.reverts(**window("WindowClosed", disputed, deadline)):
        escrow.ruleDispute(disputed, 0, workers[0], False, {"from": arbiter})
    assert state(escrow, disputed, 0, workers[0]) == DISPUTED


def test_silent_arbiter_pays_worker_and_returns_bonds(escrow, disputed, requester, workers, stranger, arbiter):
    w = workers[0]
    with brownie.reverts(**window("WindowOpen", disputed, deadline_of(escrow, disputed, 0, w))):
        escrow.settleExpiredDispute(disputed, 0, w, {"from": stranger})
    sleep(RULING_WINDOW)
    tx = escrow.settleExpiredDispute(disputed, 0, w, {"from": stranger})
    assert tx.events["DisputeExpired"]["toWorker"] == REWARD + DISPUTE_BOND
    assert escrow.withdrawable(ETH, w) == REWARD + DISPUTE_BOND
    assert escrow.withdrawable(ETH, requester) == REJECT_BOND
    assert escrow.withdrawable(ETH, arbiter) == 0


def test_erc20_slow_path_with_bonds(escrow, fund, token, requester, workers, arbiter, submit):
    token.approve(escrow, 2**255, {"from": requester})
    token.approve(escrow, 2**255, {"from": workers[0]})
    batch_id, _ = fund(token=token.address)
    w = workers[0]
    submit(batch_id, w, 0)
    escrow.rejectResult(batch_id, 0, w, REASON, {"from": requester})
    escrow.disputeRejection(batch_id, 0, {"from": w})
    assert token.balanceOf(escrow) == TOTAL + REJECT_BOND + DISPUTE_BOND
    escrow.ruleDispute(batch_id, 0, w, True, {"from": arbiter})
    before = token.balanceOf(w)
    escrow.withdraw(token, {"from": w})
    assert token.balanceOf(w) - before == REWARD + DISPUTE_BOND + REJECT_BOND - FEE


def test_contract_worker_cannot_reenter_withdraw(escrow, batch, ReentrantReceiver, requester, tasks):
    worker = ReentrantReceiver.deploy({"from": requester})
    post = escrow.submitResult.encode_input(batch, 2, task_hash(2), REASON, tasks.proof(2), b"")
    worker.execute(escrow, post, {"from": requester})
    escrow.approveResult(batch, 2, worker, {"from": requester})
    worker.setCallback(escrow, escrow.withdraw.encode_input(ETH), {"from": requester})
    worker.execute(escrow, escrow.withdraw.encode_input(ETH), {"from": requester})
    assert worker.lastCallbackSucceeded() is False
    assert worker.balance() == REWARD
    assert escrow.withdrawable(ETH, worker) == 0


def test_qualification_signature_does_not_replay_on_another_batch(escrow, fund, workers, keys, submit):
    qualifier = b"\x00" * 12 + bytes.fromhex(workers[2].address[2:])
    first, _ = fund(qualificationKind=2, qualification=qualifier)
    second, _ = fund(qualificationKind=2, qualification=qualifier)
    signature = sign_qualification(keys[3], chain.id, escrow.address, first, str(workers[0]))
    with brownie.reverts(error("NotQualified(uint256,address)", second, workers[0])):
        submit(second, workers[0], 0, signature)


def test_answering_a_result_that_was_never_posted_reverts(escrow, batch, requester, workers):
    with brownie.reverts(error(WSS, batch, 5, workers[1], NONE, PENDING)):
        escrow.approveResult(batch, 5, workers[1], {"from": requester})
    with brownie.reverts(error("UnknownBatch(uint256)", 99)):
        escrow.autoApproveResult(99, 0, workers[1], {"from": requester})
