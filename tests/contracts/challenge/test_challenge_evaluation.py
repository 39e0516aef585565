"""Terms, submissions, awards, closing, default outcomes, shares and evaluation licences."""

# Tests take their roles and contracts as pytest fixtures, hence many positional parameters.

import brownie
from brownie import chain, web3
from challenge_helpers import (
    ACCEPTED,
    AGREEMENT,
    CONDITIONAL,
    DAY,
    ETH,
    OPEN,
    PRIZE,
    RFP,
    SELECTED,
    SETTLED,
    SUBMISSION_CID,
    SUBMITTED,
    after_evaluation,
    award_owed,
    enter,
    err,
    gas_cost,
    hex32,
    to_evaluation,
)

ARBITER_DECISION_PERIOD = 14 * DAY


# ----------------------------------------------------------------- terms and submissions


def test_accept_terms_emits_agreement_hash_and_freezes_terms(escrow, challenge, solver):
    tx = escrow.acceptTerms(challenge, AGREEMENT, {"from": solver})
    event = tx.events["TermsAccepted"]
    assert (event["challengeId"], event["solver"], event["agreementHash"]) == (challenge, solver, AGREEMENT)
    assert escrow.getEntry(challenge, solver)["status"] == ACCEPTED
    assert escrow.getChallenge(challenge)["termsFrozen"]


def test_accept_terms_with_wrong_hash_reverts(escrow, challenge, solver):
    wrong = hex32(b"\x01" * 32)
    with brownie.reverts(err("AgreementMismatch", challenge, AGREEMENT, wrong)):
        escrow.acceptTerms(challenge, wrong, {"from": solver})


def test_accept_terms_twice_reverts(escrow, challenge, solver):
    escrow.acceptTerms(challenge, AGREEMENT, {"from": solver})
    with brownie.reverts(err("AlreadyAccepted", challenge, solver)):
        escrow.acceptTerms(challenge, AGREEMENT, {"from": solver})


def test_accept_terms_after_submission_deadline_reverts(escrow, challenge, solver):
    deadline = escrow.getChallenge(challenge)["submissionDeadline"]
    to_evaluation(escrow, challenge)
    with brownie.reverts(err("DeadlinePassed", challenge, deadline)):
        escrow.acceptTerms(challenge, AGREEMENT, {"from": solver})


def test_submit_without_accepting_terms_reverts(escrow, challenge, solver):
    with brownie.reverts(err("WrongEntryStatus", challenge, solver, 0)):
        escrow.submit(challenge, SUBMISSION_CID, {"from": solver})


def test_submit_records_solver_time_and_cid_hash(escrow, challenge, solver):
    escrow.acceptTerms(challenge, AGREEMENT, {"from": solver})
    tx = escrow.submit(challenge, SUBMISSION_CID, {"from": solver})
    event = tx.events["SubmissionCommitted"]
    assert event["entrant"] == solver
    assert event["cid"] == "0x" + SUBMISSION_CID.hex()
    assert event["cidHash"] == hex32(web3.keccak(SUBMISSION_CID))
    assert event["submittedAt"] == tx.timestamp
    entry = escrow.getEntry(challenge, solver)
    assert entry["status"] == SUBMITTED and entry["submittedAt"] == tx.timestamp
    assert escrow.getChallenge(challenge)["eligibleCount"] == 1


def test_copied_cid_submitted_later_is_visibly_second(escrow, challenge, solver, solver2):
    escrow.acceptTerms(challenge, AGREEMENT, {"from": solver})
    escrow.acceptTerms(challenge, AGREEMENT, {"from": solver2})
    first = escrow.submit(challenge, SUBMISSION_CID, {"from": solver})
    chain.sleep(60)
    second = escrow.submit(challenge, SUBMISSION_CID, {"from": solver2})
    a = escrow.getEntry(challenge, solver)
    b = escrow.getEntry(challenge, solver2)
    assert first.events["SubmissionCommitted"]["cidHash"] == second.events["SubmissionCommitted"]["cidHash"]
    assert a["submittedAt"] < b["submittedAt"]
    assert first.events["SubmissionCommitted"]["entrant"] == solver
    assert second.events["SubmissionCommitted"]["entrant"] == solver2


