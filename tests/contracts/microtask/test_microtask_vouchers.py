"""Fast path: cumulative EIP-712 vouchers and Merkle settlement claims."""

# Pytest fixtures arrive as positional parameters; many per test is normal here.

import brownie
from brownie import accounts, chain
from eth_account import Account
from microtask_helpers import (
    BONUS_POOL,
    REWARD,
    TASK_COUNT,
    batch_params,
    error,
    high_s,
    settlement_tree,
    sleep,
)

TOTAL = REWARD * TASK_COUNT + BONUS_POOL
CLOSED = 2


def test_redeem_pays_worker_and_emits(escrow, batch, workers, stranger, voucher):
    w = workers[0]
    before = w.balance()
    tx = escrow.redeemVoucher(batch, w, 3 * REWARD, voucher(batch, w, 3 * REWARD), {"from": stranger})
    assert w.balance() - before == 3 * REWARD
    assert tx.return_value == 3 * REWARD
    assert tx.events["VoucherRedeemed"] == {
        "batchId": batch,
        "worker": w,
        "cumulativeAmount": 3 * REWARD,
        "paid": 3 * REWARD,
    }
    assert escrow.redeemed(batch, w) == 3 * REWARD
    assert escrow.getBatch(batch)["available"] == TOTAL - 3 * REWARD


def test_later_voucher_pays_only_the_difference(escrow, batch, workers, stranger, voucher):
    w = workers[0]
    escrow.redeemVoucher(batch, w, 2 * REWARD, voucher(batch, w, 2 * REWARD), {"from": stranger})
    before = w.balance()
    tx = escrow.redeemVoucher(batch, w, 5 * REWARD, voucher(batch, w, 5 * REWARD), {"from": stranger})
    assert w.balance() - before == 3 * REWARD
    assert tx.events["VoucherRedeemed"]["paid"] == 3 * REWARD


def test_skipping_vouchers_loses_nothing(escrow, batch, workers, stranger, voucher):
    w = workers[1]
    voucher(batch, w, REWARD)  # never redeemed
    before = w.balance()
    escrow.redeemVoucher(batch, w, 4 * REWARD, voucher(batch, w, 4 * REWARD), {"from": stranger})
    assert w.balance() - before == 4 * REWARD


def test_stale_or_equal_voucher_reverts(escrow, batch, workers, voucher):
    w = workers[0]
    escrow.redeemVoucher(batch, w, 3 * REWARD, voucher(batch, w, 3 * REWARD), {"from": w})
    for cumulative in (3 * REWARD, 2 * REWARD):
        with brownie.reverts(error("StaleVoucher(uint256,address,uint256,uint256)", batch, w, cumulative, 3 * REWARD)):
            escrow.redeemVoucher(batch, w, cumulative, voucher(batch, w, cumulative), {"from": w})


def test_voucher_signed_by_someone_else_reverts(escrow, batch, workers, voucher, requester):
    w = workers[0]
    signature = voucher(batch, w, REWARD, signer_index=1)
    with brownie.reverts(error("InvalidVoucherSigner(uint256,address,address)", batch, w, requester)):
        escrow.redeemVoucher(batch, w, REWARD, signature, {"from": w})


def _wrong_signer(escrow, batch_id, worker, amount, signature, requester):
    """The exact error for a signature that recovers to someone other than the requester."""
    digest = bytes(escrow.voucherDigest(batch_id, worker, amount))
    signer = Account._recover_hash(digest, signature=signature)
    assert signer != requester
    return error("InvalidVoucherSigner(uint256,address,address)", batch_id, signer, requester)


def test_voucher_for_another_worker_cannot_be_used(escrow, batch, workers, voucher, requester):
    signature = voucher(batch, workers[0], REWARD)
    with brownie.reverts(_wrong_signer(escrow, batch, workers[1], REWARD, signature, requester)):
        escrow.redeemVoucher(batch, workers[1], REWARD, signature, {"from": workers[1]})


def test_voucher_does_not_replay_on_another_batch(escrow, fund, batch, workers, voucher, requester):
    other, _ = fund()
    w = workers[0]
    signature = voucher(batch, w, REWARD)
    escrow.redeemVoucher(batch, w, REWARD, signature, {"from": w})
    with brownie.reverts(_wrong_signer(escrow, other, w, REWARD, signature, requester)):
        escrow.redeemVoucher(other, w, REWARD, signature, {"from": w})
    assert escrow.redeemed(other, w) == 0


def test_voucher_for_another_chain_id_reverts(escrow, batch, workers, voucher, requester):
    w = workers[0]
    signature = voucher(batch, w, REWARD, chain_id=chain.id + 1)
    with brownie.reverts(_wrong_signer(escrow, batch, w, REWARD, signature, requester)):
        escrow.redeemVoucher(batch, w, REWARD, signature, {"from": w})


