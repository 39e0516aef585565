"""Fixtures for the ChallengeEscrow tests: roles, the escrow, tokens and ready-made challenges."""

from collections.abc import Callable
from typing import Any

import pytest
from brownie import ChallengeEscrow, ChallengeTeams, TestToken, accounts
from challenge_helpers import AGREEMENT, ETH, PRIZE, SUBMISSION_CID, terms


@pytest.fixture(autouse=True)
def isolation(fn_isolation: Any) -> None:
    """Every test starts from a clean chain snapshot."""


@pytest.fixture(scope="module")
def deployer() -> Any:
    return accounts[0]


@pytest.fixture(scope="module")
def seeker() -> Any:
    return accounts[1]


@pytest.fixture(scope="module")
def solver() -> Any:
    return accounts[2]


@pytest.fixture(scope="module")
def solver2() -> Any:
    return accounts[3]


@pytest.fixture(scope="module")
def solver3() -> Any:
    return accounts[4]


@pytest.fixture(scope="module")
def arbiter() -> Any:
    return accounts[5]


@pytest.fixture(scope="module")
def contributor() -> Any:
    return accounts[6]


@pytest.fixture(scope="module")
def outsider() -> Any:
    return accounts[7]


@pytest.fixture(scope="module")
def escrow(deployer: Any) -> Any:
    return ChallengeEscrow.deploy({"from": deployer})


@pytest.fixture(scope="module")
def teams(escrow: Any) -> Any:
    return ChallengeTeams.at(escrow.teams())


@pytest.fixture(scope="module")
def token(deployer: Any, seeker: Any, contributor: Any, solver: Any, escrow: Any) -> Any:
    """A plain ERC-20, minted to and approved by the seeker, a contributor and a solver."""
    erc20 = TestToken.deploy({"from": deployer})
    for holder in (seeker, contributor, solver):
        erc20.mint(holder, 100 * PRIZE, {"from": holder})
        erc20.approve(escrow, 2**256 - 1, {"from": holder})
    return erc20


@pytest.fixture(scope="module")
def create(escrow: Any, seeker: Any) -> Callable[..., int]:
    """Create (and fund) a challenge; returns its id. Keyword arguments go to `terms`."""

    def _create(sender: Any = None, value: int | None = None, **kwargs: Any) -> int:
        t = terms(**kwargs)
        total = sum(t[2])
        if value is None:
            value = total if t[1] == ETH else 0
        tx = escrow.createChallenge(t, {"from": sender or seeker, "value": value})
        return tx.return_value

    return _create


@pytest.fixture
def challenge(create: Callable[..., int]) -> int:
    """A one-slot ETH IDEATION challenge of 1 ETH without an arbiter."""
    return create()


@pytest.fixture
def entered(escrow: Any, challenge: int, solver: Any) -> int:
    """The plain challenge with one solver who accepted and submitted."""
    escrow.acceptTerms(challenge, AGREEMENT, {"from": solver})
    escrow.submit(challenge, SUBMISSION_CID, {"from": solver})
    return challenge
