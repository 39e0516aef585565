"""Refusals, disputes, rulings, default settlement, shares, refunds, RFP selection, deadline
extension and a disbanded team: the events a plain award does not emit, indexed."""

from typing import Any

from challenges_support import CONDITIONAL, DAY, RFP, ChallengeChain, index, snapshot_tables
from eth_utils.crypto import keccak
from sqlalchemy import Engine
from web3 import Web3

from backend.services.storage.cid import bytes_cid

ETHER = 10**18


def test_refusals_disputes_default_settlement_and_refunds_are_projected(w3: Web3, escrows: Any, engine: Engine) -> None:
    chain = ChallengeChain(w3, escrows)
    accounts = w3.eth.accounts
    salt, prior_art_cid = keccak(text="salt"), bytes(bytes_cid(b"prior art"))
    disputed = chain.create(kind=CONDITIONAL, arbiter=accounts[6], prior_art_commitment=keccak(salt + prior_art_cid))
    rfp = chain.create(kind=RFP, slots=())
    cancelled = chain.create(slots=(2 * ETHER,))
    chain.send(chain.escrow.functions.contribute(cancelled, ETHER), 1, ETHER)
    chain.send(chain.escrow.functions.cancel(cancelled), 0)
    chain.send(chain.escrow.functions.claimRefund(cancelled, accounts[1]), 3)

    deadlines = chain.escrow.functions.getChallenge(disputed).call()
    submission_deadline, evaluation_deadline = deadlines[4] + DAY, deadlines[6] + DAY
    chain.send(chain.escrow.functions.extendDeadlines(disputed, submission_deadline, evaluation_deadline), 0)
    for account in (2, 3, 4, 5):
        chain.accept(disputed, account)
    chain.send(chain.teams.functions.createTeam(disputed, [accounts[5]], 0, []), 4)
    team_id = int(chain.teams.functions.teamCount().call())
    chain.send(chain.teams.functions.disbandTeam(team_id), 4)
    for account in (2, 3, 4):
        chain.submit(disputed, account, bytes(bytes_cid(bytes([account]))))
    chain.accept(rfp, 2)
    chain.submit(rfp, 2, bytes(bytes_cid(b"proposal")))

    chain.pass_time(8 * DAY + 1)  # past both submission deadlines
    chain.send(chain.escrow.functions.selectProposal(rfp, accounts[2]), 0)
    fee = int(chain.escrow.functions.arbitrationFee(disputed).call())
    chain.send(chain.escrow.functions.declareCriteriaUnmet(disputed, accounts[2]), 0, fee)
    chain.send(chain.escrow.functions.disputeRefusal(disputed), 2, fee)
    chain.send(chain.escrow.functions.ruleOnDispute(disputed, accounts[2], True), 6)
    chain.send(chain.escrow.functions.refuseForPriorKnowledge(disputed, accounts[3], salt, prior_art_cid), 0, fee)
    chain.pass_time(7 * DAY + 1)
    chain.send(chain.escrow.functions.finalizeRefusal(disputed, accounts[3]), 5)
    chain.pass_time(evaluation_deadline + 14 * DAY + 1 - chain.now())
    chain.send(chain.escrow.functions.settle(disputed), 5)
    for account in (2, 4):
        chain.send(chain.escrow.functions.claimShare(disputed, accounts[account]), 5)

    assert index(w3, engine, escrows).caught_up
    tables = snapshot_tables(engine)
    challenges = {row["challenge_id"]: row for row in tables["challenges"]}
    settled = challenges[disputed]
    assert (settled["submission_deadline"], settled["evaluation_deadline"]) == (
        submission_deadline,
        evaluation_deadline,
    )
    assert (settled["state"], settled["share_pool"], settled["share_count"], settled["refund_pool"]) == (
        "settled",
        ETHER,
        2,
        0,
    )
    assert (settled["arbiter"], settled["prior_art_committed"]) == (accounts[6], True)
    assert settled["settled_by"] == accounts[5]
    submissions = {
        (row["challenge_pk"], row["entrant"]): (row["status"], row["share_amount"])
        for row in tables["challenge_submissions"]
    }
    assert submissions == {
        (disputed, accounts[2]): ("overturned", ETHER // 2),
        (disputed, accounts[3]): ("refused", None),
        (disputed, accounts[4]): ("submitted", ETHER // 2),
        (rfp, accounts[2]): ("selected", None),
    }
    refusals = {row["entrant"]: row for row in tables["challenge_refusals"]}
    assert set(refusals) == {accounts[2], accounts[3]}
    overturned, final = refusals[accounts[2]], refusals[accounts[3]]
    assert (overturned["reason"], overturned["fee"], overturned["overturned"], overturned["by_arbiter"]) == (
        "criteria_unmet",
        fee,
        True,
        True,
    )
    assert overturned["arbiter_fee"] == fee
    assert overturned["disputed_at"] is not None
    assert overturned["ruling_deadline"] == overturned["disputed_at"] + 14 * DAY
    assert overturned["dispute_deadline"] == overturned["refused_at"] + 7 * DAY
    assert (final["reason"], final["overturned"], final["by_arbiter"], final["disputed_at"]) == (
        "prior_knowledge",
        False,
        False,
        None,
    )
    assert (final["prior_art_salt"], final["prior_art_cid"]) == ("0x" + salt.hex(), str(bytes_cid(b"prior art")))
    (team,) = tables["challenge_teams"]
    assert (team["team_id"], team["disbanded"], team["confirmed_mask"]) == (team_id, True, 1)
    assert challenges[cancelled]["state"] == "cancelled"
    assert challenges[cancelled]["refund_pool"] == 3 * ETHER
    contributions = {
        row["contributor"]: (row["amount"], row["refunded"], row["refund_amount"])
        for row in tables["challenge_contributions"]
        if row["challenge_pk"] == cancelled
    }
    assert contributions == {accounts[0]: (2 * ETHER, False, None), accounts[1]: (ETHER, True, ETHER)}
    assert challenges[rfp]["funded"] == 0
    assert challenges[rfp]["slot_amounts"] == []
