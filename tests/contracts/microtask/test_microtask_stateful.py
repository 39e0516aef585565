"""Stateful property test of MicrotaskEscrow (Hypothesis through Brownie's state_machine).

A model follows one ETH batch through random vouchers, redemptions (fresh and stale),
on-chain results, approvals, rejections, disputes, rulings, time jumps, withdrawals and
closing. After every step the invariants check that:
- the escrow holds exactly what is still redeemable, reserved, bonded or credited
  (so escrow >= everything still owed);
- nobody is paid beyond their latest valid voucher plus approved on-chain results;
- the requester never reclaims a worker's due (closing takes only the unreserved rest).

Step budget: CROWDBOUNTY_FUZZ_STEPS (default 200), in runs of at most 50 steps; the
steps actually executed go to bench/results/fuzz.json, section "microtask".
"""

# Pytest fixtures arrive as positional parameters; many per test is normal here.

import os
from typing import Any

import brownie
from brownie import chain
from brownie.exceptions import VirtualMachineError
from brownie.test import strategy
from fuzz_budget import SUPPRESSED_HEALTH_CHECKS, examples_for
from microtask_helpers import ETH, batch_params, sign_voucher, task_hash

from devstack.results import record_results

STEP_BUDGET = int(os.environ.get("CROWDBOUNTY_FUZZ_STEPS", "200"))
STATEFUL_STEP_COUNT = 50
MAX_EXAMPLES = examples_for(STEP_BUDGET, STATEFUL_STEP_COUNT)

R = 10**15
COUNT = 6
BONUS = R
TOTAL = R * COUNT + BONUS
REVIEW = 2 * 86400
LIFETIME = 10 * 86400
GRACE = 7 * 86400
DISPUTE_WINDOW = 3 * 86400
RULING_WINDOW = 7 * 86400
FEE = R // 2
MARGIN = 30  # seconds around a deadline where the next block's time is not known exactly (slow machines)

PENDING, REJECTED, DISPUTED, APPROVED, UPHELD = 1, 2, 3, 4, 5
OPEN_STATES = (PENDING, REJECTED, DISPUTED)

counters = {"steps": 0, "examples": 0, "reverts_expected": 0, "calls_ok": 0}


