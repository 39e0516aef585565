"""Teams: forming, confirming, submitting, payout splits and unanimous split changes."""

# Tests take their roles and contracts as pytest fixtures, hence many positional parameters.

import brownie
from brownie import accounts, chain
from challenge_helpers import (
    AGREEMENT,
    CONDITIONAL,
    DAY,
    EQUAL,
    ETH,
    LEADER_HALF,
    PRIZE,
    SUBMISSION_CID,
    after_evaluation,
    err,
    to_evaluation,
)


def accept(escrow, challenge_id, *members):
    for member in members:
        escrow.acceptTerms(challenge_id, AGREEMENT, {"from": member})


def confirmed_team(escrow, teams, challenge_id, leader, members, rule=EQUAL, bps=()):
    accept(escrow, challenge_id, leader, *members)
    team_id = teams.createTeam(challenge_id, members, rule, list(bps), {"from": leader}).return_value
    for member in members:
        teams.confirmMembership(team_id, {"from": member})
    return team_id


def test_create_team_emits_members_and_rule(escrow, teams, challenge, solver, solver2, solver3):
    accept(escrow, challenge, solver)
    tx = teams.createTeam(challenge, [solver2, solver3], EQUAL, [], {"from": solver})
    event = tx.events["TeamCreated"]
    assert event["leader"] == solver and list(event["members"]) == [solver2, solver3]
    assert escrow.getEntry(challenge, solver)["teamId"] == tx.return_value


def test_create_team_requires_accepted_terms(escrow, teams, challenge, solver, solver2):
    with brownie.reverts(err("WrongEntryStatus", challenge, solver, 0)):
        teams.createTeam(challenge, [solver2], EQUAL, [], {"from": solver})


def test_team_larger_than_eight_reverts(escrow, teams, challenge, solver):
    accept(escrow, challenge, solver)
    members = [accounts.add() for _ in range(8)]
    with brownie.reverts(err("InvalidTeam", 9)):
        teams.createTeam(challenge, members, EQUAL, [], {"from": solver})


def test_team_with_duplicate_member_reverts(escrow, teams, challenge, solver, solver2):
    accept(escrow, challenge, solver)
    with brownie.reverts(err("InvalidTeam", 3)):
        teams.createTeam(challenge, [solver2, solver2], EQUAL, [], {"from": solver})


def test_leader_half_split_must_sum_to_10000(escrow, teams, challenge, solver, solver2):
    accept(escrow, challenge, solver)
    with brownie.reverts(err("InvalidSplit", 2, 9000)):
        teams.createTeam(challenge, [solver2], LEADER_HALF, [5000, 4000], {"from": solver})


def test_unconfirmed_team_cannot_submit(escrow, teams, challenge, solver, solver2):
    accept(escrow, challenge, solver, solver2)
    team_id = teams.createTeam(challenge, [solver2], EQUAL, [], {"from": solver}).return_value
    with brownie.reverts(err("TeamNotConfirmed", team_id)):
        escrow.submit(challenge, SUBMISSION_CID, {"from": solver})


def test_member_cannot_confirm_without_accepting_terms(escrow, teams, challenge, solver, solver2):
    accept(escrow, challenge, solver)
    team_id = teams.createTeam(challenge, [solver2], EQUAL, [], {"from": solver}).return_value
    with brownie.reverts(err("WrongEntryStatus", challenge, solver2, 0)):
        teams.confirmMembership(team_id, {"from": solver2})


def test_non_member_cannot_confirm(escrow, teams, challenge, solver, solver2, outsider):
    accept(escrow, challenge, solver)
    team_id = teams.createTeam(challenge, [solver2], EQUAL, [], {"from": solver}).return_value
    with brownie.reverts(err("NotTeamMember", team_id, outsider)):
        teams.confirmMembership(team_id, {"from": outsider})