def test_submit_twice_reverts(escrow, entered, solver):
    with brownie.reverts(err("WrongEntryStatus", entered, solver, SUBMITTED)):
        escrow.submit(entered, SUBMISSION_CID, {"from": solver})


def test_submit_empty_cid_reverts(escrow, challenge, solver):
    escrow.acceptTerms(challenge, AGREEMENT, {"from": solver})
    with brownie.reverts(err("EmptyCid")):
        escrow.submit(challenge, b"", {"from": solver})


def test_submit_after_deadline_reverts(escrow, challenge, solver):
    escrow.acceptTerms(challenge, AGREEMENT, {"from": solver})
    deadline = escrow.getChallenge(challenge)["submissionDeadline"]
    to_evaluation(escrow, challenge)
    with brownie.reverts(err("DeadlinePassed", challenge, deadline)):
        escrow.submit(challenge, SUBMISSION_CID, {"from": solver})


# ----------------------------------------------------------------- awards


def test_award_is_held_for_solver_and_transfers_ip(escrow, entered, seeker, solver):
    to_evaluation(escrow, entered)
    tx = escrow.award(entered, solver, 0, PRIZE, {"from": seeker})
    event = tx.events["AwardGranted"]
    assert (event["entrant"], event["slot"], event["amount"], event["slotRemaining"]) == (solver, 0, PRIZE, 0)
    assert event["grantor"] == seeker
    assert tx.events["IpTransferred"]["agreementHash"] == AGREEMENT
    assert award_owed(escrow, entered, solver) == PRIZE
    assert escrow.withdrawable(ETH, solver) == 0
    assert escrow.getEntry(entered, solver)["status"] == SELECTED


def test_winner_withdraws_award(escrow, entered, seeker, solver):
    to_evaluation(escrow, entered)
    escrow.award(entered, solver, 0, PRIZE, {"from": seeker})
    before = solver.balance()
    tx = escrow.withdrawAward(entered, {"from": solver})
    assert solver.balance() - before == PRIZE - gas_cost(tx)
    event = tx.events["AwardWithdrawn"]
    assert (event["challengeId"], event["entrant"], event["token"], event["amount"]) == (entered, solver, ETH, PRIZE)
    assert award_owed(escrow, entered, solver) == 0
    assert escrow.balance() == 0 and escrow.totalOwed(ETH) == 0


def test_withdraw_twice_reverts(escrow, entered, seeker, solver):
    to_evaluation(escrow, entered)
    escrow.award(entered, solver, 0, PRIZE, {"from": seeker})
    escrow.withdrawAward(entered, {"from": solver})
    with brownie.reverts(err("NothingToClaim", entered, solver)):
        escrow.withdrawAward(entered, {"from": solver})


def test_award_before_submission_deadline_reverts(escrow, entered, seeker, solver):
    deadline = escrow.getChallenge(entered)["submissionDeadline"]
    with brownie.reverts(err("DeadlineNotReached", entered, deadline)):
        escrow.award(entered, solver, 0, PRIZE, {"from": seeker})


def test_award_after_evaluation_deadline_reverts(escrow, entered, seeker, solver):
    deadline = escrow.getChallenge(entered)["evaluationDeadline"]
    after_evaluation(escrow, entered)
    with brownie.reverts(err("DeadlinePassed", entered, deadline)):
        escrow.award(entered, solver, 0, PRIZE, {"from": seeker})


def test_award_by_outsider_reverts(escrow, entered, outsider, solver):
    to_evaluation(escrow, entered)
    with brownie.reverts(err("NotSeeker", entered, outsider)):
        escrow.award(entered, solver, 0, PRIZE, {"from": outsider})


def test_award_beyond_slot_reverts(escrow, entered, seeker, solver):
    to_evaluation(escrow, entered)
    with brownie.reverts(err("SlotExceeded", entered, 0, PRIZE, PRIZE + 1)):
        escrow.award(entered, solver, 0, PRIZE + 1, {"from": seeker})


