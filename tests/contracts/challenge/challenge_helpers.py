"""Constants and helpers shared by the ChallengeEscrow tests (fixtures live in conftest.py)."""

from typing import Any

from brownie import chain, web3

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


def award_owed(escrow: Any, challenge_id: int, entrant: Any) -> int:
    """What a solo entrant won in the challenge and has not withdrawn (`withdrawAward` pays it)."""
    return int(escrow.getEntry(challenge_id, entrant)["awardOwed"])
