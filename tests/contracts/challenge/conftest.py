"""Fixtures for the ChallengeEscrow tests: roles, the escrow, tokens and ready-made challenges."""

from collections.abc import Callable
from typing import Any

import pytest
from brownie import ChallengeEscrow, ChallengeTeams, TestToken, accounts, chain, web3

DAY = 86_400
SUBMISSION_PERIOD = 7 * DAY
EVALUATION_PERIOD = 14 * DAY
PRIZE = 10**18


def hex32(value: bytes) -> str:
    """bytes32 as the 0x-string Brownie returns and compares with."""
    return "0x" + bytes(value).hex()


AGREEMENT = hex32(web3.keccak(text="Crowdbounty challenge agreement v1"))
METADATA_CID = b"\x01\x55\x12\x20" + bytes(range(32))
METADATA_HASH = hex32(web3.keccak(METADATA_CID))
PUBLIC_KEY = hex32(web3.keccak(text="seeker x25519 public key"))
SUBMISSION_CID = b"\x01\x55\x12\x20" + bytes(range(100, 132))
PRIOR_ART_SALT = hex32(web3.keccak(text="salt"))
PRIOR_ART_CID = b"prior-art-cid"
PRIOR_ART_COMMITMENT = hex32(web3.keccak(bytes.fromhex(PRIOR_ART_SALT[2:]) + PRIOR_ART_CID))
ZERO32 = "0x" + "00" * 32

IDEATION, CONDITIONAL, RFP = 0, 1, 2
OPEN, CANCELLED, SETTLED = 1, 2, 3
NONE, ACCEPTED, SUBMITTED, SELECTED, REFUSED, DISPUTED, OVERTURNED = range(7)
CRITERIA_UNMET, PRIOR_KNOWLEDGE = 0, 1
EQUAL, LEADER_HALF = 0, 1
ETH = "0x0000000000000000000000000000000000000000"


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


def terms(
    *,
    kind: int = IDEATION,
    token: Any = ETH,
    slots: list[int] | None = None,
    submission_deadline: int | None = None,
    evaluation_deadline: int | None = None,
    agreement: str = AGREEMENT,
    arbiter: Any = ETH,
    licence_days: int = 0,
    prior_art_commitment: str = ZERO32,
) -> tuple[Any, ...]:
    """The ChallengeTerms tuple, in the struct's field order."""
    now = chain.time()
    submission_deadline = submission_deadline or now + SUBMISSION_PERIOD
    evaluation_deadline = evaluation_deadline or submission_deadline + EVALUATION_PERIOD
    if slots is None:
        slots = [] if kind == RFP else [PRIZE]
    return (
        kind,
        token,
        slots,
        submission_deadline,
        evaluation_deadline,
        agreement,
        METADATA_CID,
        METADATA_HASH,
        PUBLIC_KEY,
        arbiter,
        licence_days,
        prior_art_commitment,
    )


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


def enter(escrow: Any, challenge_id: int, *solvers: Any) -> None:
    """Each solver accepts the terms and submits its own CID."""
    for i, account in enumerate(solvers):
        escrow.acceptTerms(challenge_id, AGREEMENT, {"from": account})
        escrow.submit(challenge_id, SUBMISSION_CID + bytes([i]), {"from": account})


def to_evaluation(escrow: Any, challenge_id: int) -> None:
    """Move the clock just past the submission deadline."""
    chain.sleep(escrow.getChallenge(challenge_id)["submissionDeadline"] - chain.time() + 1)
    chain.mine()


def after_evaluation(escrow: Any, challenge_id: int, extra: int = 0) -> None:
    """Move the clock past the evaluation deadline (plus `extra` seconds)."""
    chain.sleep(escrow.getChallenge(challenge_id)["evaluationDeadline"] - chain.time() + 1 + extra)
    chain.mine()


def err(name: str, *args: Any) -> str:
    """A custom error as Brownie 1.22 reports it: `Name: arg, arg` (addresses lower-case,
    bytes32 as Python bytes)."""

    def fmt(value: Any) -> str:
        if hasattr(value, "address"):
            value = value.address
        if isinstance(value, str) and value.startswith("0x") and len(value) == 42:
            return value.lower()
        if isinstance(value, str) and value.startswith("0x") and len(value) == 66:
            return str(bytes.fromhex(value[2:]))
        if isinstance(value, bytes | bytearray):
            return str(bytes(value))
        return str(value)

    return f"{name}: {', '.join(fmt(a) for a in args)}"


def gas_cost(tx: Any) -> int:
    """What a transaction cost its sender in wei (Ganache refuses a zero gas price)."""
    return tx.gas_used * tx.gas_price
