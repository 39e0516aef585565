"""The seeker's and the solvers' journeys through `bounty`, on the real chain and IPFS node."""

from pathlib import Path

from conftest import Bounty, Platform, write_challenge

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
    before = platform.balance(2)
    bounty.ok("withdraw", "--account", SOLVER)
    assert 0.99 * 10**18 < platform.balance(2) - before <= 10**18
