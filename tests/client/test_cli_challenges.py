"""The seeker's and the solvers' journeys through `bounty`, on the real chain and IPFS node."""

import os
import re
from pathlib import Path

import pytest
from conftest import Bounty, Platform, write_challenge

from client.chain import human_time
from client.wallets import dev_account

SEEKER, SOLVER, LEADER, MEMBER = "dev:1", "dev:2", "dev:3", "dev:4"
WEEK = 7 * 86_400


def test_ideation_challenge_from_creation_to_withdrawal(bounty: Bounty, platform: Platform, tmp_path: Path) -> None:
    spec = write_challenge(tmp_path)
    created = bounty.json("challenge", "create", str(spec), "--account", SEEKER)
    challenge_id = str(created["id"])
    shown = bounty.json("challenge", "show", challenge_id)
    assert shown["funded"] == str(10**18)
    assert shown["metadata"]["title"] == "Cheaper water filters"

    bounty.ok("challenge", "accept", challenge_id, "--account", SOLVER, "--yes")
    solution = tmp_path / "solution.md"
    solution.write_text("Use sand and charcoal.\n")
    bounty.ok("challenge", "submit", challenge_id, str(solution), "--account", SOLVER)
    listed = bounty.json("challenge", "submissions", challenge_id)
    assert [s["entrant"] for s in listed] == [dev_account(2).address]

    platform.time_travel(WEEK + 60)
    opened = bounty.json("challenge", "decrypt", challenge_id, "--account", SEEKER, "--output", str(tmp_path / "out"))
    assert opened[0]["verified"] and opened[0]["author"] == dev_account(2).address
    assert Path(opened[0]["files"][0]).read_text() == "Use sand and charcoal.\n"

    bounty.ok("challenge", "award", challenge_id, dev_account(2).address, "--account", SEEKER)
    bounty.ok("challenge", "close", challenge_id, "--account", SEEKER)
    # A solo winner's award is held in its entry (not in `withdrawable`) until withdrawn.
    assert bounty.json("balance", "--account", SOLVER)["held_awards"] == {challenge_id: str(10**18)}
    before = platform.balance(2)
    bounty.ok("withdraw", "--account", SOLVER)
    assert 0.99 * 10**18 < platform.balance(2) - before <= 10**18
    assert bounty.json("balance", "--account", SOLVER)["held_awards"] == {}


def _team_id(output: str) -> str:
    match = re.search(r"team (\d+) created", output)
    assert match, output
    return match[1]


def test_team_with_leader_half_split_is_paid_by_its_split(bounty: Bounty, platform: Platform, tmp_path: Path) -> None:
    challenge_id = str(bounty.json("challenge", "create", str(write_challenge(tmp_path)), "--account", SEEKER)["id"])
    for solver in (LEADER, MEMBER):
        bounty.ok("challenge", "accept", challenge_id, "--account", solver, "--yes")
    created = bounty.ok(
        "team", "create", challenge_id, "--account", LEADER, "--member", dev_account(4).address,
        "--rule", "leader-half", "--bps", "7000", "--bps", "3000",
    )  # fmt: skip
    team_id = _team_id(created.stdout)
    assert not bounty.json("team", "show", team_id)["confirmed"]
    bounty.ok("team", "confirm", team_id, "--account", MEMBER)
    assert bounty.json("team", "show", team_id)["confirmed"]
    # The member asks for more; the split changes once the leader approves too.
    proposed = bounty.ok(
        "team", "propose-split", team_id, "--account", MEMBER, "--rule", "leader-half", "--bps", "6000", "--bps", "4000"
    )
    nonce = re.search(r"split proposal (\d+)", proposed.stdout)[1]  # type: ignore[index]
    assert bounty.json("team", "show", team_id)["proposal"]["leader_bps"] == [6000, 4000]
    bounty.fails(
        "team", "approve-split", team_id, str(int(nonce) + 1), "--account", LEADER, code=4, says="StaleProposal"
    )
    bounty.ok("team", "approve-split", team_id, nonce, "--account", LEADER)
    shown = bounty.json("team", "show", team_id)
    assert shown["leader_bps"] == [6000, 4000] and shown["proposal"] is None
    work = tmp_path / "design.txt"
    work.write_text("a team's design")
    bounty.fails("challenge", "submit", challenge_id, str(work), "--account", MEMBER, code=4, says="NotTeamLeader")
    bounty.ok("challenge", "submit", challenge_id, str(work), "--account", LEADER)

    platform.time_travel(WEEK + 60)
    opened = bounty.json("challenge", "decrypt", challenge_id, "--account", SEEKER, "--output", str(tmp_path / "out"))
    assert opened[0]["author"] == dev_account(3).address
    bounty.ok("challenge", "award", challenge_id, dev_account(3).address, "--account", SEEKER)
    credited = {
        index: int(bounty.json("balance", "--account", f"dev:{index}")["withdrawable"]["ChallengeEscrow"])
        for index in (3, 4)
    }
    # Half equally (0.25 each), half by the agreed 60/40 (0.3 and 0.2).
    assert credited == {3: 55 * 10**16, 4: 45 * 10**16}
    bounty.ok("withdraw", "--account", MEMBER)
    bounty.fails("withdraw", "--account", MEMBER, code=4, says="nothing to withdraw")