def test_member_cannot_join_two_teams(escrow, teams, challenge, solver, solver2, solver3):
    team_id = confirmed_team(escrow, teams, challenge, solver, [solver2])
    accept(escrow, challenge, solver3)
    other = teams.createTeam(challenge, [solver2], EQUAL, [], {"from": solver3}).return_value
    with brownie.reverts(err("AlreadyInTeam", challenge, solver2, team_id)):
        teams.confirmMembership(other, {"from": solver2})


def test_team_member_cannot_submit_alone(escrow, teams, challenge, solver, solver2):
    team_id = confirmed_team(escrow, teams, challenge, solver, [solver2])
    with brownie.reverts(err("NotTeamLeader", team_id, solver2)):
        escrow.submit(challenge, SUBMISSION_CID, {"from": solver2})


def test_only_teams_contract_binds_members(escrow, challenge, solver):
    with brownie.reverts(err("NotTeamsContract", solver)):
        escrow.bindTeam(challenge, solver, 1, {"from": solver})


def test_equal_team_award_credits_every_member(escrow, teams, challenge, seeker, solver, solver2, solver3):
    team_id = confirmed_team(escrow, teams, challenge, solver, [solver2, solver3])
    tx = escrow.submit(challenge, SUBMISSION_CID, {"from": solver})
    assert tx.events["SubmissionCommitted"]["teamId"] == team_id
    to_evaluation(escrow, challenge)
    tx = escrow.award(challenge, solver, 0, 10, {"from": seeker})
    assert len(tx.events["TeamPayoutCredited"]) == 3
    assert escrow.withdrawable(ETH, solver) == 4  # the leader takes the rounding remainder
    assert escrow.withdrawable(ETH, solver2) == 3
    assert escrow.withdrawable(ETH, solver3) == 3


def test_leader_half_split_allocates_second_half(escrow, teams, challenge, seeker, solver, solver2):
    confirmed_team(escrow, teams, challenge, solver, [solver2], LEADER_HALF, [2000, 8000])
    escrow.submit(challenge, SUBMISSION_CID, {"from": solver})
    to_evaluation(escrow, challenge)
    escrow.award(challenge, solver, 0, PRIZE, {"from": seeker})
    # half equally (0.25 each), half 20/80
    assert escrow.withdrawable(ETH, solver) == PRIZE // 4 + PRIZE // 10
    assert escrow.withdrawable(ETH, solver2) == PRIZE // 4 + PRIZE * 4 // 10


def test_team_default_share_is_split_among_members(escrow, teams, challenge, solver, solver2, outsider):
    confirmed_team(escrow, teams, challenge, solver, [solver2])
    escrow.submit(challenge, SUBMISSION_CID, {"from": solver})
    after_evaluation(escrow, challenge)
    escrow.settle(challenge, {"from": outsider})
    escrow.claimShare(challenge, solver, {"from": outsider})
    assert escrow.withdrawable(ETH, solver) == PRIZE // 2
    assert escrow.withdrawable(ETH, solver2) == PRIZE // 2


def test_split_change_applies_only_after_every_member_approves(
    escrow, teams, challenge, seeker, solver, solver2, solver3
):
    team_id = confirmed_team(escrow, teams, challenge, solver, [solver2, solver3])
    nonce = teams.proposeSplit(team_id, LEADER_HALF, [10000, 0, 0], {"from": solver}).return_value
    teams.approveSplit(team_id, nonce, {"from": solver2})
    assert teams.getTeam(team_id)[0]["rule"] == EQUAL
    tx = teams.approveSplit(team_id, nonce, {"from": solver3})
    assert tx.events["SplitChanged"]["rule"] == LEADER_HALF
    assert teams.getTeam(team_id)[0]["rule"] == LEADER_HALF
    assert list(teams.getTeam(team_id)[2]) == [10000, 0, 0]