def test_voucher_for_another_contract_reverts(escrow, MicrotaskEscrow, requester, batch, workers, voucher):
    twin = MicrotaskEscrow.deploy({"from": accounts[9]})
    twin.fundBatch(batch_params(), {"from": requester, "value": TOTAL})
    w = workers[0]
    signature = voucher(batch, w, REWARD)  # for `escrow`, same batch id as the twin's
    with brownie.reverts(_wrong_signer(twin, batch, w, REWARD, signature, requester)):
        twin.redeemVoucher(batch, w, REWARD, signature, {"from": w})
    escrow.redeemVoucher(batch, w, REWARD, signature, {"from": w})


def test_malleable_high_s_signature_reverts(escrow, batch, workers, voucher):
    w = workers[0]
    signature = voucher(batch, w, REWARD)
    twin = high_s(signature)
    s = "0x" + twin[32:64].hex()
    with brownie.reverts(error("ECDSAInvalidSignatureS(bytes32)", bytes.fromhex(s[2:]))):
        escrow.redeemVoucher(batch, w, REWARD, twin, {"from": w})


def test_short_signature_reverts(escrow, batch, workers, voucher):
    w = workers[0]
    with brownie.reverts(error("ECDSAInvalidSignatureLength(uint256)", 64)):
        escrow.redeemVoucher(batch, w, REWARD, voucher(batch, w, REWARD)[:64], {"from": w})


def test_voucher_above_escrow_reverts(escrow, batch, workers, voucher):
    w = workers[0]
    with brownie.reverts(error("InsufficientEscrow(uint256,uint256,uint256)", batch, TOTAL + 1, TOTAL)):
        escrow.redeemVoucher(batch, w, TOTAL + 1, voucher(batch, w, TOTAL + 1), {"from": w})


def test_vouchers_beyond_escrow_are_first_come_first_served(escrow, batch, workers, voucher):
    a, b = workers[0], workers[1]
    escrow.redeemVoucher(batch, a, TOTAL - REWARD, voucher(batch, a, TOTAL - REWARD), {"from": a})
    with brownie.reverts(error("InsufficientEscrow(uint256,uint256,uint256)", batch, 2 * REWARD, REWARD)):
        escrow.redeemVoucher(batch, b, 2 * REWARD, voucher(batch, b, 2 * REWARD), {"from": b})
    escrow.redeemVoucher(batch, b, REWARD, voucher(batch, b, REWARD), {"from": b})
    assert escrow.balance() == 0


def test_redeem_unknown_batch_reverts(escrow, workers, voucher):
    with brownie.reverts(error("UnknownBatch(uint256)", 7)):
        escrow.redeemVoucher(7, workers[0], REWARD, voucher(7, workers[0], REWARD), {"from": workers[0]})


def test_redeem_after_close_reverts(escrow, batch, workers, requester, voucher):
    sleep(10 * 86400 + 7 * 86400)
    escrow.closeBatch(batch, {"from": requester})
    w = workers[0]
    with brownie.reverts(error("WrongBatchState(uint256,uint8,uint8)", batch, CLOSED, 1)):
        escrow.redeemVoucher(batch, w, REWARD, voucher(batch, w, REWARD), {"from": w})


def test_redeem_in_grace_period_still_pays(escrow, batch, workers, voucher):
    sleep(10 * 86400 + 6 * 86400)
    w = workers[0]
    escrow.redeemVoucher(batch, w, REWARD, voucher(batch, w, REWARD), {"from": w})
    assert escrow.redeemed(batch, w) == REWARD


def test_redeem_erc20(escrow, fund, token, requester, workers, stranger, voucher):
    token.approve(escrow, TOTAL, {"from": requester})
    batch_id, _ = fund(token=token.address)
    w = workers[0]
    before = token.balanceOf(w)
    escrow.redeemVoucher(batch_id, w, 4 * REWARD, voucher(batch_id, w, 4 * REWARD), {"from": stranger})
    assert token.balanceOf(w) - before == 4 * REWARD
    assert token.balanceOf(escrow) == TOTAL - 4 * REWARD


def test_redeem_no_return_token(escrow, fund, NoReturnToken, requester, workers, voucher):
    nrt = NoReturnToken.deploy({"from": requester})
    nrt.mint(requester, TOTAL, {"from": requester})
    nrt.approve(escrow, TOTAL, {"from": requester})
    batch_id, _ = fund(token=nrt.address)
    w = workers[0]
    escrow.redeemVoucher(batch_id, w, REWARD, voucher(batch_id, w, REWARD), {"from": w})
    assert nrt.balanceOf(w) == REWARD


