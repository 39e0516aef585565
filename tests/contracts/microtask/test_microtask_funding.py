"""Funding a batch: terms stored and emitted, parameters checked, hostile tokens."""

# Pytest fixtures arrive as positional parameters; many per test is normal here.

import brownie
import pytest
from brownie import chain
from eth_utils import keccak
from microtask_helpers import (
    BONUS_POOL,
    ETH,
    MANIFEST_CID,
    REVIEW_WINDOW,
    REWARD,
    TASK_COUNT,
    ZERO32,
    batch_params,
    error,
    task_tree,
)

OPEN = 1
TOTAL = REWARD * TASK_COUNT + BONUS_POOL


def test_fund_eth_batch_stores_terms_and_holds_escrow(escrow, fund, requester, arbiter):
    batch_id, _ = fund()
    assert batch_id == 1 == escrow.batchCount()
    assert escrow.balance() == TOTAL
    b = escrow.getBatch(batch_id)
    assert b["requester"] == requester
    assert b["state"] == OPEN
    assert b["token"] == ETH
    assert b["available"] == TOTAL
    assert b["arbiter"] == arbiter
    assert b["reward"] == REWARD
    assert b["reviewWindow"] == REVIEW_WINDOW
    assert b["taskRoot"] == "0x" + task_tree(TASK_COUNT).root.hex()
    assert b["manifestHash"] == "0x" + keccak(text=MANIFEST_CID).hex()


def test_fund_emits_every_term(fund, requester, arbiter):
    params = batch_params()
    batch_id, tx = fund()
    event = tx.events["BatchFunded"]
    assert event["batchId"] == batch_id
    assert event["requester"] == requester
    assert event["token"] == ETH
    assert event["escrowed"] == TOTAL
    assert event["manifestHash"] == "0x" + keccak(text=MANIFEST_CID).hex()
    terms = event["terms"]
    assert terms[1] == REWARD and terms[2] == TASK_COUNT and terms[3] == BONUS_POOL
    assert terms[6] == REVIEW_WINDOW and terms[7] == params[7]
    assert terms[10] == arbiter
    assert terms[11] == MANIFEST_CID


def test_fund_erc20_batch_pulls_tokens(escrow, fund, token, requester):
    token.approve(escrow, TOTAL, {"from": requester})
    before = token.balanceOf(requester)
    _, tx = fund(token=token.address)
    assert token.balanceOf(escrow) == TOTAL
    assert before - token.balanceOf(requester) == TOTAL
    assert tx.events["BatchFunded"]["token"] == token


def test_fund_with_no_return_token(escrow, fund, NoReturnToken, requester):
    nrt = NoReturnToken.deploy({"from": requester})
    nrt.mint(requester, TOTAL, {"from": requester})
    nrt.approve(escrow, TOTAL, {"from": requester})
    fund(token=nrt.address)
    assert nrt.balanceOf(escrow) == TOTAL


def test_fund_refuses_fee_on_transfer_token(escrow, fund, FeeOnTransferToken, requester):
    fee_token = FeeOnTransferToken.deploy(100, {"from": requester})
    fee_token.mint(requester, TOTAL, {"from": requester})
    fee_token.approve(escrow, TOTAL, {"from": requester})
    received = TOTAL - TOTAL // 100
    with brownie.reverts(
        error("FeeOnTransferNotSupported(address,uint256,uint256)", fee_token.address, TOTAL, received)
    ):
        fund(token=fee_token.address)


def test_fund_refuses_false_returning_token(escrow, fund, FalseReturningToken, requester):
    flase = FalseReturningToken.deploy({"from": requester})
    flase.mint(requester, TOTAL, {"from": requester})
    flase.approve(escrow, TOTAL, {"from": requester})
    flase.setFailing(True, {"from": requester})
    with brownie.reverts(error("SafeERC20FailedOperation(address)", flase.address)):
        fund(token=flase.address)


def test_fund_eth_amount_must_match(escrow, requester):
    with brownie.reverts(error("EthAmountMismatch(uint256,uint256)", TOTAL - 1, TOTAL)):
        escrow.fundBatch(batch_params(), {"from": requester, "value": TOTAL - 1})


def test_fund_erc20_rejects_eth(escrow, token, requester):
    token.approve(escrow, TOTAL, {"from": requester})
    with brownie.reverts(error("EthNotAccepted()")):
        escrow.fundBatch(batch_params(token=token.address), {"from": requester, "value": 1})


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("reward", 0, "reward"),
        ("taskCount", 0, "taskCount"),
        ("taskRoot", ZERO32, "taskRoot"),
        ("manifestCid", "", "manifestCid"),
        ("reviewWindow", 3599, "reviewWindow"),
        ("reviewWindow", 30 * 86400 + 1, "reviewWindow"),
        ("qualificationKind", 1, "qualification"),  # allowlist without a root
        ("qualification", b"\x01" * 32, "qualification"),  # a root without a kind
    ],
)
def test_fund_rejects_invalid_params(escrow, requester, field, value, reason):
    params = batch_params(**{field: value})
    total = params[1] * params[2] + params[3]
    with brownie.reverts(error("InvalidBatchParams(string)", reason)):
        escrow.fundBatch(params, {"from": requester, "value": total})


def test_fund_rejects_expiry_in_past_or_too_far(escrow, requester):
    for expiry in (int(chain.time()) - 1, int(chain.time()) + 366 * 86400):
        with brownie.reverts(error("InvalidBatchParams(string)", "expiry")):
            escrow.fundBatch(batch_params(expiry=expiry), {"from": requester, "value": TOTAL})


def test_fund_rejects_requester_as_arbiter(escrow, requester):
    with brownie.reverts(error("InvalidBatchParams(string)", "arbiter")):
        escrow.fundBatch(batch_params(arbiter=requester.address), {"from": requester, "value": TOTAL})


def test_fund_rejects_qualifier_that_is_not_an_address(escrow, requester):
    params = batch_params(qualificationKind=2, qualification=b"\x01" * 32)
    with brownie.reverts(error("InvalidBatchParams(string)", "qualification")):
        escrow.fundBatch(params, {"from": requester, "value": TOTAL})


def test_fund_rejects_escrow_above_uint96(escrow, requester):
    reward = 2**96 - 1
    params = batch_params(reward=reward, taskCount=2, bonusPool=0)
    with brownie.reverts(error("EscrowTooLarge(uint256,uint256)", 2 * reward, 2**96 - 1)):
        escrow.fundBatch(params, {"from": requester, "value": 0})


def test_domain_matches_eip712_spec(escrow):
    fields, name, version, chain_id, contract, _, _ = escrow.eip712Domain()
    assert (name, version, chain_id, contract) == ("Crowdbounty MicrotaskEscrow", "1", chain.id, escrow)
    assert fields == "0x0f"