def test_new_proposal_resets_approvals(escrow, teams, challenge, solver, solver2, solver3):
    team_id = confirmed_team(escrow, teams, challenge, solver, [solver2, solver3])
    first = teams.proposeSplit(team_id, LEADER_HALF, [10000, 0, 0], {"from": solver}).return_value
    teams.approveSplit(team_id, first, {"from": solver2})
    second = teams.proposeSplit(team_id, LEADER_HALF, [0, 10000, 0], {"from": solver3}).return_value
    with brownie.reverts(err("StaleProposal", team_id, second, first)):
        teams.approveSplit(team_id, first, {"from": solver})
    assert teams.getTeam(team_id)[0]["approvalMask"] == 0b100


def test_applied_proposal_cannot_be_approved_again(escrow, teams, challenge, solver, solver2):
    team_id = confirmed_team(escrow, teams, challenge, solver, [solver2])
    nonce = teams.proposeSplit(team_id, LEADER_HALF, [5000, 5000], {"from": solver}).return_value
    teams.approveSplit(team_id, nonce, {"from": solver2})
    with brownie.reverts(err("StaleProposal", team_id, nonce, nonce)):
        teams.approveSplit(team_id, nonce, {"from": solver})


def test_disband_frees_members_to_submit_alone(escrow, teams, challenge, solver, solver2):
    team_id = confirmed_team(escrow, teams, challenge, solver, [solver2])
    teams.disbandTeam(team_id, {"from": solver})
    escrow.submit(challenge, SUBMISSION_CID, {"from": solver2})
    assert escrow.getEntry(challenge, solver2)["teamId"] == 0


def test_disband_after_submission_reverts(escrow, teams, challenge, solver, solver2):
    team_id = confirmed_team(escrow, teams, challenge, solver, [solver2])
    escrow.submit(challenge, SUBMISSION_CID, {"from": solver})
    with brownie.reverts(err("WrongEntryStatus", challenge, solver, 2)):
        teams.disbandTeam(team_id, {"from": solver})


def test_disband_by_member_reverts(escrow, teams, challenge, solver, solver2):
    team_id = confirmed_team(escrow, teams, challenge, solver, [solver2])
    with brownie.reverts(err("NotTeamLeader", team_id, solver2)):
        teams.disbandTeam(team_id, {"from": solver2})


def test_team_leader_disputes_refusal_and_team_shares_the_prize(
    create, escrow, teams, seeker, arbiter, solver, solver2, outsider
):
    cid = create(kind=CONDITIONAL, arbiter=arbiter)
    confirmed_team(escrow, teams, cid, solver, [solver2])
    escrow.submit(cid, SUBMISSION_CID, {"from": solver})
    to_evaluation(escrow, cid)
    fee = escrow.arbitrationFee(cid)
    escrow.declareCriteriaUnmet(cid, solver, {"from": seeker, "value": fee})
    escrow.disputeRefusal(cid, {"from": solver, "value": fee})
    escrow.ruleOnDispute(cid, solver, True, {"from": arbiter})
    chain.sleep(30 * DAY)
    chain.mine()
    escrow.settle(cid, {"from": outsider})
    escrow.claimShare(cid, solver, {"from": outsider})
    assert escrow.withdrawable(ETH, solver) == fee + PRIZE // 2  # its deposit back + half the prize
    assert escrow.withdrawable(ETH, solver2) == PRIZE // 2


def test_only_teams_contract_unbinds_members(escrow, challenge, solver):
    with brownie.reverts(err("NotTeamsContract", solver)):
        escrow.unbindTeam(challenge, solver, 1, {"from": solver})


def test_confirm_twice_reverts(escrow, teams, challenge, solver, solver2):
    team_id = confirmed_team(escrow, teams, challenge, solver, [solver2])
    with brownie.reverts(err("AlreadyConfirmed", team_id, solver2)):
        teams.confirmMembership(team_id, {"from": solver2})


def test_team_after_submission_deadline_reverts(escrow, teams, challenge, solver, solver2):
    accept(escrow, challenge, solver)
    deadline = escrow.getChallenge(challenge)["submissionDeadline"]
    to_evaluation(escrow, challenge)
    with brownie.reverts(err("DeadlinePassed", challenge, deadline)):
        teams.createTeam(challenge, [solver2], EQUAL, [], {"from": solver})