def test_reentrant_token_cannot_redeem_twice(escrow, fund, ReentrantToken, requester, workers, voucher):
    rnt = ReentrantToken.deploy({"from": requester})
    rnt.mint(requester, TOTAL, {"from": requester})
    rnt.approve(escrow, TOTAL, {"from": requester})
    batch_id, _ = fund(token=rnt.address)
    w = workers[0]
    signature = voucher(batch_id, w, 2 * REWARD)
    reenter = escrow.redeemVoucher.encode_input(batch_id, w, 2 * REWARD, signature)
    rnt.setCallback(escrow, reenter, {"from": requester})
    escrow.redeemVoucher(batch_id, w, 2 * REWARD, signature, {"from": w})
    assert rnt.lastCallbackSucceeded() is False
    assert rnt.balanceOf(w) == 2 * REWARD
    assert rnt.balanceOf(escrow) == TOTAL - 2 * REWARD


def test_reentrant_eth_receiver_is_paid_once(escrow, batch, ReentrantReceiver, requester, voucher):
    receiver = ReentrantReceiver.deploy({"from": requester})
    first = voucher(batch, receiver, REWARD)
    second = voucher(batch, receiver, 3 * REWARD)
    receiver.setCallback(
        escrow, escrow.redeemVoucher.encode_input(batch, receiver, 3 * REWARD, second), {"from": requester}
    )
    escrow.redeemVoucher(batch, receiver, REWARD, first, {"from": requester})
    assert receiver.lastCallbackSucceeded() is False
    assert receiver.balance() == REWARD
    assert escrow.redeemed(batch, receiver) == REWARD


def test_refusing_eth_receiver_reverts_without_losing_its_due(escrow, batch, ReentrantReceiver, requester, voucher):
    receiver = ReentrantReceiver.deploy({"from": requester})
    receiver.setRefuseEth(True, {"from": requester})
    signature = voucher(batch, receiver, REWARD)
    with brownie.reverts(error("EthTransferFailed(address,uint256)", receiver.address, REWARD)):
        escrow.redeemVoucher(batch, receiver, REWARD, signature, {"from": requester})
    receiver.setRefuseEth(False, {"from": requester})
    escrow.redeemVoucher(batch, receiver, REWARD, signature, {"from": requester})
    assert receiver.balance() == REWARD


# ---------------------------------------------------------------- Merkle settlement


def _settle(escrow, batch_id, requester, entries):
    tree = settlement_tree(entries)
    escrow.postSettlementRoot(batch_id, tree.root, "bafysettlement", {"from": requester})
    return tree


def test_settlement_claim_pays_each_worker(escrow, batch, requester, workers, stranger):
    entries = [(str(w), (i + 1) * REWARD) for i, w in enumerate(workers)]
    tree = _settle(escrow, batch, requester, entries)
    for i, (w, amount) in enumerate(entries):
        before = accounts.at(w).balance()
        tx = escrow.claimSettlement(batch, w, amount, tree.proof(i), {"from": stranger})
        assert accounts.at(w).balance() - before == amount
        assert tx.events["VoucherRedeemed"]["paid"] == amount


def test_settlement_and_vouchers_share_the_cumulative_ledger(escrow, batch, requester, workers, voucher):
    w = workers[0]
    escrow.redeemVoucher(batch, w, 2 * REWARD, voucher(batch, w, 2 * REWARD), {"from": w})
    tree = _settle(escrow, batch, requester, [(str(w), 5 * REWARD), (str(workers[1]), REWARD)])
    tx = escrow.claimSettlement(batch, w, 5 * REWARD, tree.proof(0), {"from": w})
    assert tx.events["VoucherRedeemed"]["paid"] == 3 * REWARD
    with brownie.reverts(error("StaleVoucher(uint256,address,uint256,uint256)", batch, w, 5 * REWARD, 5 * REWARD)):
        escrow.claimSettlement(batch, w, 5 * REWARD, tree.proof(0), {"from": w})


def test_settlement_claim_with_wrong_amount_reverts(escrow, batch, requester, workers):
    w = workers[0]
    tree = _settle(escrow, batch, requester, [(str(w), REWARD), (str(workers[1]), REWARD)])
    with brownie.reverts(error("InvalidSettlementProof(uint256,address,uint256)", batch, w, 2 * REWARD)):
        escrow.claimSettlement(batch, w, 2 * REWARD, tree.proof(0), {"from": w})


def test_settlement_claim_without_root_reverts(escrow, batch, workers):
    with brownie.reverts(error("NoSettlementRoot(uint256)", batch)):
        escrow.claimSettlement(batch, workers[0], REWARD, [], {"from": workers[0]})


def test_only_requester_posts_settlement_root(escrow, batch, requester, stranger):
    with brownie.reverts(error("NotRequester(uint256,address,address)", batch, stranger, requester)):
        escrow.postSettlementRoot(batch, b"\x01" * 32, "cid", {"from": stranger})
