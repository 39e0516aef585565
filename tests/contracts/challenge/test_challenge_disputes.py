"""Refusals (criteria unmet, prior knowledge), disputes, arbiter rulings and their deadlines."""

# Tests take their roles and contracts as pytest fixtures, hence many positional parameters.

import brownie
from brownie import chain
from challenge_helpers import (
    CONDITIONAL,
    CRITERIA_UNMET,
    DAY,
    DISPUTED,
    ETH,
    IDEATION,
    OVERTURNED,
    PRIOR_ART_CID,
    PRIOR_ART_COMMITMENT,
    PRIOR_ART_SALT,
    PRIOR_KNOWLEDGE,
    PRIZE,
    REFUSED,
    SUBMITTED,
    ZERO32,
    after_evaluation,
    award_owed,
    enter,
    err,
    hex32,
    to_evaluation,
)

FEE = PRIZE * 300 // 10_000
DISPUTE_WINDOW = 7 * DAY
RULING_PERIOD = 14 * DAY


def refused_with_arbiter(create, escrow, seeker, arbiter, solver):
    cid = create(kind=CONDITIONAL, arbiter=arbiter)
    enter(escrow, cid, solver)
    to_evaluation(escrow, cid)
    escrow.declareCriteriaUnmet(cid, solver, {"from": seeker, "value": FEE})
    return cid


def test_criteria_unmet_without_arbiter_is_final_and_refunds(create, escrow, seeker, solver, outsider):
    cid = create(kind=CONDITIONAL)
    enter(escrow, cid, solver)
    to_evaluation(escrow, cid)
    tx = escrow.declareCriteriaUnmet(cid, solver, {"from": seeker})
    event = tx.events["SubmissionRefused"]
    assert (event["reason"], event["fee"], event["disputeDeadline"]) == (CRITERIA_UNMET, 0, 0)
    assert escrow.getEntry(cid, solver)["status"] == REFUSED
    escrow.closeEvaluation(cid, {"from": seeker})
    assert escrow.claimRefund(cid, seeker, {"from": outsider}).return_value == PRIZE


def test_criteria_unmet_not_allowed_for_ideation(escrow, entered, seeker, solver):
    to_evaluation(escrow, entered)
    with brownie.reverts(err("RefusalNotAllowed", entered, CRITERIA_UNMET)):
        escrow.declareCriteriaUnmet(entered, solver, {"from": seeker})


def test_refusal_with_arbiter_requires_the_fee_deposit(create, escrow, seeker, arbiter, solver):
    cid = create(kind=CONDITIONAL, arbiter=arbiter)
    enter(escrow, cid, solver)
    to_evaluation(escrow, cid)
    assert escrow.arbitrationFee(cid) == FEE
    with brownie.reverts(err("EthAmountMismatch", 0, FEE)):
        escrow.declareCriteriaUnmet(cid, solver, {"from": seeker})
    tx = escrow.declareCriteriaUnmet(cid, solver, {"from": seeker, "value": FEE})
    assert tx.events["SubmissionRefused"]["fee"] == FEE
    assert tx.events["SubmissionRefused"]["disputeDeadline"] == tx.timestamp + DISPUTE_WINDOW
    assert escrow.totalOwed(ETH) == PRIZE + FEE


def test_refusal_before_submission_deadline_reverts(create, escrow, seeker, solver):
    cid = create(kind=CONDITIONAL)
    enter(escrow, cid, solver)
    deadline = escrow.getChallenge(cid)["submissionDeadline"]
    with brownie.reverts(err("DeadlineNotReached", cid, deadline)):
        escrow.declareCriteriaUnmet(cid, solver, {"from": seeker})


def test_refusing_an_awarded_entrant_reverts(create, escrow, seeker, solver):
    cid = create(kind=CONDITIONAL, slots=[PRIZE, PRIZE])
    enter(escrow, cid, solver)
    to_evaluation(escrow, cid)
    escrow.award(cid, solver, 0, PRIZE, {"from": seeker})
    with brownie.reverts(err("WrongEntryStatus", cid, solver, 3)):
        escrow.declareCriteriaUnmet(cid, solver, {"from": seeker})


def test_prior_knowledge_refusal_reveals_commitment(create, escrow, seeker, solver):
    cid = create(kind=IDEATION, prior_art_commitment=PRIOR_ART_COMMITMENT)
    enter(escrow, cid, solver)
    to_evaluation(escrow, cid)
    tx = escrow.refuseForPriorKnowledge(cid, solver, PRIOR_ART_SALT, PRIOR_ART_CID, {"from": seeker})
    revealed = tx.events["PriorKnowledgeRevealed"]
    assert revealed["salt"] == PRIOR_ART_SALT and revealed["priorArtCid"] == "0x" + PRIOR_ART_CID.hex()
    assert tx.events["SubmissionRefused"]["reason"] == PRIOR_KNOWLEDGE
    assert escrow.getEntry(cid, solver)["status"] == REFUSED