def test_award_unknown_slot_reverts(escrow, entered, seeker, solver):
    to_evaluation(escrow, entered)
    with brownie.reverts(err("UnknownSlot", entered, 1)):
        escrow.award(entered, solver, 1, 1, {"from": seeker})


def test_award_to_non_submitter_reverts(escrow, entered, seeker, outsider):
    to_evaluation(escrow, entered)
    with brownie.reverts(err("WrongEntryStatus", entered, outsider, 0)):
        escrow.award(entered, outsider, 0, 1, {"from": seeker})


def test_award_zero_reverts(escrow, entered, seeker, solver):
    to_evaluation(escrow, entered)
    with brownie.reverts(err("InvalidAmount", 0)):
        escrow.award(entered, solver, 0, 0, {"from": seeker})


def test_partial_awards_split_a_slot_among_winners(create, escrow, seeker, solver, solver2):
    cid = create(slots=[PRIZE, PRIZE // 2])
    enter(escrow, cid, solver, solver2)
    to_evaluation(escrow, cid)
    escrow.award(cid, solver, 0, PRIZE * 3 // 4, {"from": seeker})
    escrow.award(cid, solver2, 0, PRIZE // 4, {"from": seeker})
    tx = escrow.award(cid, solver2, 1, PRIZE // 2, {"from": seeker})
    assert "IpTransferred" not in tx.events  # already recorded on its first award
    assert award_owed(escrow, cid, solver) == PRIZE * 3 // 4
    assert award_owed(escrow, cid, solver2) == PRIZE * 3 // 4
    assert escrow.slotRemaining(cid, 0) == 0 and escrow.slotRemaining(cid, 1) == 0


def test_contribution_can_be_awarded_from_slot_zero(escrow, entered, seeker, solver, contributor):
    escrow.contribute(entered, PRIZE, {"from": contributor, "value": PRIZE})
    to_evaluation(escrow, entered)
    escrow.award(entered, solver, 0, 2 * PRIZE, {"from": seeker})
    assert award_owed(escrow, entered, solver) == 2 * PRIZE


# ----------------------------------------------------------------- closing by the seeker


def test_close_after_full_award_settles(escrow, entered, seeker, solver):
    to_evaluation(escrow, entered)
    escrow.award(entered, solver, 0, PRIZE, {"from": seeker})
    tx = escrow.closeEvaluation(entered, {"from": seeker})
    event = tx.events["ChallengeSettled"]
    assert event["sharePool"] == 0 and event["refundPool"] == 0
    assert event["licenceExpiry"] == tx.timestamp + 90 * DAY
    assert escrow.getChallenge(entered)["state"] == SETTLED


def test_close_with_prize_left_and_eligible_submissions_reverts(escrow, entered, seeker, solver):
    to_evaluation(escrow, entered)
    escrow.award(entered, solver, 0, PRIZE // 2, {"from": seeker})
    with brownie.reverts(err("PrizeNotFullyAwarded", entered, PRIZE // 2, 1)):
        escrow.closeEvaluation(entered, {"from": seeker})


def test_close_before_submission_deadline_reverts(escrow, entered, seeker):
    deadline = escrow.getChallenge(entered)["submissionDeadline"]
    with brownie.reverts(err("DeadlineNotReached", entered, deadline)):
        escrow.closeEvaluation(entered, {"from": seeker})


def test_close_without_submissions_refunds_contributors(escrow, challenge, seeker, contributor):
    escrow.contribute(challenge, PRIZE, {"from": contributor, "value": PRIZE})
    to_evaluation(escrow, challenge)
    tx = escrow.closeEvaluation(challenge, {"from": seeker})
    assert tx.events["ChallengeSettled"]["refundPool"] == 2 * PRIZE
    escrow.claimRefund(challenge, contributor, {"from": contributor})
    escrow.claimRefund(challenge, seeker, {"from": contributor})
    assert escrow.withdrawable(ETH, contributor) == PRIZE
    assert escrow.withdrawable(ETH, seeker) == PRIZE


def test_settled_challenge_rejects_awards(escrow, entered, seeker, solver):
    to_evaluation(escrow, entered)
    escrow.award(entered, solver, 0, PRIZE, {"from": seeker})
    escrow.closeEvaluation(entered, {"from": seeker})
    with brownie.reverts(err("WrongState", entered, SETTLED)):
        escrow.award(entered, solver, 0, 1, {"from": seeker})


# ----------------------------------------------------------------- default outcomes


def test_settle_before_evaluation_deadline_reverts(escrow, entered, outsider):
    deadline = escrow.getChallenge(entered)["evaluationDeadline"]
    to_evaluation(escrow, entered)
    with brownie.reverts(err("DeadlineNotReached", entered, deadline)):
        escrow.settle(entered, {"from": outsider})


def test_missed_evaluation_splits_prize_among_on_time_submissions(create, escrow, solver, solver2, solver3, outsider):
    cid = create(slots=[PRIZE, PRIZE // 2])
    enter(escrow, cid, solver, solver2, solver3)
    after_evaluation(escrow, cid)
    tx = escrow.settle(cid, {"from": outsider})
    event = tx.events["ChallengeSettled"]
    assert event["sharePool"] == PRIZE * 3 // 2 and event["shareCount"] == 3
    total = 0
    for account in (solver, solver2, solver3):
        claim = escrow.claimShare(cid, account, {"from": outsider})
        assert claim.events["ShareClaimed"]["entrant"] == account
        total += award_owed(escrow, cid, account)
    assert total == PRIZE * 3 // 2


def test_default_split_pays_the_pool_exactly_despite_rounding(create, escrow, solver, solver2, solver3, outsider):
    cid = create(slots=[10])
    enter(escrow, cid, solver, solver2, solver3)
    after_evaluation(escrow, cid)
    escrow.settle(cid, {"from": outsider})
    amounts = [escrow.claimShare(cid, a, {"from": outsider}).return_value for a in (solver, solver2, solver3)]
    assert amounts == [3, 3, 4]
    assert escrow.getOutcome(cid)["sharesPaid"] == 10


def test_default_split_keeps_earlier_awards_and_shares_the_rest(escrow, create, seeker, solver, solver2, outsider):
    cid = create()
    enter(escrow, cid, solver, solver2)
    to_evaluation(escrow, cid)
    escrow.award(cid, solver, 0, PRIZE // 2, {"from": seeker})
    after_evaluation(escrow, cid)
    escrow.settle(cid, {"from": outsider})
    escrow.claimShare(cid, solver, {"from": outsider})
    escrow.claimShare(cid, solver2, {"from": outsider})
    assert award_owed(escrow, cid, solver) == PRIZE // 2 + PRIZE // 4
    assert award_owed(escrow, cid, solver2) == PRIZE // 4


def test_share_cannot_be_claimed_twice(escrow, entered, solver, outsider):
    after_evaluation(escrow, entered)
    escrow.settle(entered, {"from": outsider})
    escrow.claimShare(entered, solver, {"from": outsider})
    with brownie.reverts(err("NothingToClaim", entered, solver)):
        escrow.claimShare(entered, solver, {"from": outsider})


def test_share_for_non_entrant_reverts(escrow, entered, outsider):
    after_evaluation(escrow, entered)
    escrow.settle(entered, {"from": outsider})
    with brownie.reverts(err("NothingToClaim", entered, outsider)):
        escrow.claimShare(entered, outsider, {"from": outsider})


def test_share_before_settlement_reverts(escrow, entered, solver):
    with brownie.reverts(err("WrongState", entered, OPEN)):
        escrow.claimShare(entered, solver, {"from": solver})


def test_no_submissions_after_deadline_refunds_contributors(escrow, challenge, seeker, contributor, outsider):
    escrow.contribute(challenge, PRIZE // 2, {"from": contributor, "value": PRIZE // 2})
    after_evaluation(escrow, challenge)
    tx = escrow.settle(challenge, {"from": outsider})
    assert tx.events["ChallengeSettled"]["refundPool"] == PRIZE * 3 // 2
    assert escrow.claimRefund(challenge, seeker, {"from": outsider}).return_value == PRIZE
    assert escrow.claimRefund(challenge, contributor, {"from": outsider}).return_value == PRIZE // 2


def test_conditional_without_evaluation_pays_submitters(create, escrow, solver, outsider):
    cid = create(kind=CONDITIONAL)
    enter(escrow, cid, solver)
    after_evaluation(escrow, cid)
    escrow.settle(cid, {"from": outsider})
    escrow.claimShare(cid, solver, {"from": outsider})
    assert award_owed(escrow, cid, solver) == PRIZE


def test_with_arbiter_settle_waits_for_the_arbiter_decision_period(create, escrow, arbiter, solver, outsider):
    cid = create(arbiter=arbiter)
    enter(escrow, cid, solver)
    after_evaluation(escrow, cid)
    deadline = escrow.getChallenge(cid)["evaluationDeadline"] + ARBITER_DECISION_PERIOD
    with brownie.reverts(err("DeadlineNotReached", cid, deadline)):
        escrow.settle(cid, {"from": outsider})
    chain.sleep(ARBITER_DECISION_PERIOD)
    chain.mine()
    escrow.settle(cid, {"from": outsider})
    escrow.claimShare(cid, solver, {"from": outsider})
    assert award_owed(escrow, cid, solver) == PRIZE


def test_arbiter_decides_awards_after_seeker_missed_deadline(create, escrow, arbiter, solver, solver2, outsider):
    cid = create(arbiter=arbiter)
    enter(escrow, cid, solver, solver2)
    after_evaluation(escrow, cid)
    tx = escrow.award(cid, solver2, 0, PRIZE, {"from": arbiter})
    assert tx.events["AwardGranted"]["grantor"] == arbiter
    escrow.arbiterClose(cid, {"from": arbiter})
    assert escrow.getChallenge(cid)["state"] == SETTLED
    assert award_owed(escrow, cid, solver2) == PRIZE
    assert award_owed(escrow, cid, solver) == 0


def test_arbiter_cannot_award_during_evaluation(create, escrow, arbiter, solver):
    cid = create(arbiter=arbiter)
    enter(escrow, cid, solver)
    to_evaluation(escrow, cid)
    deadline = escrow.getChallenge(cid)["evaluationDeadline"]
    with brownie.reverts(err("DeadlineNotReached", cid, deadline)):
        escrow.award(cid, solver, 0, PRIZE, {"from": arbiter})


def test_arbiter_cannot_award_after_its_decision_period(create, escrow, arbiter, solver):
    cid = create(arbiter=arbiter)
    enter(escrow, cid, solver)
    after_evaluation(escrow, cid, ARBITER_DECISION_PERIOD)
    deadline = escrow.getChallenge(cid)["evaluationDeadline"] + ARBITER_DECISION_PERIOD
    with brownie.reverts(err("DeadlinePassed", cid, deadline)):
        escrow.award(cid, solver, 0, PRIZE, {"from": arbiter})


def test_arbiter_close_by_outsider_reverts(create, escrow, arbiter, outsider):
    cid = create(arbiter=arbiter)
    after_evaluation(escrow, cid)
    with brownie.reverts(err("NotArbiter", cid, outsider)):
        escrow.arbiterClose(cid, {"from": outsider})


# ----------------------------------------------------------------- licences and RFPs


def test_unselected_solver_licence_expires_after_licence_period(create, escrow, seeker, solver, solver2):
    cid = create(licence_days=30)
    enter(escrow, cid, solver, solver2)
    to_evaluation(escrow, cid)
    assert escrow.licenceExpiry(cid, solver2) == 0
    escrow.award(cid, solver, 0, PRIZE, {"from": seeker})
    tx = escrow.closeEvaluation(cid, {"from": seeker})
    assert escrow.licenceExpiry(cid, solver2) == tx.timestamp + 30 * DAY
    assert tx.events["ChallengeSettled"]["licenceExpiry"] == tx.timestamp + 30 * DAY
    assert escrow.licenceExpiry(cid, solver) == 0  # the winner's IP was transferred


def test_rfp_seeker_selects_proposals(create, escrow, seeker, solver, solver2):
    cid = create(kind=RFP)
    enter(escrow, cid, solver, solver2)
    to_evaluation(escrow, cid)
    tx = escrow.selectProposal(cid, solver2, {"from": seeker})
    assert tx.events["ProposalSelected"]["entrant"] == solver2
    assert escrow.getEntry(cid, solver2)["status"] == SELECTED
    escrow.closeEvaluation(cid, {"from": seeker})
    assert escrow.licenceExpiry(cid, solver) > 0
    assert escrow.balance() == 0


def test_rfp_award_reverts(create, escrow, seeker, solver):
    cid = create(kind=RFP)
    enter(escrow, cid, solver)
    to_evaluation(escrow, cid)
    with brownie.reverts(err("NoCashPrize", cid)):
        escrow.award(cid, solver, 0, 1, {"from": seeker})


def test_select_proposal_on_cash_challenge_reverts(escrow, entered, seeker, solver):
    to_evaluation(escrow, entered)
    with brownie.reverts(err("WrongState", entered, OPEN)):
        escrow.selectProposal(entered, solver, {"from": seeker})


def test_rfp_settles_by_default_with_nothing_to_pay(create, escrow, solver, outsider):
    cid = create(kind=RFP)
    enter(escrow, cid, solver)
    after_evaluation(escrow, cid)
    tx = escrow.settle(cid, {"from": outsider})
    assert tx.events["ChallengeSettled"]["sharePool"] == 0
    assert escrow.getChallenge(cid)["state"] == SETTLED


def test_slot_remaining_of_unknown_slot_reverts(escrow, challenge):
    with brownie.reverts(err("UnknownSlot", challenge, 1)):
        escrow.slotRemaining(challenge, 1)


def test_arbiter_partial_award_then_split_after_its_period(create, escrow, arbiter, solver, solver2, outsider):
    cid = create(arbiter=arbiter)
    enter(escrow, cid, solver, solver2)
    after_evaluation(escrow, cid)
    escrow.award(cid, solver, 0, PRIZE // 2, {"from": arbiter})
    chain.sleep(ARBITER_DECISION_PERIOD)
    chain.mine()
    tx = escrow.settle(cid, {"from": outsider})
    assert tx.events["ChallengeSettled"]["sharePool"] == PRIZE // 2
    escrow.claimShare(cid, solver, {"from": outsider})
    escrow.claimShare(cid, solver2, {"from": outsider})
    assert award_owed(escrow, cid, solver) == PRIZE // 2 + PRIZE // 4
    assert award_owed(escrow, cid, solver2) == PRIZE // 4


def test_erc20_refund_after_no_submissions_is_withdrawn_in_tokens(create, escrow, token, seeker, contributor, outsider):
    cid = create(token=token)
    escrow.contribute(cid, PRIZE, {"from": contributor})
    after_evaluation(escrow, cid)
    escrow.settle(cid, {"from": outsider})
    escrow.claimRefund(cid, contributor, {"from": outsider})
    before = token.balanceOf(contributor)
    escrow.withdraw(token, {"from": contributor})
    assert token.balanceOf(contributor) - before == PRIZE
    assert escrow.totalOwed(token) == PRIZE == token.balanceOf(escrow)  # the seeker's refund is still owed


def test_settle_twice_reverts(escrow, entered, outsider):
    after_evaluation(escrow, entered)
    escrow.settle(entered, {"from": outsider})
    with brownie.reverts(err("WrongState", entered, SETTLED)):
        escrow.settle(entered, {"from": outsider})


def test_accepted_but_not_submitted_gets_no_share_and_no_licence(escrow, challenge, solver, solver2, outsider):
    escrow.acceptTerms(challenge, AGREEMENT, {"from": solver2})
    enter(escrow, challenge, solver)
    after_evaluation(escrow, challenge)
    escrow.settle(challenge, {"from": outsider})
    with brownie.reverts(err("NothingToClaim", challenge, solver2)):
        escrow.claimShare(challenge, solver2, {"from": outsider})
    assert escrow.licenceExpiry(challenge, solver2) == 0
    assert escrow.licenceExpiry(challenge, solver) > 0