def test_cancelled_challenge_refunds_the_seeker(bounty: Bounty, platform: Platform, tmp_path: Path) -> None:
    challenge_id = str(bounty.json("challenge", "create", str(write_challenge(tmp_path)), "--account", SEEKER)["id"])
    bounty.fails("challenge", "cancel", challenge_id, "--account", SOLVER, code=4, says="NotSeeker")
    bounty.ok("challenge", "cancel", challenge_id, "--account", SEEKER)
    assert bounty.json("challenge", "show", challenge_id)["state"] == "cancelled"
    bounty.ok("challenge", "refund", challenge_id, "--account", SEEKER)
    before = platform.balance(1)
    bounty.ok("withdraw", "--account", SEEKER)
    assert 0.99 * 10**18 < platform.balance(1) - before <= 10**18


def test_refusal_for_prior_knowledge_reveals_the_committed_document(
    bounty: Bounty, platform: Platform, tmp_path: Path
) -> None:
    prior = tmp_path / "prior-art.md"
    prior.write_text("Sand filters were described in 1804.\n")
    spec = write_challenge(tmp_path, prior_art="prior-art.md")
    challenge_id = str(bounty.json("challenge", "create", str(spec), "--account", SEEKER)["id"])
    bounty.ok("challenge", "accept", challenge_id, "--account", SOLVER, "--yes")
    work = tmp_path / "sand.txt"
    work.write_text("sand")
    bounty.ok("challenge", "submit", challenge_id, str(work), "--account", SOLVER)
    platform.time_travel(WEEK + 60)
    other = tmp_path / "other.md"
    other.write_text("not what was committed")
    solver = dev_account(2).address
    bounty.fails(
        "challenge",
        "refuse",
        challenge_id,
        solver,
        "--account",
        SEEKER,
        "--prior-art",
        str(other),
        code=4,
        says="PriorArtMismatch",
    )
    bounty.ok("challenge", "refuse", challenge_id, solver, "--account", SEEKER, "--prior-art", str(prior))
    assert bounty.json("challenge", "submissions", challenge_id)[0]["status"] == "refused"
    revealed = platform.challenge.events.PriorKnowledgeRevealed().get_logs(from_block=0)
    assert any(e["args"]["entrant"] == solver for e in revealed)


def test_token_prize_is_approved_and_escrowed(bounty: Bounty, platform: Platform, tmp_path: Path) -> None:
    spec = write_challenge(tmp_path, token=platform.token.address, prizes=["100", "25.5"])
    challenge_id = str(bounty.json("challenge", "create", str(spec), "--account", SEEKER)["id"])
    shown = bounty.json("challenge", "show", challenge_id)
    assert shown["funded"] == str(1255 * 10**17) and shown["symbol"] == platform.token.functions.symbol().call()
    assert platform.token.functions.balanceOf(platform.challenge.address).call() == 1255 * 10**17
    bounty.ok("challenge", "fund", challenge_id, "4.5", "--account", SOLVER)
    assert bounty.json("challenge", "show", challenge_id)["funded"] == str(130 * 10**18)


# -- bad input: one clear line, an exit code, nothing changed ------------------------------------


def _count(platform: Platform) -> int:
    return int(platform.challenge.functions.challengeCount().call())