def test_prior_knowledge_with_wrong_preimage_reverts(create, escrow, seeker, solver, web3):
    cid = create(prior_art_commitment=PRIOR_ART_COMMITMENT)
    enter(escrow, cid, solver)
    to_evaluation(escrow, cid)
    revealed = hex32(web3.keccak(bytes.fromhex(PRIOR_ART_SALT[2:]) + b"other"))
    with brownie.reverts(err("PriorArtMismatch", cid, PRIOR_ART_COMMITMENT, revealed)):
        escrow.refuseForPriorKnowledge(cid, solver, PRIOR_ART_SALT, b"other", {"from": seeker})


def test_prior_knowledge_without_commitment_reverts(escrow, entered, seeker, solver, web3):
    to_evaluation(escrow, entered)
    revealed = hex32(web3.keccak(bytes.fromhex(PRIOR_ART_SALT[2:]) + PRIOR_ART_CID))
    with brownie.reverts(err("PriorArtMismatch", entered, ZERO32, revealed)):
        escrow.refuseForPriorKnowledge(entered, solver, PRIOR_ART_SALT, PRIOR_ART_CID, {"from": seeker})


def test_all_submissions_refused_for_prior_knowledge_refunds_ideation(create, escrow, seeker, solver, outsider):
    cid = create(prior_art_commitment=PRIOR_ART_COMMITMENT)
    enter(escrow, cid, solver)
    to_evaluation(escrow, cid)
    escrow.refuseForPriorKnowledge(cid, solver, PRIOR_ART_SALT, PRIOR_ART_CID, {"from": seeker})
    after_evaluation(escrow, cid)
    tx = escrow.settle(cid, {"from": outsider})
    assert tx.events["ChallengeSettled"]["refundPool"] == PRIZE


def test_dispute_without_arbiter_reverts(create, escrow, seeker, solver):
    cid = create(kind=CONDITIONAL)
    enter(escrow, cid, solver)
    to_evaluation(escrow, cid)
    escrow.declareCriteriaUnmet(cid, solver, {"from": seeker})
    with brownie.reverts(err("NoArbiter", cid)):
        escrow.disputeRefusal(cid, {"from": solver})


def test_dispute_deposits_fee_and_sets_ruling_deadline(create, escrow, seeker, arbiter, solver):
    cid = refused_with_arbiter(create, escrow, seeker, arbiter, solver)
    tx = escrow.disputeRefusal(cid, {"from": solver, "value": FEE})
    event = tx.events["RefusalDisputed"]
    assert event["fee"] == FEE and event["rulingDeadline"] == tx.timestamp + RULING_PERIOD
    assert escrow.getEntry(cid, solver)["status"] == DISPUTED
    assert escrow.totalOwed(ETH) == PRIZE + 2 * FEE


def test_dispute_after_window_reverts(create, escrow, seeker, arbiter, solver):
    cid = refused_with_arbiter(create, escrow, seeker, arbiter, solver)
    deadline = escrow.getRefusal(cid, solver)["deadline"]
    chain.sleep(DISPUTE_WINDOW + 1)
    chain.mine()
    with brownie.reverts(err("DeadlinePassed", cid, deadline)):
        escrow.disputeRefusal(cid, {"from": solver, "value": FEE})


def test_dispute_by_unrefused_account_reverts(create, escrow, seeker, arbiter, solver, solver2):
    cid = refused_with_arbiter(create, escrow, seeker, arbiter, solver)
    with brownie.reverts(err("WrongEntryStatus", cid, solver2, 0)):
        escrow.disputeRefusal(cid, {"from": solver2, "value": FEE})


def test_arbiter_upholds_refusal_and_takes_solver_deposit(create, escrow, seeker, arbiter, solver, outsider):
    cid = refused_with_arbiter(create, escrow, seeker, arbiter, solver)
    escrow.disputeRefusal(cid, {"from": solver, "value": FEE})
    tx = escrow.ruleOnDispute(cid, solver, False, {"from": arbiter})
    assert tx.events["RefusalResolved"]["overturned"] is False
    assert escrow.withdrawable(ETH, arbiter) == FEE
    assert escrow.withdrawable(ETH, seeker) == FEE
    assert escrow.withdrawable(ETH, solver) == 0
    escrow.closeEvaluation(cid, {"from": seeker})
    escrow.claimRefund(cid, seeker, {"from": outsider})
    assert escrow.withdrawable(ETH, seeker) == FEE + PRIZE


def test_arbiter_overturns_refusal_and_takes_seeker_deposit(create, escrow, seeker, arbiter, solver, outsider):
    cid = refused_with_arbiter(create, escrow, seeker, arbiter, solver)
    escrow.disputeRefusal(cid, {"from": solver, "value": FEE})
    tx = escrow.ruleOnDispute(cid, solver, True, {"from": arbiter})
    assert tx.events["RefusalResolved"]["overturned"] is True
    assert escrow.getEntry(cid, solver)["status"] == OVERTURNED
    assert escrow.withdrawable(ETH, arbiter) == FEE
    assert escrow.withdrawable(ETH, solver) == FEE
    with brownie.reverts(err("PrizeNotFullyAwarded", cid, PRIZE, 1)):
        escrow.closeEvaluation(cid, {"from": seeker})
    after_evaluation(escrow, cid, 14 * DAY)
    escrow.settle(cid, {"from": outsider})
    escrow.claimShare(cid, solver, {"from": outsider})
    assert escrow.withdrawable(ETH, solver) == FEE  # its deposit back
    assert award_owed(escrow, cid, solver) == PRIZE


