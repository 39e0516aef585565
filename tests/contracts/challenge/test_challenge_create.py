"""Creating and funding challenges: validation, events, tokens, contributions, deadlines, cancel."""

# Tests take their roles and contracts as pytest fixtures, hence many positional parameters.

import brownie
from brownie import FalseReturningToken, FeeOnTransferToken, NoReturnToken, chain
from challenge_helpers import (
    AGREEMENT,
    CANCELLED,
    CONDITIONAL,
    ETH,
    IDEATION,
    METADATA_CID,
    METADATA_HASH,
    OPEN,
    PRIOR_ART_COMMITMENT,
    PRIZE,
    PUBLIC_KEY,
    RFP,
    err,
    gas_cost,
    terms,
)


def test_create_eth_challenge_records_terms_and_funding(escrow, seeker, arbiter):
    t = terms(slots=[PRIZE, PRIZE // 2], arbiter=arbiter, prior_art_commitment=PRIOR_ART_COMMITMENT)
    before = escrow.balance()
    tx = escrow.createChallenge(t, {"from": seeker, "value": PRIZE * 3 // 2})
    cid = tx.return_value
    c = escrow.getChallenge(cid)
    assert c["seeker"] == seeker
    assert c["state"] == OPEN
    assert c["funded"] == PRIZE * 3 // 2
    assert c["arbiter"] == arbiter
    assert c["extraSlots"] == 1
    assert c["licenceDays"] == 90
    assert c["priorArtCommitment"] == PRIOR_ART_COMMITMENT
    assert escrow.balance() - before == PRIZE * 3 // 2
    assert escrow.totalOwed(ETH) == PRIZE * 3 // 2
    assert escrow.slotRemaining(cid, 0) == PRIZE
    assert escrow.slotRemaining(cid, 1) == PRIZE // 2


def test_challenge_created_event_carries_every_term(escrow, seeker, arbiter):
    t = terms(
        kind=CONDITIONAL,
        slots=[PRIZE],
        arbiter=arbiter,
        licence_days=30,
        prior_art_commitment=PRIOR_ART_COMMITMENT,
    )
    tx = escrow.createChallenge(t, {"from": seeker, "value": PRIZE})
    event = tx.events["ChallengeCreated"]
    assert event["challengeId"] == tx.return_value
    assert event["seeker"] == seeker
    assert event["token"] == ETH
    assert event["licenceDays"] == 30
    emitted = event["terms"]
    assert emitted[0] == CONDITIONAL
    assert list(emitted[2]) == [PRIZE]
    assert emitted[3] == t[3] and emitted[4] == t[4]
    assert emitted[5] == AGREEMENT
    assert emitted[6] == "0x" + METADATA_CID.hex()
    assert emitted[7] == METADATA_HASH
    assert emitted[8] == PUBLIC_KEY
    assert emitted[9] == arbiter
    assert emitted[11] == PRIOR_ART_COMMITMENT
    assert "ChallengeFunded" not in tx.events  # the slot amounts in ChallengeCreated are the funding


def test_challenge_ids_increment(create, escrow):
    first = create()
    second = create()
    assert second == first + 1
    assert escrow.challengeCount() == second


def test_create_rejects_wrong_eth_amount(escrow, seeker):
    with brownie.reverts(err("EthAmountMismatch", PRIZE - 1, PRIZE)):
        escrow.createChallenge(terms(), {"from": seeker, "value": PRIZE - 1})


def test_create_rejects_no_slots_for_cash_challenge(escrow, seeker):
    with brownie.reverts(err("InvalidSlots", 0)):
        escrow.createChallenge(terms(slots=[]), {"from": seeker})


def test_create_rejects_too_many_slots(escrow, seeker):
    with brownie.reverts(err("InvalidSlots", 17)):
        escrow.createChallenge(terms(slots=[1] * 17), {"from": seeker, "value": 17})


def test_create_rejects_slots_for_rfp(escrow, seeker):
    with brownie.reverts(err("InvalidSlots", 1)):
        escrow.createChallenge(terms(kind=RFP, slots=[1]), {"from": seeker, "value": 1})


def test_create_rejects_zero_slot(escrow, seeker):
    with brownie.reverts(err("InvalidAmount", 0)):
        escrow.createChallenge(terms(slots=[PRIZE, 0]), {"from": seeker, "value": PRIZE})


def test_create_rejects_past_submission_deadline(escrow, seeker):
    now = chain.time()
    with brownie.reverts(err("InvalidDeadlines", now - 10, now + 1000)):
        escrow.createChallenge(
            terms(submission_deadline=now - 10, evaluation_deadline=now + 1000),
            {"from": seeker, "value": PRIZE},
        )


def test_create_rejects_evaluation_before_submission_deadline(escrow, seeker):
    now = chain.time()
    with brownie.reverts(err("InvalidDeadlines", now + 1000, now + 1000)):
        escrow.createChallenge(
            terms(submission_deadline=now + 1000, evaluation_deadline=now + 1000),
            {"from": seeker, "value": PRIZE},
        )


def test_create_rejects_seeker_as_arbiter(escrow, seeker):
    with brownie.reverts(err("InvalidArbiter", seeker)):
        escrow.createChallenge(terms(arbiter=seeker), {"from": seeker, "value": PRIZE})


def test_rfp_holds_no_funds(create, escrow):
    cid = create(kind=RFP)
    assert escrow.getChallenge(cid)["funded"] == 0
    assert escrow.balance() == 0


def test_rfp_rejects_eth(escrow, seeker):
    with brownie.reverts(err("EthAmountMismatch", 1, 0)):
        escrow.createChallenge(terms(kind=RFP), {"from": seeker, "value": 1})


def test_create_with_erc20_pulls_tokens(escrow, token, seeker):
    before = token.balanceOf(seeker)
    escrow.createChallenge(terms(token=token), {"from": seeker})
    assert before - token.balanceOf(seeker) == PRIZE
    assert token.balanceOf(escrow) == PRIZE
    assert escrow.totalOwed(token) == PRIZE


def test_create_with_erc20_rejects_eth(escrow, token, seeker):
    with brownie.reverts(err("EthNotAccepted")):
        escrow.createChallenge(terms(token=token), {"from": seeker, "value": 1})


def test_fee_on_transfer_token_is_refused(escrow, seeker, deployer):
    fee_token = FeeOnTransferToken.deploy(100, {"from": deployer})
    fee_token.mint(seeker, PRIZE, {"from": seeker})
    fee_token.approve(escrow, PRIZE, {"from": seeker})
    with brownie.reverts(err("FeeOnTransferNotSupported", fee_token, PRIZE, PRIZE * 99 // 100)):
        escrow.createChallenge(terms(token=fee_token), {"from": seeker})


def test_fee_on_transfer_token_with_zero_fee_is_accepted(escrow, seeker, deployer):
    fee_token = FeeOnTransferToken.deploy(0, {"from": deployer})
    fee_token.mint(seeker, PRIZE, {"from": seeker})
    fee_token.approve(escrow, PRIZE, {"from": seeker})
    escrow.createChallenge(terms(token=fee_token), {"from": seeker})
    assert escrow.totalOwed(fee_token) == PRIZE == fee_token.balanceOf(escrow)


def test_no_return_value_token_is_accepted(escrow, seeker, deployer):
    nrt = NoReturnToken.deploy({"from": deployer})
    nrt.mint(seeker, PRIZE, {"from": seeker})
    nrt.approve(escrow, PRIZE, {"from": seeker})
    escrow.createChallenge(terms(token=nrt), {"from": seeker})
    assert nrt.balanceOf(escrow) == PRIZE


def test_false_returning_token_is_refused(escrow, seeker, deployer):
    flt = FalseReturningToken.deploy({"from": deployer})
    flt.mint(seeker, PRIZE, {"from": seeker})
    flt.approve(escrow, PRIZE, {"from": seeker})
    flt.setFailing(True, {"from": seeker})
    with brownie.reverts(err("SafeERC20FailedOperation", flt)):
        escrow.createChallenge(terms(token=flt), {"from": seeker})


# ----------------------------------------------------------------- contributions


def test_contribute_raises_slot_zero_and_tracks_contributor(escrow, challenge, contributor):
    tx = escrow.contribute(challenge, PRIZE // 4, {"from": contributor, "value": PRIZE // 4})
    assert tx.events["ChallengeFunded"]["funded"] == PRIZE * 5 // 4
    assert escrow.slotRemaining(challenge, 0) == PRIZE * 5 // 4
    assert escrow.contributionOf(challenge, contributor) == PRIZE // 4
    assert escrow.totalOwed(ETH) == PRIZE * 5 // 4


def test_seeker_contribution_is_the_rest_of_the_funding(escrow, challenge, seeker, contributor):
    escrow.contribute(challenge, 100, {"from": contributor, "value": 100})
    escrow.contribute(challenge, 50, {"from": seeker, "value": 50})
    assert escrow.contributionOf(challenge, seeker) == PRIZE + 50
    assert escrow.getChallenge(challenge)["otherContributors"] == 1


def test_contribute_rejects_zero(escrow, challenge, contributor):
    with brownie.reverts(err("InvalidAmount", 0)):
        escrow.contribute(challenge, 0, {"from": contributor})


def test_contribute_rejects_rfp(create, escrow, contributor):
    cid = create(kind=RFP)
    with brownie.reverts(err("NoCashPrize", cid)):
        escrow.contribute(cid, 1, {"from": contributor, "value": 1})


def test_contribute_rejects_unknown_challenge(escrow, contributor):
    with brownie.reverts(err("UnknownChallenge", 99)):
        escrow.contribute(99, 1, {"from": contributor, "value": 1})


def test_contribute_after_evaluation_deadline_reverts(escrow, challenge, contributor):
    deadline = escrow.getChallenge(challenge)["evaluationDeadline"]
    chain.sleep(deadline - chain.time() + 1)
    chain.mine()
    with brownie.reverts(err("DeadlinePassed", challenge, deadline)):
        escrow.contribute(challenge, 1, {"from": contributor, "value": 1})


def test_contribute_with_erc20(create, escrow, token, contributor):
    cid = create(token=token)
    escrow.contribute(cid, 5, {"from": contributor})
    assert token.balanceOf(escrow) == PRIZE + 5
    assert escrow.contributionOf(cid, contributor) == 5


# ----------------------------------------------------------------- deadlines and cancel


def test_extend_deadlines_moves_both_later(escrow, challenge, seeker):
    c = escrow.getChallenge(challenge)
    tx = escrow.extendDeadlines(challenge, c["submissionDeadline"] + 10, c["evaluationDeadline"] + 20, {"from": seeker})
    assert tx.events["DeadlinesExtended"]["evaluationDeadline"] == c["evaluationDeadline"] + 20
    assert escrow.getChallenge(challenge)["submissionDeadline"] == c["submissionDeadline"] + 10


def test_extend_deadlines_cannot_shorten(escrow, challenge, seeker):
    c = escrow.getChallenge(challenge)
    with brownie.reverts(err("DeadlineShortened", c["submissionDeadline"], c["submissionDeadline"] - 1)):
        escrow.extendDeadlines(challenge, c["submissionDeadline"] - 1, c["evaluationDeadline"], {"from": seeker})
    with brownie.reverts(err("DeadlineShortened", c["evaluationDeadline"], c["evaluationDeadline"] - 1)):
        escrow.extendDeadlines(challenge, c["submissionDeadline"], c["evaluationDeadline"] - 1, {"from": seeker})


def test_extend_submission_deadline_after_it_passed_reverts(escrow, challenge, seeker):
    c = escrow.getChallenge(challenge)
    chain.sleep(c["submissionDeadline"] - chain.time() + 1)
    chain.mine()
    with brownie.reverts(err("DeadlinePassed", challenge, c["submissionDeadline"])):
        escrow.extendDeadlines(challenge, c["submissionDeadline"] + 5, c["evaluationDeadline"], {"from": seeker})


def test_extend_deadlines_only_by_seeker(escrow, challenge, outsider):
    c = escrow.getChallenge(challenge)
    with brownie.reverts(err("NotSeeker", challenge, outsider)):
        escrow.extendDeadlines(challenge, c["submissionDeadline"], c["evaluationDeadline"], {"from": outsider})


def test_cancel_before_acceptance_allows_full_refunds(escrow, challenge, seeker, contributor):
    escrow.contribute(challenge, PRIZE // 2, {"from": contributor, "value": PRIZE // 2})
    tx = escrow.cancel(challenge, {"from": seeker})
    assert tx.events["ChallengeCancelled"]["refundPool"] == PRIZE * 3 // 2
    assert escrow.getChallenge(challenge)["state"] == CANCELLED
    escrow.claimRefund(challenge, seeker, {"from": seeker})
    escrow.claimRefund(challenge, contributor, {"from": seeker})
    assert escrow.withdrawable(ETH, seeker) == PRIZE
    assert escrow.withdrawable(ETH, contributor) == PRIZE // 2


def test_refund_after_cancel_returns_all_contributions(escrow, challenge, seeker, contributor, outsider):
    escrow.contribute(challenge, PRIZE // 2, {"from": contributor, "value": PRIZE // 2})
    escrow.cancel(challenge, {"from": seeker})
    escrow.claimRefund(challenge, seeker, {"from": outsider})
    escrow.claimRefund(challenge, contributor, {"from": outsider})
    seeker_before, contributor_before = seeker.balance(), contributor.balance()
    seeker_tx = escrow.withdraw(ETH, {"from": seeker})
    contributor_tx = escrow.withdraw(ETH, {"from": contributor})
    assert seeker.balance() - seeker_before == PRIZE - gas_cost(seeker_tx)
    assert contributor.balance() - contributor_before == PRIZE // 2 - gas_cost(contributor_tx)
    assert escrow.balance() == 0
    assert escrow.totalOwed(ETH) == 0


def test_cancel_after_terms_accepted_reverts(escrow, challenge, seeker, solver):
    escrow.acceptTerms(challenge, AGREEMENT, {"from": solver})
    with brownie.reverts(err("TermsFrozen", challenge)):
        escrow.cancel(challenge, {"from": seeker})


def test_cancel_only_by_seeker(escrow, challenge, outsider):
    with brownie.reverts(err("NotSeeker", challenge, outsider)):
        escrow.cancel(challenge, {"from": outsider})


def test_refund_cannot_be_claimed_twice(escrow, challenge, seeker):
    escrow.cancel(challenge, {"from": seeker})
    escrow.claimRefund(challenge, seeker, {"from": seeker})
    with brownie.reverts(err("NothingToClaim", challenge, seeker)):
        escrow.claimRefund(challenge, seeker, {"from": seeker})


def test_refund_for_non_contributor_reverts(escrow, challenge, seeker, outsider):
    escrow.cancel(challenge, {"from": seeker})
    with brownie.reverts(err("NothingToClaim", challenge, outsider)):
        escrow.claimRefund(challenge, outsider, {"from": outsider})


def test_refund_while_open_reverts(escrow, challenge, seeker):
    with brownie.reverts(err("WrongState", challenge, OPEN)):
        escrow.claimRefund(challenge, seeker, {"from": seeker})


def test_cancelled_challenge_accepts_no_contribution(escrow, challenge, seeker, contributor):
    escrow.cancel(challenge, {"from": seeker})
    with brownie.reverts(err("WrongState", challenge, CANCELLED)):
        escrow.contribute(challenge, 1, {"from": contributor, "value": 1})


def test_refunds_with_rounding_pay_out_the_pool_exactly(create, escrow, seeker, contributor, outsider):
    cid = create(slots=[10])
    escrow.contribute(cid, 3, {"from": contributor, "value": 3})
    escrow.contribute(cid, 4, {"from": outsider, "value": 4})
    escrow.cancel(cid, {"from": seeker})
    total = 0
    for account in (contributor, outsider, seeker):
        total += escrow.claimRefund(cid, account, {"from": account}).return_value
    assert total == 17
    assert escrow.getOutcome(cid)["refundsPaid"] == 17


def test_ideation_type_is_default(create, escrow):
    assert escrow.getChallenge(create())["kind"] == IDEATION


def test_create_rejects_evaluation_period_over_180_days(escrow, seeker):
    now = chain.time()
    sub, ev = now + 1000, now + 1000 + 180 * 86_400 + 1
    with brownie.reverts(err("InvalidDeadlines", sub, ev)):
        escrow.createChallenge(terms(submission_deadline=sub, evaluation_deadline=ev), {"from": seeker, "value": PRIZE})


def test_extend_cannot_push_evaluation_beyond_180_days(escrow, challenge, seeker):
    c = escrow.getChallenge(challenge)
    ev = c["submissionDeadline"] + 180 * 86_400 + 1
    with brownie.reverts(err("InvalidDeadlines", c["submissionDeadline"], ev)):
        escrow.extendDeadlines(challenge, c["submissionDeadline"], ev, {"from": seeker})


def test_extend_deadlines_after_terms_frozen_is_allowed(escrow, challenge, seeker, solver):
    escrow.acceptTerms(challenge, AGREEMENT, {"from": solver})
    c = escrow.getChallenge(challenge)
    escrow.extendDeadlines(challenge, c["submissionDeadline"] + 1, c["evaluationDeadline"] + 1, {"from": seeker})
    assert escrow.getChallenge(challenge)["evaluationDeadline"] == c["evaluationDeadline"] + 1


def test_register_agreement_assigns_ids_from_one_and_emits_them(escrow, deployer, outsider):
    tx = escrow.registerAgreement(AGREEMENT, {"from": deployer})
    assert tx.return_value == 1
    assert tx.events["AgreementRegistered"]["agreementId"] == 1
    assert tx.events["AgreementRegistered"]["agreementHash"] == AGREEMENT
    other = "0x" + "ab" * 32
    assert escrow.registerAgreement(other, {"from": outsider}).return_value == 2
    assert escrow.agreementIdOf(AGREEMENT) == 1
    assert escrow.agreementIdOf(other) == 2


def test_register_agreement_refuses_a_registered_or_empty_hash(escrow, deployer):
    escrow.registerAgreement(AGREEMENT, {"from": deployer})
    with brownie.reverts(err("AgreementAlreadyRegistered", AGREEMENT, 1)):
        escrow.registerAgreement(AGREEMENT, {"from": deployer})
    with brownie.reverts(err("EmptyAgreement")):
        escrow.registerAgreement("0x" + "00" * 32, {"from": deployer})


def test_challenge_under_a_registered_agreement_stores_its_id_and_reads_back_the_hash(escrow, deployer, seeker, solver):
    escrow.registerAgreement(AGREEMENT, {"from": deployer})
    registered = escrow.createChallenge(terms(), {"from": seeker, "value": PRIZE}).return_value
    own_terms = "0x" + "cd" * 32
    own = escrow.createChallenge(terms(agreement=own_terms), {"from": seeker, "value": PRIZE}).return_value
    assert escrow.getChallenge(registered)["agreementHash"] == AGREEMENT
    assert escrow.getChallenge(own)["agreementHash"] == own_terms
    assert escrow.agreementIdOf(own_terms) == 0  # a challenge's own agreement is not registered
    escrow.acceptTerms(registered, AGREEMENT, {"from": solver})
    escrow.acceptTerms(own, own_terms, {"from": solver})
