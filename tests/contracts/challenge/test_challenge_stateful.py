"""Stateful property test of ChallengeEscrow (Brownie `state_machine` over Hypothesis).

Random sequences of create / contribute / accept / submit / award / refuse / dispute /
rule / timeout / settle / claim / withdraw / withdraw an award, with invariants checked after every step:
the escrow holds at least what it owes per token (here exactly: nothing else arrives);
what came in equals what went out plus what is still owed; nobody withdraws more than
was credited (a second withdraw reverts); no challenge pays out beyond its funding; and a
settled challenge's awards + shares + refunds equal its funding.

Speed (the budget is 10,000 steps): the invariants read everything they need in one
`eth_call` per step (tests/contracts/batch_reads.py), a new challenge's id comes from its event (`tx.return_value`
would cost a debug trace), and what cannot change (a challenge's token and seeker) is
remembered in Python instead of read back; the invariant checks the remembered token.
A step re-reads only the challenges it acted on (a challenge's views are storage only, so
no other step can change them; Ganache spends ~8 ms per view even inside one call, which
made long examples cost 0.5-0.7 s a step). Every FULL_READ_EVERY steps all challenges are
read again and must equal what was kept: one challenge's step never changes another.

Step budget: CROWDBOUNTY_FUZZ_STEPS (default 200). The executed steps are recorded with
`devstack.results.record_results("fuzz", "challenge", ...)`.
"""

import os
import time
from typing import Any, ClassVar

import brownie
import brownie.test
import pytest
from batch_reads import Balance, Call, read_batch
from brownie import chain, web3
from brownie.exceptions import VirtualMachineError
from brownie.test import strategy
from challenge_helpers import AGREEMENT, CONDITIONAL, DAY, ETH, IDEATION, terms
from fuzz_budget import SUPPRESSED_HEALTH_CHECKS, examples_for

from devstack.results import record_results

STEPS = int(os.environ.get("CROWDBOUNTY_FUZZ_STEPS", "200"))
STEPS_PER_EXAMPLE = 50
FULL_READ_EVERY = 10
MAX_ROUNDS = 50
CANCELLED, SETTLED = 2, 3
DISPUTED = 5
CHALLENGE_VIEWS = ("challenge", "outcome", "entry", "refusal")


