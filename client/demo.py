"""`make demo`: the platform end to end on the `make up` stack, every role scripted.

Challenge: a seeker creates and funds an ideation challenge with two prizes; a solver and a
team of two (leader-half split) accept the terms and submit encrypted files; the seeker
decrypts them, verifies the authors and awards both prizes; the winners withdraw.
Micro-tasks: a requester funds a batch of 100 tasks; three workers claim and answer them
through the backend; the requester reviews them there and rejects one, which its worker
posts on chain, where it is rejected with a bond, disputed and won before the arbiter;
everyone is paid by cumulative vouchers issued through the backend and redeemed on chain.

It prints every party's balance before and after and the gas of every step, and exits
non-zero if any balance moved by other than what the rules say. Deadlines are reached by
moving the dev chain's clock forward (`evm_increaseTime`), so it runs only on the dev chain.
"""

import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from eth_account.signers.local import LocalAccount
from rich.console import Console
from rich.table import Table

from backend.core.config import Settings
from backend.errors import CrowdbountyError
from backend.services.storage.ipfs import IpfsClient
from backend.services.storage.queue import UploadQueue
from client import challenges, microtasks
from client.amounts import format_amount
from client.api import BackendClient
from client.chain import ZERO_ADDRESS, Network
from client.errors import ClientError, RefusedError, UnavailableError, VerificationError, describe
from client.settings import ClientSettings
from client.wallets import dev_account
from devstack.settings import DEV_CHAIN_ID