def test_malformed_amounts_are_refused_before_anything_is_sent(
    bounty: Bounty, platform: Platform, tmp_path: Path
) -> None:
    spec = write_challenge(tmp_path, prizes=["1.2.3"])
    bounty.fails("challenge", "create", str(spec), "--account", SEEKER, code=2, says="'1.2.3' is not an amount")
    spec = write_challenge(tmp_path, prizes=["0.0000000000000000001"])
    bounty.fails("challenge", "create", str(spec), "--account", SEEKER, code=2, says="more than 18 decimals")
    assert _count(platform) == 0
    challenge_id = str(bounty.json("challenge", "create", str(write_challenge(tmp_path)), "--account", SEEKER)["id"])
    bounty.fails("challenge", "fund", challenge_id, "lots", "--account", SOLVER, code=2, says="is not an amount")
    assert bounty.json("challenge", "show", challenge_id)["funded"] == str(10**18)


def test_unknown_challenge_is_named(bounty: Bounty, platform: Platform) -> None:
    bounty.fails("challenge", "show", "99", code=4, says="challenge 99 does not exist")
    bounty.fails("challenge", "accept", "99", "--account", SOLVER, "--yes", code=4, says="challenge 99 does not exist")
    bounty.fails("challenge", "cancel", "99", "--account", SEEKER, code=4, says="UnknownChallenge(challengeId=99)")


def test_passed_deadlines_are_shown_as_dates(bounty: Bounty, platform: Platform, tmp_path: Path) -> None:
    spec = write_challenge(tmp_path, submission_deadline="2020-01-01T00:00Z")
    bounty.fails(
        "challenge", "create", str(spec), "--account", SEEKER, code=2, says="2020-01-01 00:00:00 UTC has passed"
    )
    assert _count(platform) == 0
    challenge_id = str(bounty.json("challenge", "create", str(write_challenge(tmp_path)), "--account", SEEKER)["id"])
    deadline = bounty.json("challenge", "show", challenge_id)["submission_deadline"]
    platform.time_travel(WEEK + 60)
    failed = bounty.fails(
        "challenge", "accept", challenge_id, "--account", SOLVER, "--yes", code=4, says="deadline passed at"
    )
    assert human_time(deadline) in failed.stderr
    escrow = platform.challenge.functions
    assert escrow.getEntry(int(challenge_id), dev_account(2).address).call()[2] == 0
    # Too early for the seeker to award: the contract's error, with its deadline as a date.
    challenge_id = str(bounty.json("challenge", "create", str(write_challenge(tmp_path)), "--account", SEEKER)["id"])
    bounty.fails("challenge", "award", challenge_id, dev_account(2).address, "--account", SEEKER, code=4, says="UTC")


def test_insufficient_funds_is_explained(bounty: Bounty, platform: Platform, tmp_path: Path) -> None:
    spec = write_challenge(tmp_path, prizes=["5000000"])
    bounty.fails("challenge", "create", str(spec), "--account", SEEKER, code=4, says="insufficient funds")
    assert _count(platform) == 0


def test_services_down_or_wrong_network_are_one_line(
    bounty: Bounty, platform: Platform, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rpc_url, ipfs_url = os.environ["CROWDBOUNTY_RPC_URL"], os.environ["CROWDBOUNTY_IPFS_API_URL"]
    monkeypatch.setenv("CROWDBOUNTY_IPFS_API_URL", "http://127.0.0.1:9")
    bounty.fails(
        "challenge",
        "create",
        str(write_challenge(tmp_path)),
        "--account",
        SEEKER,
        code=3,
        says="IPFS node at http://127.0.0.1:9 is unavailable",
    )
    assert _count(platform) == 0
    bounty.fails("challenge", "list", code=3, says="the backend at http://127.0.0.1:9 does not answer")
    monkeypatch.setenv("CROWDBOUNTY_RPC_URL", "http://127.0.0.1:9")
    bounty.fails("network", code=3, says="does not answer")
    monkeypatch.setenv("CROWDBOUNTY_RPC_URL", rpc_url)
    monkeypatch.setenv("CROWDBOUNTY_IPFS_API_URL", ipfs_url)
    other = tmp_path / "other-chain.json"
    other.write_text(platform.deployments_file.read_text().replace('"chain_id": 1337', '"chain_id": 5'))
    monkeypatch.setenv("CROWDBOUNTY_DEPLOYMENTS_FILE", str(other))
    bounty.fails("network", code=3, says="wrong network")
