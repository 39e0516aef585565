"""Hostile tokens and receivers: reentrancy through token callbacks and ETH receipt."""

# Tests take their roles and contracts as pytest fixtures, hence many positional parameters.

import brownie
from brownie import FalseReturningToken, NoReturnToken, ReentrantReceiver, ReentrantToken
from challenge_helpers import AGREEMENT, ETH, PRIZE, SUBMISSION_CID, award_owed, err, terms, to_evaluation


def winner_contract(escrow, create, seeker, deployer):
    """A challenge won by a contract account (ReentrantReceiver); returns (receiver, challenge)."""
    receiver = ReentrantReceiver.deploy({"from": deployer})
    cid = create()
    receiver.execute(escrow, escrow.acceptTerms.encode_input(cid, AGREEMENT), {"from": deployer})
    receiver.execute(escrow, escrow.submit.encode_input(cid, SUBMISSION_CID), {"from": deployer})
    to_evaluation(escrow, cid)
    escrow.award(cid, receiver, 0, PRIZE, {"from": seeker})
    return receiver, cid


def _award_prize_in(escrow, create, token, seeker, solver):
    """A one-slot challenge funded by `seeker` in `token`, won by `solver`: awarded, not yet
    withdrawn; returns the challenge."""
    token.mint(seeker, PRIZE, {"from": seeker})
    token.approve(escrow, PRIZE, {"from": seeker})
    challenge = create(token=token)
    escrow.acceptTerms(challenge, AGREEMENT, {"from": solver})
    escrow.submit(challenge, SUBMISSION_CID, {"from": solver})
    to_evaluation(escrow, challenge)
    escrow.award(challenge, solver, 0, PRIZE, {"from": seeker})
    return challenge


def test_withdraw_award_reentry_from_eth_receiver_fails_and_pays_once(escrow, create, seeker, deployer):
    receiver, cid = winner_contract(escrow, create, seeker, deployer)
    receiver.setCallback(escrow, escrow.withdrawAward.encode_input(cid), {"from": deployer})
    receiver.execute(escrow, escrow.withdrawAward.encode_input(cid), {"from": deployer})
    assert receiver.lastCallbackSucceeded() is False
    assert receiver.balance() == PRIZE
    assert award_owed(escrow, cid, receiver) == 0
    assert escrow.balance() == 0 and escrow.totalOwed(ETH) == 0


def test_receiver_refusing_eth_keeps_its_credit(escrow, create, seeker, deployer):
    receiver, cid = winner_contract(escrow, create, seeker, deployer)
    receiver.setRefuseEth(True, {"from": deployer})
    with brownie.reverts(err("EthTransferFailed", receiver, PRIZE)):
        receiver.execute(escrow, escrow.withdrawAward.encode_input(cid), {"from": deployer})
    assert award_owed(escrow, cid, receiver) == PRIZE
    assert escrow.totalOwed(ETH) == PRIZE


def test_reentrant_token_cannot_reenter_create(escrow, seeker, deployer):
    rnt = ReentrantToken.deploy({"from": deployer})
    rnt.mint(seeker, 2 * PRIZE, {"from": seeker})
    rnt.approve(escrow, 2 * PRIZE, {"from": seeker})
    rnt.setCallback(escrow, escrow.createChallenge.encode_input(terms(token=rnt)), {"from": deployer})
    escrow.createChallenge(terms(token=rnt), {"from": seeker})
    assert rnt.lastCallbackSucceeded() is False
    assert escrow.challengeCount() == 1
    assert rnt.balanceOf(escrow) == PRIZE == escrow.totalOwed(rnt)


def test_reentrant_token_cannot_reenter_withdraw_award(escrow, create, seeker, solver, deployer):
    rnt = ReentrantToken.deploy({"from": deployer})
    cid = _award_prize_in(escrow, create, rnt, seeker, solver)
    rnt.setCallback(escrow, escrow.withdrawAward.encode_input(cid), {"from": deployer})
    escrow.withdrawAward(cid, {"from": solver})
    assert rnt.lastCallbackSucceeded() is False
    assert rnt.balanceOf(solver) == PRIZE
    assert rnt.balanceOf(escrow) == 0 == escrow.totalOwed(rnt)


def test_no_return_token_pays_out(escrow, create, seeker, solver, deployer):
    nrt = NoReturnToken.deploy({"from": deployer})
    cid = _award_prize_in(escrow, create, nrt, seeker, solver)
    escrow.withdrawAward(cid, {"from": solver})
    assert nrt.balanceOf(solver) == PRIZE


def test_false_returning_token_withdraw_reverts_and_keeps_credit(escrow, create, seeker, solver, deployer):
    flt = FalseReturningToken.deploy({"from": deployer})
    cid = _award_prize_in(escrow, create, flt, seeker, solver)
    flt.setFailing(True, {"from": seeker})
    with brownie.reverts(err("SafeERC20FailedOperation", flt)):
        escrow.withdrawAward(cid, {"from": solver})
    assert award_owed(escrow, cid, solver) == PRIZE
