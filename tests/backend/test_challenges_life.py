"""A whole challenge life on the real chain and IPFS node, indexed and served by the API."""

from collections.abc import Iterator
from typing import Any

import pytest
from challenges_support import (
    AGREEMENT,
    DAY,
    ETH,
    LEADER_HALF,
    PUBLIC_KEY,
    ChallengeChain,
    api_client,
    index,
    sample_metadata,
    snapshot_tables,
)
from eth_utils.crypto import keccak
from sqlalchemy import Engine
from web3 import Web3

from backend.services.challenges.metadata import resolve_pending_metadata
from backend.services.storage.cid import bytes_cid
from backend.services.storage.ipfs import IpfsClient
from backend.services.storage.metadata import canonical_json
from devstack.services import LocalIpfsNode

ETHER = 10**18


@pytest.fixture
def chain(w3: Web3, escrows: Any) -> ChallengeChain:
    return ChallengeChain(w3, escrows)


@pytest.fixture
def ipfs(running_ipfs_node: LocalIpfsNode) -> Iterator[IpfsClient]:
    with IpfsClient(running_ipfs_node.api_url, fetch_timeout_s=2.0) as client:
        yield client


def test_a_whole_challenge_life_is_indexed_into_every_table_and_served(
    chain: ChallengeChain,
    engine: Engine,
    ipfs: IpfsClient,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    w3, escrows, accounts = chain.w3, chain.escrows, chain.accounts
    seeker, contributor, solver, lurker, leader, member = accounts[:6]
    metadata = sample_metadata()
    challenge_id, metadata_cid = chain.create_with_metadata(ipfs, metadata, slots=(3 * ETHER, ETHER))
    chain.send(chain.escrow.functions.contribute(challenge_id, ETHER), 1, ETHER)
    for account in (2, 3, 4, 5):
        chain.accept(challenge_id, account)
    chain.send(chain.teams.functions.createTeam(challenge_id, [member], 0, []), 4)
    team_id = int(chain.teams.functions.teamCount().call())
    chain.send(chain.teams.functions.confirmMembership(team_id), 5)
    chain.send(chain.teams.functions.proposeSplit(team_id, LEADER_HALF, [6000, 4000]), 4)
    chain.send(chain.teams.functions.approveSplit(team_id, 1), 5)
    solver_cid, team_cid = bytes(bytes_cid(b"solver's encrypted work")), bytes(bytes_cid(b"team's encrypted work"))
    chain.submit(challenge_id, 2, solver_cid)
    chain.submit(challenge_id, 4, team_cid)
    chain.pass_time(7 * DAY + 1)
    chain.send(chain.escrow.functions.award(challenge_id, solver, 0, 4 * ETHER), 0)
    chain.send(chain.escrow.functions.award(challenge_id, leader, 1, ETHER), 0)
    chain.send(chain.escrow.functions.closeEvaluation(challenge_id), 0)
    chain.send(chain.escrow.functions.withdrawAward(challenge_id), 2)  # the solo winner's award
    chain.send(chain.escrow.functions.withdraw(ETH), 5)  # a team member's credited payout

    stats = index(w3, engine, escrows)
    assert stats.caught_up
    assert resolve_pending_metadata(engine, ipfs).verified == 1

    tables = snapshot_tables(engine)
    (challenge,) = tables["challenges"]
    created = w3.eth.get_block(challenge["created_block"])
    assert challenge == {
        **challenge,
        "chain_id": 1337,
        "challenge_id": challenge_id,
        "escrow_address": chain.escrow.address,
        "seeker": seeker,
        "kind": "ideation",
        "token": ETH,
        "slot_amounts": [str(3 * ETHER), str(ETHER)],
        "funded": 5 * ETHER,
        "awarded": 5 * ETHER,
        "state": "settled",
        "agreement_hash": "0x" + AGREEMENT.hex(),
        "encryption_public_key": "0x" + PUBLIC_KEY.hex(),
        "arbiter": None,
        "licence_days": 90,
        "prior_art_committed": False,
        "created_at": created["timestamp"],
        "acceptance_count": 4,
        "submission_count": 2,
        "settled_by": seeker,
        "share_pool": 0,
        "share_count": 0,
        "refund_pool": 0,
        "metadata_cid": str(metadata_cid),
        "metadata_hash": "0x" + keccak(canonical_json(metadata)).hex(),
        "metadata_status": "verified",
        "title": metadata.title,
        "challenge_type": "ideation",
        "tags": ["energy", "materials"],
        "description": metadata.description,
    }
    assert challenge["evaluation_deadline"] - challenge["submission_deadline"] == 14 * DAY
    assert challenge["closed_at"] > challenge["submission_deadline"]
    assert challenge["licence_expiry"] == challenge["closed_at"] + 90 * DAY
    assert tables["challenge_contributions"] == sorted(
        [
            {
                "challenge_pk": challenge_id,
                "contributor": seeker,
                "amount": 4 * ETHER,
                "refunded": False,
                "refund_amount": None,
            },
            {
                "challenge_pk": challenge_id,
                "contributor": contributor,
                "amount": ETHER,
                "refunded": False,
                "refund_amount": None,
            },
        ],
        key=repr,
    )
    assert sorted(row["solver"] for row in tables["challenge_acceptances"]) == sorted([solver, lurker, leader, member])
    assert {row["agreement_hash"] for row in tables["challenge_acceptances"]} == {"0x" + AGREEMENT.hex()}
    submissions = sorted(tables["challenge_submissions"], key=lambda row: row["arrival"])
    assert [(row["entrant"], row["arrival"], row["status"], row["awarded"], row["team_id"]) for row in submissions] == [
        (solver, 1, "selected", 4 * ETHER, None),
        (leader, 2, "selected", ETHER, team_id),
    ]
    assert submissions[0]["cid"] == str(bytes_cid(b"solver's encrypted work"))
    assert submissions[0]["cid_hash"] == "0x" + keccak(solver_cid).hex()
    awards = sorted(tables["challenge_awards"], key=lambda row: row["slot"])
    assert [(row["entrant"], row["slot"], row["amount"], row["slot_remaining"], row["grantor"]) for row in awards] == [
        (solver, 0, 4 * ETHER, 0, seeker),
        (leader, 1, ETHER, 0, seeker),
    ]
    assert tables["challenge_refusals"] == []
    (team,) = tables["challenge_teams"]
    assert {key: team[key] for key in ("team_id", "leader", "members", "confirmed_mask", "split_rule")} == {
        "team_id": team_id,
        "leader": leader,
        "members": [leader, member],
        "confirmed_mask": 3,
        "split_rule": "leader_half",
    }
    assert (team["leader_bps"], team["proposal_nonce"], team["proposed_rule"], team["disbanded"]) == (
        [6000, 4000],
        1,
        None,
        False,
    )
    # LeaderHalf: half equally (0.25 each), half by 60/40 bps (0.3 and 0.2).
    payouts = sorted((row["member"], row["amount"]) for row in tables["challenge_team_payouts"])
    assert payouts == sorted([(leader, 55 * ETHER // 100), (member, 45 * ETHER // 100)])

    with api_client(database_url, monkeypatch) as client:
        listed = client.get("/api/challenges").json()
        assert [item["challenge_id"] for item in listed["items"]] == [challenge_id]
        assert listed["items"][0]["title"] == metadata.title
        assert listed["items"][0]["description_snippet"] == (
            "Find a coating that keeps **photovoltaic** panels clean without water."
        )
        detail = client.get(f"/api/challenges/{challenge_id}").json()
        assert detail["metadata_status"] == "verified"
        assert detail["metadata"]["prize_display"] == "4 ETH"
        assert detail["funded"] == str(5 * ETHER)
        assert detail["slots"] == [
            {"slot": 0, "amount": str(4 * ETHER), "awarded": str(4 * ETHER), "remaining": "0"},
            {"slot": 1, "amount": str(ETHER), "awarded": str(ETHER), "remaining": "0"},
        ]
        assert {row["contributor"]: row["amount"] for row in detail["contributions"]} == {
            seeker: str(4 * ETHER),
            contributor: str(ETHER),
        }
        assert detail["outcome"]["settled_by"] == seeker
        assert [(row["entrant"], row["slot"]) for row in detail["awards"]] == [(solver, 0), (leader, 1)]
        (team_out,) = detail["teams"]
        assert team_out["members"] == [
            {"address": leader, "confirmed": True, "leader_bps": 6000},
            {"address": member, "confirmed": True, "leader_bps": 4000},
        ]
        assert team_out["fully_confirmed"] is True
        assert client.get(f"/api/teams/{team_id}").json() == team_out

        submissions_out = client.get(f"/api/challenges/{challenge_id}/submissions").json()
        assert [(row["entrant"], row["arrival"], row["status"]) for row in submissions_out["items"]] == [
            (solver, 1, "selected"),
            (leader, 2, "selected"),
        ]
        assert set(submissions_out["items"][0]) == {
            "entrant", "team_id", "cid", "cid_hash", "submitted_at", "arrival", "status", "awarded",
        }  # fmt: skip

        timeline = client.get(f"/api/challenges/{challenge_id}/timeline", params={"limit": 100}).json()
        names = [event["event"] for event in timeline["items"]]
        assert names == [
            "ChallengeCreated",
            "ChallengeFunded",
            *["TermsAccepted"] * 4,
            "TeamCreated",
            "TeamMemberConfirmed",
            "SplitProposed",
            "SplitApproved",
            "SplitApproved",
            "SplitChanged",
            "SubmissionCommitted",
            "SubmissionCommitted",
            "IpTransferred",
            "AwardGranted",
            "IpTransferred",
            "AwardGranted",
            "TeamPayoutCredited",
            "TeamPayoutCredited",
            "ChallengeSettled",
            "AwardWithdrawn",
        ]
        positions = [(event["block_number"], event["log_index"]) for event in timeline["items"]]
        assert positions == sorted(positions)
        assert timeline["items"][0]["block_timestamp"] == created["timestamp"]
        # Page by page, the same events.
        paged: list[str] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 4} | ({"cursor": cursor} if cursor else {})
            page = client.get(f"/api/challenges/{challenge_id}/timeline", params=params).json()
            paged += [event["event"] for event in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert paged == names