def test_ruling_by_non_arbiter_reverts(create, escrow, seeker, arbiter, solver):
    cid = refused_with_arbiter(create, escrow, seeker, arbiter, solver)
    escrow.disputeRefusal(cid, {"from": solver, "value": FEE})
    with brownie.reverts(err("NotArbiter", cid, seeker)):
        escrow.ruleOnDispute(cid, solver, False, {"from": seeker})


def test_ruling_after_deadline_reverts(create, escrow, seeker, arbiter, solver):
    cid = refused_with_arbiter(create, escrow, seeker, arbiter, solver)
    escrow.disputeRefusal(cid, {"from": solver, "value": FEE})
    deadline = escrow.getRefusal(cid, solver)["deadline"]
    chain.sleep(RULING_PERIOD + 1)
    chain.mine()
    with brownie.reverts(err("DeadlinePassed", cid, deadline)):
        escrow.ruleOnDispute(cid, solver, False, {"from": arbiter})


def test_silent_arbiter_overturns_refusal_and_returns_both_deposits(create, escrow, seeker, arbiter, solver, outsider):
    cid = refused_with_arbiter(create, escrow, seeker, arbiter, solver)
    escrow.disputeRefusal(cid, {"from": solver, "value": FEE})
    deadline = escrow.getRefusal(cid, solver)["deadline"]
    with brownie.reverts(err("DeadlineNotReached", cid, deadline)):
        escrow.finalizeRefusal(cid, solver, {"from": outsider})
    chain.sleep(RULING_PERIOD + 1)
    chain.mine()
    tx = escrow.finalizeRefusal(cid, solver, {"from": outsider})
    assert tx.events["RefusalResolved"]["overturned"] is True
    assert escrow.getEntry(cid, solver)["status"] == OVERTURNED
    assert escrow.withdrawable(ETH, seeker) == FEE
    assert escrow.withdrawable(ETH, solver) == FEE
    assert escrow.withdrawable(ETH, arbiter) == 0


def test_undisputed_refusal_becomes_final_and_returns_seeker_deposit(create, escrow, seeker, arbiter, solver, outsider):
    cid = refused_with_arbiter(create, escrow, seeker, arbiter, solver)
    chain.sleep(DISPUTE_WINDOW + 1)
    chain.mine()
    tx = escrow.finalizeRefusal(cid, solver, {"from": outsider})
    assert tx.events["RefusalResolved"]["overturned"] is False
    assert escrow.withdrawable(ETH, seeker) == FEE
    assert escrow.getChallenge(cid)["openRefusals"] == 0


def test_open_refusal_blocks_settlement_until_finalized(create, escrow, seeker, arbiter, solver, outsider):
    cid = refused_with_arbiter(create, escrow, seeker, arbiter, solver)
    with brownie.reverts(err("RefusalsPending", cid, 1)):
        escrow.closeEvaluation(cid, {"from": seeker})
    after_evaluation(escrow, cid, 14 * DAY)
    with brownie.reverts(err("RefusalsPending", cid, 1)):
        escrow.settle(cid, {"from": outsider})
    escrow.finalizeRefusal(cid, solver, {"from": outsider})
    tx = escrow.settle(cid, {"from": outsider})
    assert tx.events["ChallengeSettled"]["refundPool"] == PRIZE


def test_finalize_refusal_twice_reverts(create, escrow, seeker, arbiter, solver, outsider):
    cid = refused_with_arbiter(create, escrow, seeker, arbiter, solver)
    chain.sleep(DISPUTE_WINDOW + 1)
    chain.mine()
    escrow.finalizeRefusal(cid, solver, {"from": outsider})
    with brownie.reverts(err("WrongEntryStatus", cid, solver, REFUSED)):
        escrow.finalizeRefusal(cid, solver, {"from": outsider})


def test_refusal_of_unsubmitted_entrant_reverts(create, escrow, seeker, solver2):
    cid = create(kind=CONDITIONAL)
    to_evaluation(escrow, cid)
    with brownie.reverts(err("WrongEntryStatus", cid, solver2, 0)):
        escrow.declareCriteriaUnmet(cid, solver2, {"from": seeker})


def test_seeker_refuses_one_and_awards_another(create, escrow, seeker, solver, solver2):
    cid = create(kind=CONDITIONAL)
    enter(escrow, cid, solver, solver2)
    to_evaluation(escrow, cid)
    escrow.declareCriteriaUnmet(cid, solver, {"from": seeker})
    escrow.award(cid, solver2, 0, PRIZE, {"from": seeker})
    escrow.closeEvaluation(cid, {"from": seeker})
    assert award_owed(escrow, cid, solver2) == PRIZE
    assert escrow.getEntry(cid, solver2)["status"] != SUBMITTED