class MicrotaskMachine:
    st_worker = strategy("uint8", max_value=2)
    st_task = strategy("uint8", max_value=COUNT - 1)
    st_pick = strategy("uint8")
    st_amount = strategy("uint256", min_value=1, max_value=3 * R)
    st_seconds = strategy("uint256", min_value=600, max_value=4 * 86400)
    st_flag = strategy("bool")
    st_party = strategy("uint8", max_value=4)

    # Brownie calls __init__ once, as a class method, with the state_machine() arguments.
    def __init__(
        cls,  # noqa: N805
        escrow: Any,
        requester: Any,
        workers: list[Any],
        arbiter: Any,
        key: str,
        tasks: Any,
    ) -> None:
        cls.escrow = escrow
        cls.requester = requester
        cls.workers = workers
        cls.arbiter = arbiter
        cls.key = key
        cls.tasks = tasks

    def setup(self) -> None:
        counters["examples"] += 1
        params = batch_params(taskCount=COUNT, bonusPool=BONUS, reward=R, expiry=int(chain.time()) + LIFETIME)
        tx = self.escrow.fundBatch(params, {"from": self.requester, "value": TOTAL})
        self.batch = tx.return_value
        self.closes_at = params[7] + GRACE
        self.closed = False
        self.available = TOTAL
        self.vouchers: dict[str, list[tuple[int, bytes]]] = {str(w): [] for w in self.workers}
        self.redeemed = {str(w): 0 for w in self.workers}
        self.approved_rewards = {str(w): 0 for w in self.workers}
        self.subs: dict[tuple[int, str], dict[str, int]] = {}
        self.credits: dict[str, int] = {}
        self.withdrawn: dict[str, int] = {}
        self.reclaimed = 0
        self.base_balance = self.escrow.balance() - TOTAL  # other examples' leftovers (none: reverted)
        # Start from a live batch: every worker holds a voucher, two results await review.
        for w in self.workers:
            self._sign(str(w), R)
        self._submit(0, 0)
        self._submit(1, 1)

    # ------------------------------------------------------------ helpers

    def _step(self) -> None:
        counters["steps"] += 1

    def _attempt(self, expected: bool | None, fn: Any, *args: Any) -> Any:
        """Send a transaction that must succeed (True), must revert (False) or may do either (None)."""
        if expected is False:
            counters["reverts_expected"] += 1
            with brownie.reverts():
                fn(*args)
            return None
        try:
            tx = fn(*args)
        except VirtualMachineError:
            assert expected is None, f"{fn._name} reverted but the model expected success"
            return None
        counters["calls_ok"] += 1
        return tx

    def _before(self, deadline: int) -> bool | None:
        t = chain.time()
        if abs(t - deadline) <= MARGIN:
            return None
        return t < deadline

    def _credit(self, who: Any, amount: int) -> None:
        self.credits[str(who)] = self.credits.get(str(who), 0) + amount

    def _release(self) -> None:
        if self.closed:
            self._credit(self.requester, R)
        else:
            self.available += R

    def _pick(self, states: tuple[int, ...], pick: int) -> tuple[tuple[int, str], dict[str, int]] | None:
        keys = sorted(k for k, s in self.subs.items() if s["state"] in states)
        if not keys:
            return None
        key = keys[pick % len(keys)]
        return key, self.subs[key]

    def _pick_or_submit(self, states: tuple[int, ...], pick: int) -> tuple[tuple[int, str], dict[str, int]] | None:
        """A submission in one of `states`; with none, post a result instead (this step's move)."""
        picked = self._pick(states, pick)
        if picked is None:
            self._submit(pick % len(self.workers), pick % COUNT)
        return picked

    # ------------------------------------------------------------ fast path

    def rule_sign_voucher(self, st_worker: int, st_amount: int) -> None:
        self._step()
        self._sign(str(self.workers[st_worker]), st_amount)

    def _sign(self, w: str, amount: int) -> None:
        latest = self.vouchers[w][-1][0] if self.vouchers[w] else 0
        signature = sign_voucher(self.key, chain.id, self.escrow.address, self.batch, w, latest + amount)
        self.vouchers[w].append((latest + amount, signature))

    def rule_redeem_latest(self, st_worker: int) -> None:
        self._step()
        w = str(self.workers[st_worker])
        if not self.vouchers[w] or self.vouchers[w][-1][0] <= self.redeemed[w]:
            self._sign(w, R)
        cumulative, signature = self.vouchers[w][-1]
        delta = cumulative - self.redeemed[w]
        ok = not self.closed and delta > 0 and delta <= self.available
        tx = self._attempt(ok, self.escrow.redeemVoucher, self.batch, w, cumulative, signature, {"from": w})
        if tx is not None:
            assert tx.events["VoucherRedeemed"]["paid"] == delta
            self.redeemed[w] = cumulative
            self.available -= delta

    def rule_redeem_older(self, st_worker: int, st_pick: int) -> None:
        self._step()
        w = str(self.workers[st_worker])
        older = [v for v in self.vouchers[w] if v[0] <= self.redeemed[w]]
        if not older:
            return
        cumulative, signature = older[st_pick % len(older)]
        self._attempt(False, self.escrow.redeemVoucher, self.batch, w, cumulative, signature, {"from": w})

    def rule_redeem_for_other_worker(self, st_worker: int) -> None:
        self._step()
        w = str(self.workers[st_worker])
        other = str(self.workers[(st_worker + 1) % len(self.workers)])
        if not self.vouchers[w]:
            return
        cumulative, signature = self.vouchers[w][-1]
        self._attempt(False, self.escrow.redeemVoucher, self.batch, other, cumulative, signature, {"from": other})

    # ------------------------------------------------------------ slow path

    def rule_submit(self, st_worker: int, st_task: int) -> None:
        self._step()
        self._submit(st_worker, st_task)

    def _submit(self, st_worker: int, st_task: int) -> None:
        w = str(self.workers[st_worker])
        in_time = self._before(self.closes_at)
        ok: bool | None = (
            not self.closed and (st_task, w) not in self.subs and self.available >= R and in_time is not False
        )
        if ok and in_time is None:
            ok = None
        tx = self._attempt(
            ok,
            self.escrow.submitResult,
            self.batch,
            st_task,
            task_hash(st_task),
            task_hash(1000 + st_task),
            self.tasks.proof(st_task),
            b"",
            {"from": w},
        )
        if tx is not None:
            self.available -= R
            self.subs[(st_task, w)] = {
                "state": PENDING,
                "deadline": tx.events["ResultSubmitted"]["reviewDeadline"],
            }

    def rule_requester_answers(self, st_pick: int, st_flag: bool) -> None:
        self._step()
        picked = self._pick_or_submit((PENDING,), st_pick)
        if picked is None:
            return
        (task, w), sub = picked
        if st_flag:
            self._attempt(True, self.escrow.approveResult, self.batch, task, w, {"from": self.requester})
            sub["state"] = APPROVED
            self._credit(w, R)
            self.approved_rewards[w] += R
            return
        ok = self._before(sub["deadline"])
        tx = self._attempt(
            ok,
            self.escrow.rejectResult,
            self.batch,
            task,
            w,
            task_hash(7),
            {"from": self.requester, "value": 2 * R},
        )
        if tx is not None:
            sub["state"] = REJECTED
            sub["deadline"] = tx.events["ResultRejected"]["disputeDeadline"]

    def rule_auto_approve(self, st_pick: int) -> None:
        self._step()
        picked = self._pick_or_submit((PENDING,), st_pick)
        if picked is None:
            return
        (task, w), sub = picked
        before = self._before(sub["deadline"])
        ok = None if before is None else not before
        tx = self._attempt(ok, self.escrow.autoApproveResult, self.batch, task, w, {"from": self.arbiter})
        if tx is not None:
            sub["state"] = APPROVED
            self._credit(w, R)
            self.approved_rewards[w] += R

    def rule_dispute(self, st_pick: int) -> None:
        self._step()
        picked = self._pick_or_submit((REJECTED,), st_pick)
        if picked is None:
            return
        (task, w), sub = picked
        ok = self._before(sub["deadline"])
        tx = self._attempt(ok, self.escrow.disputeRejection, self.batch, task, {"from": w, "value": R})
        if tx is not None:
            sub["state"] = DISPUTED
            sub["deadline"] = tx.events["RejectionDisputed"]["rulingDeadline"]

    def rule_finalize_rejection(self, st_pick: int) -> None:
        self._step()
        picked = self._pick_or_submit((REJECTED,), st_pick)
        if picked is None:
            return
        (task, w), sub = picked
        before = self._before(sub["deadline"])
        ok = None if before is None else not before
        tx = self._attempt(ok, self.escrow.finalizeRejection, self.batch, task, w, {"from": self.arbiter})
        if tx is not None:
            sub["state"] = UPHELD
            self._release()
            self._credit(self.requester, 2 * R)

    def rule_arbiter_rules(self, st_pick: int, st_flag: bool) -> None:
        self._step()
        picked = self._pick_or_submit((DISPUTED,), st_pick)
        if picked is None:
            return
        (task, w), sub = picked
        ok = self._before(sub["deadline"])
        tx = self._attempt(ok, self.escrow.ruleDispute, self.batch, task, w, st_flag, {"from": self.arbiter})
        if tx is None:
            return
        self._credit(self.arbiter, FEE)
        if st_flag:
            sub["state"] = APPROVED
            self._credit(w, R + R + 2 * R - FEE)
            self.approved_rewards[w] += R
        else:
            sub["state"] = UPHELD
            self._release()
            self._credit(self.requester, 2 * R + R - FEE)

    def rule_settle_expired_dispute(self, st_pick: int) -> None:
        self._step()
        picked = self._pick_or_submit((DISPUTED,), st_pick)
        if picked is None:
            return
        (task, w), sub = picked
        before = self._before(sub["deadline"])
        ok = None if before is None else not before
        tx = self._attempt(ok, self.escrow.settleExpiredDispute, self.batch, task, w, {"from": self.requester})
        if tx is not None:
            sub["state"] = APPROVED
            self._credit(w, R + R)
            self._credit(self.requester, 2 * R)
            self.approved_rewards[w] += R

    # ------------------------------------------------------------ time, money out, closing

    def rule_sleep(self, st_seconds: int) -> None:
        self._step()
        chain.sleep(st_seconds)
        chain.mine()

    def rule_withdraw(self, st_party: int) -> None:
        self._step()
        who = [self.requester, *self.workers, self.arbiter][st_party]
        owed = self.credits.get(str(who), 0)
        tx = self._attempt(owed > 0, self.escrow.withdraw, ETH, {"from": who})
        if tx is not None:
            assert tx.events["Withdrawn"]["amount"] == owed
            self.credits[str(who)] = 0
            self.withdrawn[str(who)] = self.withdrawn.get(str(who), 0) + owed

    def rule_close(self) -> None:
        self._step()
        before = self._before(self.closes_at)
        ok = None if before is None else (not before and not self.closed)
        if self.closed:
            ok = False
        tx = self._attempt(ok, self.escrow.closeBatch, self.batch, {"from": self.requester})
        if tx is not None:
            assert tx.return_value == self.available
            self.reclaimed = self.available
            self.available = 0
            self.closed = True

    # ------------------------------------------------------------ invariants

    def invariant_escrow_holds_exactly_what_is_owed(self) -> None:
        reserved = sum(R for s in self.subs.values() if s["state"] in OPEN_STATES)
        bonds = sum(2 * R for s in self.subs.values() if s["state"] in (REJECTED, DISPUTED))
        bonds += sum(R for s in self.subs.values() if s["state"] == DISPUTED)
        owed = self.available + reserved + bonds + sum(self.credits.values())
        assert self.escrow.balance() - self.base_balance == owed

    def invariant_contract_matches_model(self) -> None:
        batch = self.escrow.getBatch(self.batch)
        assert batch["available"] == self.available
        assert batch["state"] == (2 if self.closed else 1)
        for who, amount in self.credits.items():
            assert self.escrow.withdrawable(ETH, who) == amount
        for w, amount in self.redeemed.items():
            assert self.escrow.redeemed(self.batch, w) == amount

    def invariant_nobody_paid_beyond_vouchers_and_approvals(self) -> None:
        for w in self.redeemed:
            latest = self.vouchers[w][-1][0] if self.vouchers[w] else 0
            assert self.redeemed[w] <= latest
            approved = sum(1 for (_, who), s in self.subs.items() if who == w and s["state"] == APPROVED)
            assert self.approved_rewards[w] == approved * R

    def invariant_requester_never_takes_a_workers_due(self) -> None:
        paid_out = sum(self.redeemed.values())
        reserved_or_approved = sum(R for s in self.subs.values() if s["state"] in (*OPEN_STATES, APPROVED))
        assert self.reclaimed + paid_out + reserved_or_approved + self.available <= TOTAL


def test_microtask_stateful(state_machine, escrow, requester, workers, arbiter, keys, tasks):
    counters.update(steps=0, examples=0, reverts_expected=0, calls_ok=0)
    violations = 0
    try:
        # Hypothesis ends many runs before `stateful_step_count` (its first examples are the
        # simplest), so run rounds until the step budget is spent.
        while counters["steps"] < STEP_BUDGET:
            state_machine(
                MicrotaskMachine,
                escrow,
                requester,
                workers,
                arbiter,
                keys[0],
                tasks,
                settings={
                    "max_examples": MAX_EXAMPLES,
                    "stateful_step_count": STATEFUL_STEP_COUNT,
                    "suppress_health_check": SUPPRESSED_HEALTH_CHECKS,
                },
            )
    except AssertionError:
        violations = 1
        raise
    finally:
        record_results(
            "fuzz",
            "microtask",
            {
                "steps": counters["steps"],
                "violations": violations,
                "examples": counters["examples"],
                "step_budget": STEP_BUDGET,
                "stateful_step_count": STATEFUL_STEP_COUNT,
                "successful_calls": counters["calls_ok"],
                "expected_reverts": counters["reverts_expected"],
            },
        )