class ChallengeMachine:
    st_index = strategy("uint8", max_value=7)
    st_amount = strategy("uint256", min_value=1, max_value=10**18)
    st_fraction = strategy("uint8", min_value=1, max_value=100)
    st_slots = strategy("uint8", min_value=1, max_value=3)
    st_bool = strategy("bool")
    st_sleep = strategy("uint8", max_value=3)

    steps: ClassVar[int] = 0  # rules executed
    transactions: ClassVar[int] = 0
    reverted: ClassVar[int] = 0

    # Brownie calls __init__ once on the generated class, not on an instance.
    def __init__(cls, escrow: Any, token: Any, accounts: Any, read_aggregator: Any) -> None:  # noqa: N805
        cls.escrow = escrow
        cls.read_aggregator = read_aggregator
        cls.token = token
        cls.seekers = [accounts[1], accounts[6]]
        cls.solvers = [accounts[2], accounts[3], accounts[4]]
        cls.arbiter = accounts[5]
        cls.everyone = [*cls.seekers, *cls.solvers, cls.arbiter, accounts[7]]
        cls.tokens = [ETH, token.address]
        cls.gas_price = web3.eth.gas_price

    def setup(self) -> None:
        self.challenges: list[int] = []
        self.token_of: dict[int, str] = {}  # fixed at creation
        self.seeker_of: dict[int, Any] = {}  # fixed at creation
        self.refusals: set[tuple[int, str]] = set()
        self.incoming = dict.fromkeys(self.tokens, 0)
        self.withdrawn = dict.fromkeys(self.tokens, 0)
        self.kept: dict[tuple[Any, ...], Any] = {}  # each challenge's last read views
        self.acted_on: set[int] = set()  # challenges a step acted on since they were read
        self.invariant_checks = 0

    # ------------------------------------------------------------------ helpers

    def _tx(self, fn: Any, *args: Any) -> Any:
        ChallengeMachine.transactions += 1
        *call_args, tx = args
        try:
            # A fixed gas price spares Brownie an eth_gasPrice round trip per transaction.
            return fn(*call_args, {**tx, "gas_price": self.gas_price})
        except VirtualMachineError:
            ChallengeMachine.reverted += 1
            return None

    def _pick(self, index: int) -> int | None:
        if not self.challenges:
            return None
        cid = self.challenges[index % len(self.challenges)]
        self.acted_on.add(cid)
        return cid

    def _value(self, cid: int, amount: int) -> int:
        return amount if self.token_of[cid] == ETH else 0

    # ------------------------------------------------------------------ rules

    def initialize_challenges(self, arb="st_bool", conditional="st_bool"):
        """Every run starts with one ETH and one token challenge so the other rules have targets."""
        self.rule_create(0, 2, 10**18, False, arb, conditional)
        self.rule_create(1, 1, 10**18, True, not arb, not conditional)

    def rule_create(
        self,
        who="st_index",
        slots="st_slots",
        amount="st_amount",
        use_token="st_bool",
        arb="st_bool",
        conditional="st_bool",
    ):
        ChallengeMachine.steps += 1
        seeker = self.seekers[who % 2]
        token = self.token.address if use_token else ETH
        t = terms(
            kind=CONDITIONAL if conditional else IDEATION,
            token=token,
            slots=[amount // (i + 1) or 1 for i in range(slots)],
            arbiter=self.arbiter if arb else ETH,
            submission_deadline=chain.time() + 3 * DAY,
            evaluation_deadline=chain.time() + 6 * DAY,
        )
        total = sum(t[2])
        tx = self._tx(self.escrow.createChallenge, t, {"from": seeker, "value": total if token == ETH else 0})
        if tx is not None:
            cid = tx.events["ChallengeCreated"]["challengeId"]
            self.challenges.append(cid)
            self.acted_on.add(cid)
            self.token_of[cid] = token
            self.seeker_of[cid] = seeker
            self.incoming[token] += total

    def rule_contribute(self, index="st_index", who="st_index", amount="st_amount"):
        ChallengeMachine.steps += 1
        cid = self._pick(index)
        if cid is None:
            return
        tx = self._tx(
            self.escrow.contribute,
            cid,
            amount,
            {"from": self.everyone[who % len(self.everyone)], "value": self._value(cid, amount)},
        )
        if tx is not None:
            self.incoming[self.token_of[cid]] += amount

    def rule_enter(self, index="st_index", who="st_index", submit="st_bool"):
        ChallengeMachine.steps += 1
        cid = self._pick(index)
        if cid is None:
            return
        solver = self.solvers[who % 3]
        self._tx(self.escrow.acceptTerms, cid, AGREEMENT, {"from": solver})
        if submit:
            self._tx(self.escrow.submit, cid, b"cid-%d" % who, {"from": solver})

    def rule_award(
        self, index="st_index", who="st_index", slot="st_slots", fraction="st_fraction", by_arbiter="st_bool"
    ):
        ChallengeMachine.steps += 1
        cid = self._pick(index)
        if cid is None:
            return
        slot -= 1
        try:
            remaining = self.escrow.slotRemaining(cid, slot)
        except (VirtualMachineError, ValueError):
            remaining = 1
        amount = max(1, remaining * fraction // 100)
        sender = self.arbiter if by_arbiter else self.seeker_of[cid]
        self._tx(self.escrow.award, cid, self.solvers[who % 3], slot, amount, {"from": sender})

    def rule_refuse(self, index="st_index", who="st_index"):
        ChallengeMachine.steps += 1
        cid = self._pick(index)
        if cid is None:
            return
        fee = self.escrow.arbitrationFee(cid)
        solver = self.solvers[who % 3]
        tx = self._tx(
            self.escrow.declareCriteriaUnmet, cid, solver, {"from": self.seeker_of[cid], "value": self._value(cid, fee)}
        )
        if tx is not None:
            self.incoming[self.token_of[cid]] += fee
            self.refusals.add((cid, solver.address))

    def rule_dispute(self, index="st_index", who="st_index"):
        ChallengeMachine.steps += 1
        cid = self._pick(index)
        if cid is None:
            return
        solver = self.solvers[who % 3]
        fee = self.escrow.getRefusal(cid, solver)["fee"]
        tx = self._tx(self.escrow.disputeRefusal, cid, {"from": solver, "value": self._value(cid, fee)})
        if tx is not None:
            self.incoming[self.token_of[cid]] += fee

    def rule_resolve(self, index="st_index", who="st_index", overturn="st_bool"):
        ChallengeMachine.steps += 1
        cid = self._pick(index)
        if cid is None:
            return
        solver = self.solvers[who % 3]
        if not self._tx(self.escrow.ruleOnDispute, cid, solver, overturn, {"from": self.arbiter}):
            self._tx(self.escrow.finalizeRefusal, cid, solver, {"from": self.everyone[-1]})

    def rule_sleep(self, period="st_sleep"):
        ChallengeMachine.steps += 1
        chain.sleep([3600, 2 * DAY, 4 * DAY, 15 * DAY][period])
        chain.mine()

    def rule_finish(self, index="st_index", how="st_index"):
        ChallengeMachine.steps += 1
        cid = self._pick(index)
        if cid is None:
            return
        if how % 3 == 0:
            self._tx(self.escrow.cancel, cid, {"from": self.seeker_of[cid]})
        elif how % 3 == 1:
            self._tx(self.escrow.closeEvaluation, cid, {"from": self.seeker_of[cid]})
        else:
            self._tx(self.escrow.settle, cid, {"from": self.everyone[-1]})

    def rule_claim(self, index="st_index", who="st_index"):
        ChallengeMachine.steps += 1
        cid = self._pick(index)
        if cid is None:
            return
        account = self.everyone[who % len(self.everyone)]
        self._tx(self.escrow.claimShare, cid, account, {"from": account})
        self._tx(self.escrow.claimRefund, cid, account, {"from": account})

    def rule_withdraw(self, who="st_index", use_token="st_bool"):
        ChallengeMachine.steps += 1
        account = self.everyone[who % len(self.everyone)]
        token = self.tokens[1] if use_token else ETH
        owed = self.escrow.withdrawable(token, account)
        tx = self._tx(self.escrow.withdraw, token, {"from": account})
        if tx is None:
            assert owed == 0, "a withdrawal of a credited balance reverted"
            return
        assert tx.events["Withdrawn"]["amount"] == owed
        self.withdrawn[token] += owed
        with brownie.reverts():
            self.escrow.withdraw(token, {"from": account, "gas_price": self.gas_price})

    def rule_withdraw_award(self, index="st_index", who="st_index"):
        ChallengeMachine.steps += 1
        cid = self._pick(index)
        if cid is None:
            return
        solver = self.solvers[who % 3]
        owed = self.escrow.getEntry(cid, solver)["awardOwed"]
        tx = self._tx(self.escrow.withdrawAward, cid, {"from": solver})
        if tx is None:
            assert owed == 0, "a withdrawal of a held award reverted"
            return
        assert tx.events["AwardWithdrawn"]["amount"] == owed
        self.withdrawn[self.token_of[cid]] += owed
        with brownie.reverts():
            self.escrow.withdrawAward(cid, {"from": solver, "gas_price": self.gas_price})

    # ------------------------------------------------------------------ invariants

    def _challenge_reads(self, cids: set[int]) -> dict[tuple[Any, ...], Call]:
        escrow = self.escrow
        reads: dict[tuple[Any, ...], Call] = {}
        for cid in cids:
            reads["challenge", cid] = Call(escrow, "getChallenge", (cid,))
            reads["outcome", cid] = Call(escrow, "getOutcome", (cid,))
            for solver in self.solvers:  # every refused entrant is one of them
                reads["entry", cid, solver.address] = Call(escrow, "getEntry", (cid, solver))
        for cid, solver in self.refusals:
            if cid in cids:
                reads["refusal", cid, solver] = Call(escrow, "getRefusal", (cid, solver))
        return reads

    def _read_state(self) -> dict[tuple[Any, ...], Any]:
        """Every value the invariants look at: balances and the challenges acted on are read
        in one batch (one round trip per step), the other challenges' views are the kept ones."""
        escrow = self.escrow
        reads: dict[tuple[Any, ...], Call | Balance] = {
            ("holdings", ETH): Balance(escrow),
            ("holdings", self.token.address): Call(self.token, "balanceOf", (escrow,)),
        }
        for token in self.tokens:
            reads["owed", token] = Call(escrow, "totalOwed", (token,))
            for account in self.everyone:
                reads["withdrawable", token, account] = Call(escrow, "withdrawable", (token, account))
        self.invariant_checks += 1
        read_all = self.invariant_checks % FULL_READ_EVERY == 0
        reads.update(self._challenge_reads(set(self.challenges) if read_all else self.acted_on))
        state = read_batch(self.read_aggregator, reads)
        if read_all:
            for key, kept in self.kept.items():
                if key[1] not in self.acted_on:
                    assert state[key] == kept, f"{key[0]} of challenge {key[1]} changed by a step on another"
        self.kept.update((key, value) for key, value in state.items() if key[0] in CHALLENGE_VIEWS)
        self.acted_on.clear()
        return {**state, **self.kept}

    # Both checks share one read of the chain, so they run as one invariant.
    def invariant_accounting(self) -> None:
        state = self._read_state()
        self._check_holds_what_it_owes(state)
        self._check_owed_is_credits_plus_held(state)

    def _check_holds_what_it_owes(self, state: dict[tuple[Any, ...], Any]) -> None:
        for token in self.tokens:
            owed = state["owed", token]
            assert state["holdings", token] >= owed
            assert state["holdings", token] == owed == self.incoming[token] - self.withdrawn[token]

    def _check_owed_is_credits_plus_held(self, state: dict[tuple[Any, ...], Any]) -> None:
        held = dict.fromkeys(self.tokens, 0)
        for cid in self.challenges:
            c = state["challenge", cid]
            o = state["outcome", cid]
            assert c["token"] == self.token_of[cid], "a challenge's token changed"
            paid = c["awarded"] + o["sharesPaid"] + o["refundsPaid"]
            assert paid <= c["funded"], "paid out beyond the challenge's funds"
            if c["state"] in (SETTLED, CANCELLED):
                assert c["awarded"] + o["sharePool"] + o["refundPool"] == c["funded"]
            held[c["token"]] += c["funded"] - paid
            # Awards and shares of solo entrants are held in their entries until withdrawAward.
            held[c["token"]] += sum(state["entry", cid, s.address]["awardOwed"] for s in self.solvers)
        for cid, solver in self.refusals:
            r = state["refusal", cid, solver]
            if not r["resolved"] and r["fee"]:
                disputed = state["entry", cid, solver]["status"] == DISPUTED
                held[self.token_of[cid]] += r["fee"] * (2 if disputed else 1)
        for token in self.tokens:
            credited = sum(state["withdrawable", token, a] for a in self.everyone)
            assert state["owed", token] == credited + held[token]


@pytest.mark.usefixtures("cheap_rpc_caller_check", "frozen_heap", "cached_chain_id")
def test_challenge_stateful(state_machine, escrow, token, accounts, read_aggregator):
    for account in (accounts[5], accounts[7], accounts[2], accounts[3], accounts[4], accounts[6]):
        token.mint(account, 10**24, {"from": account})
        token.approve(escrow, 2**256 - 1, {"from": account})
    settings = {
        "stateful_step_count": STEPS_PER_EXAMPLE,
        "max_examples": examples_for(STEPS, STEPS_PER_EXAMPLE),
        "database": None,  # replayed (shrunk) examples would eat the step budget
        "suppress_health_check": SUPPRESSED_HEALTH_CHECKS,
    }
    started = time.monotonic()
    ChallengeMachine.steps = ChallengeMachine.transactions = ChallengeMachine.reverted = 0
    passed = False
    rounds = 0
    try:
        # Hypothesis's first examples of a run are one step long (see fuzz_budget) and the
        # others may stop early, so run again until the step budget is spent (at most MAX_ROUNDS).
        while ChallengeMachine.steps < STEPS and rounds < MAX_ROUNDS:
            state_machine(ChallengeMachine, escrow, token, accounts, read_aggregator, settings=settings)
            chain.revert()  # back to the state_machine's own snapshot: the next round starts clean
            rounds += 1
        passed = True
    finally:
        record_results(
            "fuzz",
            "challenge",
            {
                "steps": ChallengeMachine.steps,
                "transactions": ChallengeMachine.transactions,
                "reverted_transactions": ChallengeMachine.reverted,
                "examples_per_round": settings["max_examples"],
                "rounds": rounds,
                "step_budget": STEPS,
                "violations": 0 if passed else 1,
                "seconds": round(time.monotonic() - started, 1),
            },
        )