ETH = 10**18
PRIZES = (6 * ETH // 10, 4 * ETH // 10)  # slot 0 to the team, slot 1 to the solo solver
TEAM_BPS = (6000, 4000)
REWARD = 10**15
TASKS = 100
WORKER_TASKS = (range(0, 34), range(34, 67), range(67, 100))
DISPUTED_TASK = 99  # done by the third worker, rejected, disputed and won
ARBITER_FEE = REWARD // 2  # MicrotaskEscrow.ARBITER_FEE_BPS = 50 %


@dataclass(frozen=True)
class Party:
    role: str
    account: LocalAccount


ADVANCE_ATTEMPTS = 5


def _advance(network: Network, seconds: int) -> None:
    if network.chain_id != DEV_CHAIN_ID:
        raise ClientError(f"the demo moves the clock of the dev chain ({DEV_CHAIN_ID}) only", "run it on `make up`")
    # A restarted Ganache's clock can lag behind the blocks it kept (their time was moved on
    # before the restart), so the clock moves until the chain's own time has passed the target.
    target = network.now() + seconds
    shortfall = seconds
    for _ in range(ADVANCE_ATTEMPTS):
        network.w3.provider.make_request("evm_increaseTime", [shortfall])  # type: ignore[arg-type]
        network.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
        shortfall = target - network.now()
        if shortfall <= 0:
            return
    raise ClientError(
        f"the dev chain's clock did not move {seconds} s forward", "restart it with `make down && make up`"
    )


def _write_challenge(folder: Path) -> Path:
    (folder / "agreement.md").write_text("# Agreement\n\nWinners assign their IP to the seeker.\n")
    spec = folder / "challenge.md"
    spec.write_text(
        "---\n"
        "title: Keep vaccines cold without power\n"
        "kind: ideation\n"
        f"prizes: ['{format_amount(PRIZES[0], 18, '').strip()}', '{format_amount(PRIZES[1], 18, '').strip()}']\n"
        "submission_deadline: +1d\n"
        "evaluation_deadline: +7d\n"
        "agreement: agreement.md\n"
        "tags: [health, cold-chain]\n"
        "---\nIdeas for a cold box that keeps 2-8 °C for five days off the grid.\n"
    )
    return spec


def _challenge_part(
    network: Network, ipfs: IpfsClient, queue: UploadQueue, folder: Path, p: dict[str, Party]
) -> dict[str, int]:
    seeker, solver, leader, member = (p[r].account for r in ("seeker", "solver", "leader", "member"))
    created = challenges.create_challenge(network, ipfs, seeker, challenges.load_spec(_write_challenge(folder)))
    challenge_id = created.challenge_id
    view = challenges.load_challenge(network, challenge_id)
    for account in (solver, leader, member):
        challenges.agreement_of(ipfs, view)
        challenges.accept_terms(network, account, view)
    team_id = challenges.create_team(
        network, leader, challenge_id, members=[member.address], rule="leader-half", bps=list(TEAM_BPS)
    )
    challenges.team_call(network, member, "confirm membership", "confirmMembership", team_id)
    for account, text in (
        (solver, "Evaporative clay pot inside a reflective shell."),
        (leader, "Phase-change pack, 5 days at 4 °C."),
    ):
        entry = folder / f"idea-{account.address[:8]}.md"
        entry.write_text(text + "\n")
        challenges.submit(network, ipfs, queue, account, challenge_id, paths=[entry])
    _advance(network, 86_400 + 60)
    opened = challenges.open_submissions(network, ipfs, seeker, challenge_id, folder / "opened")
    authors = {o.opened.header.author for o in opened if o.opened is not None}
    if authors != {solver.address, leader.address}:
        raise VerificationError(f"decrypted authors {sorted(authors)} are not the two entrants")
    challenges.award(network, seeker, challenge_id, leader.address, slot=0, amount_text=None)
    challenges.award(network, seeker, challenge_id, solver.address, slot=1, amount_text=None)
    challenges.simple(network, seeker, "close evaluation", "closeEvaluation", challenge_id)
    for account in (solver, leader, member):
        challenges.withdraw(network, account, ZERO_ADDRESS)
    equal_half = PRIZES[0] // 2 // 2
    member_share = equal_half + (PRIZES[0] - PRIZES[0] // 2) * TEAM_BPS[1] // 10_000
    return {
        seeker.address: -sum(PRIZES),
        solver.address: PRIZES[1],
        member.address: member_share,
        leader.address: PRIZES[0] - member_share,
    }


def _indexed_batch(backend: BackendClient, batch_id: int, timeout_s: float = 60.0) -> None:
    """Wait until the backend's indexer has the batch and its verified manifest."""
    give_up = time.monotonic() + timeout_s
    while time.monotonic() < give_up:
        try:
            if backend.batch(batch_id).get("manifest_status") == "verified":
                return
        except RefusedError:  # 404 until the indexer reaches the funding block
            pass
        time.sleep(0.5)
    raise UnavailableError(
        f"the backend has not indexed batch {batch_id} in {timeout_s:.0f} s", "is the indexer running? `make status`"
    )


def _microtask_part(
    network: Network, ipfs: IpfsClient, backend: BackendClient, folder: Path, p: dict[str, Party]
) -> dict[str, int]:
    requester, arbiter = p["requester"].account, p["arbiter"].account
    workers = [p[f"worker {i}"].account for i in (1, 2, 3)]
    spec = folder / "batch.yaml"
    spec.write_text(
        "title: Is there a cold box in the picture?\n"
        "instructions: Answer yes or no.\n"
        f"reward: '{format_amount(REWARD, 18, '').strip()}'\n"
        "expiry: +10d\nreview_window: 2d\nassignment_duration: 1h\n"
        f"arbiter: '{arbiter.address}'\n"
    )
    inputs = [{"image": f"photo-{i:03}.jpg"} for i in range(TASKS)]
    batch_id = microtasks.create_batch(network, ipfs, requester, microtasks.load_batch_spec(spec), inputs).batch_id
    _indexed_batch(backend, batch_id)
    # The fast path: every worker claims and answers its tasks through the backend (signed messages).
    for worker, indices in zip(workers, WORKER_TASKS, strict=True):
        for index in indices:
            answer = folder / f"answer-{index}.txt"
            answer.write_text("no\n" if index != DISPUTED_TASK else "yes\n")
            cid = str(ipfs.add_file(answer).cid)
            backend.claim(batch_id, microtasks.claim_body(network, worker, batch_id, index))
            body = microtasks.result_body(
                network, worker, batch_id, task_index=index, result_cid=cid, digest=microtasks.result_hash(answer)
            )
            backend.submit_result(batch_id, body)
    # The requester reviews the queue: every answer approved but one; one voucher per worker.
    earned: dict[str, int] = {str(w.address): 0 for w in workers}
    for result in backend.results(batch_id, "pending"):
        index, worker_address = int(result["task_index"]), str(result["worker"])
        approved = index != DISPUTED_TASK
        review = microtasks.Review(index, worker_address, approved, "" if approved else "the photo shows a fridge")
        backend.review(batch_id, microtasks.review_body(network, requester, batch_id, review))
        earned[worker_address] += REWARD if approved else 0
    for worker in workers:
        voucher = microtasks.sign_voucher(network, requester, batch_id, worker.address, earned[worker.address])
        body = {k: voucher[k] for k in ("worker", "cumulative_amount", "signature", "chain_id")}
        backend.issue_voucher(batch_id, {**body, "verifying_contract": voucher["escrow"]})
    for worker in workers:  # each worker redeems what the backend holds for it
        for held in backend.worker_vouchers(worker.address):
            if int(held["batch_id"]) == batch_id and int(held["redeemable"]) > 0:
                microtasks.redeem_voucher(network, worker, held)
    # The rejected worker disagrees: the result goes on chain, is rejected with a bond, disputed, and won.
    disputer = workers[2]
    answer = folder / f"answer-{DISPUTED_TASK}.txt"
    microtasks.post_result(network, ipfs, disputer, batch_id, task_index=DISPUTED_TASK, result=answer)
    microtasks.reject_result(
        network,
        requester,
        batch_id,
        task_index=DISPUTED_TASK,
        worker=disputer.address,
        reason="the photo shows a fridge",
    )
    microtasks.dispute_rejection(network, disputer, batch_id, DISPUTED_TASK)
    microtasks.result_call(
        network, arbiter, "ruleDispute", batch_id, task_index=DISPUTED_TASK, worker=disputer.address, extra=(True,)
    )
    for account in (disputer, arbiter):
        challenges.withdraw(network, account, ZERO_ADDRESS)
    won = REWARD + 2 * REWARD - ARBITER_FEE  # reward + requester's bond less the fee; own bond back
    expected: dict[str, int] = dict(earned)
    expected[disputer.address] += won
    expected[requester.address] = -(REWARD * TASKS) - 2 * REWARD
    expected[arbiter.address] = ARBITER_FEE
    return expected


def run(settings: Settings, client_settings: ClientSettings, console: Console) -> bool:
    network = Network.connect(settings, client_settings)
    parties = {
        role: Party(role, dev_account(index))
        for role, index in (
            ("seeker", 1), ("solver", 2), ("leader", 3), ("member", 4),
            ("requester", 5), ("worker 1", 6), ("arbiter", 7), ("worker 2", 8), ("worker 3", 9),
        )
    }  # fmt: skip
    before = {p.account.address: network.balance(p.account.address) for p in parties.values()}
    with IpfsClient.from_settings(settings) as ipfs, tempfile.TemporaryDirectory(prefix="bounty-demo-") as folder:
        queue = UploadQueue(Path(folder) / "queue", ipfs)
        with console.status("challenge: create, accept, team, encrypted submissions, decrypt, award, withdraw"):
            expected = _challenge_part(network, ipfs, queue, Path(folder), parties)
        with console.status("micro-tasks: 100 tasks worked through the backend, vouchers, a disputed rejection"):
            backend = BackendClient(client_settings.backend_url, client_settings.backend_timeout_s)
            for address, amount in _microtask_part(network, ipfs, backend, Path(folder), parties).items():
                expected[address] = expected.get(address, 0) + amount
    gas_paid: dict[str, int] = {}
    for record in network.gas_log:
        gas_paid[record.sender] = gas_paid.get(record.sender, 0) + record.cost_wei
    balances = Table(
        "role", "address", "before", "after", "change", "gas paid", "expected (excl. gas)", "ok", title="Balances (ETH)"
    )
    all_ok = True
    for party in parties.values():
        address = party.account.address
        after = network.balance(address)
        change = after - before[address]
        ok = change + gas_paid.get(address, 0) == expected.get(address, 0)
        all_ok &= ok
        balances.add_row(
            party.role, address,
            format_amount(before[address], 18, ""), format_amount(after, 18, ""), format_amount(change, 18, ""),
            format_amount(gas_paid.get(address, 0), 18, ""), format_amount(expected.get(address, 0), 18, ""),
            "[green]yes[/green]" if ok else "[bold red]NO[/bold red]",
        )  # fmt: skip
    steps = Table("step", "sender", "gas", title="Gas per step")
    for record in network.gas_log:
        steps.add_row(record.label, record.sender, f"{record.gas_used:,}")
    console.print(steps)
    console.print(balances)
    console.print(
        "[green]demo passed[/green]" if all_ok else "[bold red]demo FAILED: a balance does not match[/bold red]"
    )
    return all_ok


def main() -> None:
    console = Console()
    try:
        passed = run(Settings(), ClientSettings(), console)
    except CrowdbountyError as error:
        message, code = describe(error)
        console.print(f"[bold red]error:[/bold red] {message}", highlight=False, soft_wrap=True)
        sys.exit(code)
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
