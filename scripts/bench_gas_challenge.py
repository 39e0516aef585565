"""Gas of one ChallengeEscrow cycle on the local chain, beside StandardBounties' figures.

Run: `brownie run scripts/bench_gas_challenge.py --network development` (the Makefile's
`make bench-gas`). Deploys a fresh escrow, runs one warm-up challenge (so the challenge
counter and the ETH liability total are non-zero, as on any live deployment), registers the
platform's standard agreement, then measures a one-slot ETH challenge with one
seeker and two solvers under its own agreement (the usual case: `full_cycle`), and a
second cycle under the registered agreement, which stores a 16-bit index instead of the
hash (`full_cycle_registered_agreement`). `withdraw` is the solo winner's `withdrawAward`.
Results go to bench/results/gas.json, section "challenge".
"""

from brownie import ChallengeEscrow, accounts, chain, web3

from devstack.results import record_results

ETH = "0x0000000000000000000000000000000000000000"
PRIZE = 10**18
DAY = 86_400
AGREEMENT = web3.keccak(text="Crowdbounty challenge agreement v1")
NEW_AGREEMENT = web3.keccak(text="An agreement written for one challenge")
METADATA_CID = b"\x01\x55\x12\x20" + bytes(32)  # a CIDv1 (raw, sha2-256): 36 bytes
SUBMISSION_CID = b"\x01\x55\x12\x20" + bytes(range(32))

# StandardBounties (v2) gas figures, for comparison.
STANDARD_BOUNTIES = {
    "create_and_fund": ("issueBounty", 170_291),
    "contribute": ("contribute", 88_979),
    "submit": ("fulfillBounty", 123_648),
    "award": ("acceptFulfillment", 82_841),
    "full_cycle": ("full cycle", 500_000),
}
GOALS = {"full_cycle": 300_000, "full_cycle_registered_agreement": 300_000, "submit": 75_000}


def _terms(agreement: bytes = AGREEMENT) -> tuple:
    now = chain.time()
    return (
        0,
        ETH,
        [PRIZE],
        now + 7 * DAY,
        now + 21 * DAY,
        agreement,
        METADATA_CID,
        web3.keccak(METADATA_CID),
        web3.keccak(text="x25519"),
        ETH,
        0,
        bytes(32),
    )


def _create(escrow, seeker, agreement: bytes = AGREEMENT) -> tuple[int, int]:
    tx = escrow.createChallenge(_terms(agreement), {"from": seeker, "value": PRIZE})
    return tx.return_value, tx.gas_used


def _cycle(escrow, seeker, solver, agreement: bytes) -> tuple[int, int]:
    """(create gas, full cycle gas) of a one-slot ETH challenge with one solver."""
    challenge, create_gas = _create(escrow, seeker, agreement)
    gas = create_gas
    gas += escrow.acceptTerms(challenge, agreement, {"from": solver}).gas_used
    gas += escrow.submit(challenge, SUBMISSION_CID + b"\x02", {"from": solver}).gas_used
    chain.sleep(7 * DAY + 1)
    chain.mine()
    gas += escrow.award(challenge, solver, 0, PRIZE, {"from": seeker}).gas_used
    gas += escrow.withdrawAward(challenge, {"from": solver}).gas_used
    return create_gas, gas


def main() -> None:
    deployer, seeker, solver, solver2, contributor = (
        accounts[0],
        accounts[1],
        accounts[2],
        accounts[3],
        accounts[4],
    )
    escrow = ChallengeEscrow.deploy({"from": deployer})
    _, first_create = _create(escrow, seeker)  # warm-up: first-ever writes of shared counters
    register = escrow.registerAgreement(AGREEMENT, {"from": deployer}).gas_used

    challenge, create_gas = _create(escrow, seeker, NEW_AGREEMENT)
    accept = escrow.acceptTerms(challenge, NEW_AGREEMENT, {"from": solver}).gas_used
    submit = escrow.submit(challenge, SUBMISSION_CID, {"from": solver}).gas_used
    extra_accept = escrow.acceptTerms(challenge, NEW_AGREEMENT, {"from": solver2}).gas_used
    extra_submit = escrow.submit(challenge, SUBMISSION_CID + b"\x01", {"from": solver2}).gas_used
    contribute = escrow.contribute(challenge, PRIZE, {"from": contributor, "value": PRIZE}).gas_used
    chain.sleep(7 * DAY + 1)
    chain.mine()
    award = escrow.award(challenge, solver, 0, 2 * PRIZE, {"from": seeker}).gas_used
    withdraw = escrow.withdrawAward(challenge, {"from": solver}).gas_used
    create_registered, full_cycle_registered = _cycle(escrow, seeker, accounts[5], AGREEMENT)

    results = {
        "create_and_fund": create_gas,
        "create_and_fund_first_ever": first_create,
        "accept_terms": accept,
        "submit": submit,
        "contribute": contribute,
        "award": award,
        "withdraw": withdraw,
        "full_cycle": create_gas + accept + submit + award + withdraw,
        "register_agreement": register,
        "create_and_fund_registered_agreement": create_registered,
        "full_cycle_registered_agreement": full_cycle_registered,
        "extra_solver": extra_accept + extra_submit,
    }
    file = record_results("gas", "challenge", results)

    print(f"\n{'operation':<38}{'ChallengeEscrow':>16}   {'StandardBounties':<30}")
    for name, gas in results.items():
        theirs = STANDARD_BOUNTIES.get(name)
        reference = f"{theirs[0]} {theirs[1]:,}" if theirs else ""
        goal = f"  (goal <= {GOALS[name]:,}: {'met' if gas <= GOALS[name] else 'MISSED'})" if name in GOALS else ""
        print(f"{name:<38}{gas:>16,}   {reference:<30}{goal}")
    print(f"\nRecorded in {file}")
