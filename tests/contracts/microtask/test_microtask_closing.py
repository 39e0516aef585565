"""Closing a batch: the requester reclaims only what nobody is owed, after the grace period."""

# Pytest fixtures arrive as positional parameters; many per test is normal here.

import brownie
import pytest
from microtask_helpers import BONUS_POOL, ETH, REWARD, TASK_COUNT, error, now, sleep, task_hash

TOTAL = REWARD * TASK_COUNT + BONUS_POOL
GRACE = 7 * 86400
REVIEW_WINDOW = 2 * 86400
DISPUTE_WINDOW = 3 * 86400
CLOSED = 2


@pytest.fixture
def closable(escrow, batch):
    """Move time to the first second the requester may close `batch`."""

    def _go() -> int:
        closes = escrow.getBatch(batch)["expiry"] + GRACE
        sleep(closes - now())
        return closes

    return _go


def test_close_before_grace_period_ends_reverts(escrow, batch, requester):
    closes = escrow.getBatch(batch)["expiry"] + GRACE
    sleep(closes - now() - 60)
    with brownie.reverts(revert_pattern=rf"WindowOpen: {batch}, {closes}, \d+"):
        escrow.closeBatch(batch, {"from": requester})


def test_close_returns_unspent_escrow(escrow, batch, requester, workers, voucher, closable):
    w = workers[0]
    escrow.redeemVoucher(batch, w, 3 * REWARD, voucher(batch, w, 3 * REWARD), {"from": w})
    closable()
    before = requester.balance()
    tx = escrow.closeBatch(batch, {"from": requester})
    reclaimed = TOTAL - 3 * REWARD
    assert tx.return_value == reclaimed
    assert tx.events["BatchClosed"] == {"batchId": batch, "requester": requester, "reclaimed": reclaimed}
    assert requester.balance() - before == reclaimed - tx.gas_used * tx.gas_price
    assert escrow.balance() == 0
    assert escrow.getBatch(batch)["state"] == CLOSED


def test_only_requester_closes(escrow, batch, requester, stranger, closable):
    closable()
    with brownie.reverts(error("NotRequester(uint256,address,address)", batch, stranger, requester)):
        escrow.closeBatch(batch, {"from": stranger})


def test_close_twice_reverts(escrow, batch, requester, closable):
    closable()
    escrow.closeBatch(batch, {"from": requester})
    with brownie.reverts(error("WrongBatchState(uint256,uint8,uint8)", batch, CLOSED, 1)):
        escrow.closeBatch(batch, {"from": requester})


def test_unredeemed_voucher_is_void_after_close(escrow, batch, requester, workers, voucher, closable):
    w = workers[0]
    signature = voucher(batch, w, REWARD)  # the worker let the grace period pass
    closable()
    escrow.closeBatch(batch, {"from": requester})
    with brownie.reverts(error("WrongBatchState(uint256,uint8,uint8)", batch, CLOSED, 1)):
        escrow.redeemVoucher(batch, w, REWARD, signature, {"from": w})


def test_reserved_reward_survives_close_and_is_paid(escrow, batch, requester, workers, submit):
    w = workers[0]
    closes = escrow.getBatch(batch)["expiry"] + GRACE
    sleep(closes - now() - REVIEW_WINDOW - 600)
    submit(batch, w, 0)  # posted late in the grace period: reviewable past the close
    sleep(closes - now())
    tx = escrow.closeBatch(batch, {"from": requester})
    assert tx.return_value == TOTAL - REWARD
    assert escrow.balance() == REWARD
    sleep(REVIEW_WINDOW)
    escrow.autoApproveResult(batch, 0, w, {"from": w})
    escrow.withdraw(ETH, {"from": w})
    assert escrow.balance() == 0


def test_rejection_upheld_after_close_credits_requester(escrow, batch, requester, workers, submit):
    w = workers[0]
    closes = escrow.getBatch(batch)["expiry"] + GRACE
    sleep(closes - now() - REVIEW_WINDOW)
    submit(batch, w, 0)
    escrow.rejectResult(batch, 0, w, task_hash(1), {"from": requester, "value": 2 * REWARD})
    sleep(closes - now())
    escrow.closeBatch(batch, {"from": requester})
    sleep(DISPUTE_WINDOW)
    escrow.finalizeRejection(batch, 0, w, {"from": requester})
    assert escrow.withdrawable(ETH, requester) == REWARD + 2 * REWARD
    escrow.withdraw(ETH, {"from": requester})
    assert escrow.balance() == 0
