"""`bounty batch` (requesters) and `bounty work` (workers): micro-task batches."""

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from client import api, microtasks
from client.amounts import parse_amount
from client.chain import human_time
from client.commands.options import AccountOption, JsonOption, app_context
from client.context import AppContext
from client.errors import InputError

app = typer.Typer(no_args_is_help=True, help="Micro-task batches, for requesters: create, review, pay, close.")
worker_app = typer.Typer(no_args_is_help=True, help="Micro-task work, for workers: find, claim, submit, get paid.")

BatchId = Annotated[int, typer.Argument(help="The batch's id.")]
TaskIndex = Annotated[int, typer.Argument(help="The task's index in the batch.")]


def _backend(context: AppContext) -> api.BackendClient:
    return api.BackendClient.from_context(context)


def _table(context: AppContext, rows: list[dict[str, Any]], columns: list[str]) -> None:
    table = Table(*columns)
    for row in rows:
        table.add_row(*(str(row.get(column, "")) for column in columns))
    context.console.print(table)


# -- requester ---------------------------------------------------------------------------------


@app.command()
def create(
    ctx: typer.Context,
    spec_file: Path,
    account: AccountOption,
    tasks: Annotated[Path, typer.Option(help="Task inputs: CSV (header row) or JSON Lines.")],
    as_json: JsonOption = False,
) -> None:
    """Publish a batch's metadata and task manifest (Merkle root of the tasks) and fund it."""
    context = app_context(ctx)
    spec = microtasks.load_batch_spec(spec_file)
    inputs = microtasks.load_tasks(tasks)
    requester = context.account(account)
    with context.status(f"publishing {len(inputs)} tasks and funding the batch"):
        created = microtasks.create_batch(context.network, context.ipfs, requester, spec, inputs)
    data = {
        "id": created.batch_id,
        "manifest_cid": created.manifest_cid,
        "metadata_cid": created.metadata_cid,
        "escrowed": str(created.escrowed),
    }
    context.emit(
        as_json, data, lambda: context.console.print(f"batch {created.batch_id} funded with {len(inputs)} tasks")
    )


@app.command()
def show(ctx: typer.Context, batch_id: BatchId, as_json: JsonOption = False) -> None:
    """A batch's terms and escrow, from the chain."""
    context = app_context(ctx)
    view = microtasks.load_batch(context.network, batch_id)

    def render() -> None:
        console = context.console
        console.print(
            f"batch {batch_id} ({view.state}) by {view.requester}: {view.task_count} tasks at {view.amount(view.reward)}"
        )
        console.print(f"escrow left {view.amount(view.available)}; work until {human_time(view.expiry)}")
        console.print(f"arbiter {view.arbiter}; manifest {view.manifest_cid}")

    context.emit(as_json, view.as_json(), render)


@app.command("list")
def list_(ctx: typer.Context, state: str | None = None, as_json: JsonOption = False) -> None:
    """Batches as the backend indexed them."""
    context = app_context(ctx)
    items = _backend(context).batches(state=state)
    context.emit(
        as_json, items, lambda: _table(context, items, ["batch_id", "requester", "reward", "task_count", "state"])
    )


@app.command()
def results(ctx: typer.Context, batch_id: BatchId, status: str | None = None, as_json: JsonOption = False) -> None:
    """The batch's results waiting for review (or with --status approved|rejected)."""
    context = app_context(ctx)
    items = _backend(context).results(batch_id, status)
    context.emit(as_json, items, lambda: _table(context, items, ["task_index", "worker", "status", "result_cid"]))


@app.command()
def review(
    ctx: typer.Context,
    batch_id: BatchId,
    account: AccountOption,
    file: Annotated[Path | None, typer.Option(help="Reviews as JSON Lines; asked one by one otherwise.")] = None,
) -> None:
    """Approve (with an optional bonus) or reject (with a reason) pending results."""
    context = app_context(ctx)
    requester = context.account(account)
    view = microtasks.load_batch(context.network, batch_id)
    backend = _backend(context)
    if file is not None:
        decisions = microtasks.load_reviews(file, view.decimals, view.symbol)
    else:
        decisions = []
        for result in backend.results(batch_id, "pending"):
            context.console.print(f"task {result['task_index']} by {result['worker']}: {result['result_cid']}")
            answer = typer.prompt("approve, reject or skip", default="approve", err=True)
            if answer == "skip":
                continue
            approved = answer == "approve"
            reason = "" if approved else str(typer.prompt("reason", err=True))
            decisions.append(microtasks.Review(int(result["task_index"]), str(result["worker"]), approved, reason))
    for decision in decisions:
        backend.review(batch_id, microtasks.review_body(context.network, requester, batch_id, decision))
        verdict = "approved" if decision.approved else f"rejected ({decision.reason})"
        context.console.print(f"task {decision.task_index} of {decision.worker}: {verdict}")


@app.command()
def pay(
    ctx: typer.Context,
    *,
    batch_id: BatchId,
    worker: str,
    cumulative: Annotated[str, typer.Argument(help="Everything owed to the worker from this batch so far.")],
    account: AccountOption,
    sign_only: Annotated[bool, typer.Option(help="Only sign and print the voucher; deliver it yourself.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Sign a cumulative voucher for a worker and hand it to the backend (or print it)."""
    context = app_context(ctx)
    view = microtasks.load_batch(context.network, batch_id)
    amount = parse_amount(cumulative, view.decimals, view.symbol)
    voucher = microtasks.sign_voucher(context.network, context.account(account), batch_id, worker, amount)
    if not sign_only:
        body = {k: voucher[k] for k in ("worker", "cumulative_amount", "signature", "chain_id")}
        _backend(context).issue_voucher(batch_id, {**body, "verifying_contract": voucher["escrow"]})
    context.emit(as_json, voucher, lambda: context.console.print(f"voucher of {view.amount(amount)} for {worker}"))


@app.command()
def approve(ctx: typer.Context, batch_id: BatchId, task_index: TaskIndex, worker: str, account: AccountOption) -> None:
    """Approve a result posted on chain (the slow path)."""
    context = app_context(ctx)
    microtasks.result_call(
        context.network, context.account(account), "approveResult", batch_id, task_index=task_index, worker=worker
    )
    context.console.print(f"approved task {task_index} of {worker} on chain")


@app.command()
def reject(
    ctx: typer.Context, *, batch_id: BatchId, task_index: TaskIndex, worker: str, reason: str, account: AccountOption
) -> None:
    """Reject a result posted on chain; with an arbiter, posts the bond (2 rewards)."""
    context = app_context(ctx)
    microtasks.reject_result(
        context.network, context.account(account), batch_id, task_index=task_index, worker=worker, reason=reason
    )
    context.console.print(f"rejected task {task_index} of {worker} on chain")


@app.command()
def rule(
    ctx: typer.Context,
    *,
    batch_id: BatchId,
    task_index: TaskIndex,
    worker: str,
    account: AccountOption,
    worker_wins: Annotated[bool, typer.Option("--worker-wins/--requester-wins")],
) -> None:
    """Rule on a disputed rejection (the batch's arbiter)."""
    context = app_context(ctx)
    microtasks.result_call(
        context.network,
        context.account(account),
        "ruleDispute",
        batch_id,
        task_index=task_index,
        worker=worker,
        extra=(worker_wins,),
    )
    context.console.print(f"ruled for the {'worker' if worker_wins else 'requester'}")


@app.command()
def close(ctx: typer.Context, batch_id: BatchId, account: AccountOption) -> None:
    """Close a batch after expiry + 7 days and reclaim what was neither paid nor reserved."""
    context = app_context(ctx)
    view = microtasks.load_batch(context.network, batch_id)
    reclaimed = microtasks.close_batch(context.network, context.account(account), batch_id)
    context.console.print(f"batch {batch_id} closed; {view.amount(reclaimed)} back to the requester")


# -- worker ------------------------------------------------------------------------------------


@worker_app.command()
def find(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Open batches to work on."""
    context = app_context(ctx)
    items = _backend(context).batches(state="open")
    context.emit(as_json, items, lambda: _table(context, items, ["batch_id", "reward", "task_count", "expiry"]))


@worker_app.command()
def tasks(ctx: typer.Context, batch_id: BatchId, as_json: JsonOption = False) -> None:
    """A batch's tasks and whether they are open."""
    context = app_context(ctx)
    items = _backend(context).tasks(batch_id)
    context.emit(as_json, items, lambda: _table(context, items, ["task_index", "status", "input"]))


@worker_app.command()
def claim(
    ctx: typer.Context, batch_id: BatchId, task_index: TaskIndex, account: AccountOption, as_json: JsonOption = False
) -> None:
    """Claim a task (a signed message to the backend)."""
    context = app_context(ctx)
    body = microtasks.claim_body(context.network, context.account(account), batch_id, task_index)
    claimed = _backend(context).claim(batch_id, body)
    context.emit(
        as_json,
        claimed,
        lambda: context.console.print(f"task {task_index} is yours until {human_time(int(claimed['expires_at']))}"),
    )


@worker_app.command()
def submit(ctx: typer.Context, batch_id: BatchId, task_index: TaskIndex, result: Path, account: AccountOption) -> None:
    """Upload a result to IPFS and submit it (signed) to the backend for review."""
    context = app_context(ctx)
    worker = context.account(account)
    digest = microtasks.result_hash(result)
    cid = str(context.ipfs.add_file(result).cid)
    body = microtasks.result_body(
        context.network, worker, batch_id, task_index=task_index, result_cid=cid, digest=digest
    )
    _backend(context).submit_result(batch_id, body)
    context.console.print(f"result for task {task_index} submitted ({cid})")


@worker_app.command()
def vouchers(ctx: typer.Context, account: AccountOption, as_json: JsonOption = False) -> None:
    """Your latest vouchers per batch and what is left to redeem."""
    context = app_context(ctx)
    items = _backend(context).worker_vouchers(context.account(account).address)
    context.emit(
        as_json, items, lambda: _table(context, items, ["batch_id", "cumulative_amount", "redeemed", "redeemable"])
    )


@worker_app.command()
def redeem(
    ctx: typer.Context,
    account: AccountOption,
    voucher_file: Annotated[Path | None, typer.Option(help="A voucher as JSON; from the backend otherwise.")] = None,
) -> None:
    """Redeem vouchers on chain: the one in --voucher-file, or every redeemable one the backend holds."""
    context = app_context(ctx)
    signer = context.account(account)
    if voucher_file is not None:
        try:
            found = [json.loads(voucher_file.read_text())]
        except (OSError, ValueError) as error:
            raise InputError(f"cannot read the voucher {voucher_file}: {error}") from error
    else:
        found = [v for v in _backend(context).worker_vouchers(signer.address) if int(v["redeemable"]) > 0]
    if not found:
        context.console.print("nothing to redeem")
    for voucher in found:
        paid = microtasks.redeem_voucher(context.network, signer, voucher)
        view = microtasks.load_batch(context.network, int(voucher["batch_id"]))
        context.console.print(f"batch {voucher['batch_id']}: {view.amount(paid)} paid to {voucher['worker']}")


@worker_app.command()
def post(ctx: typer.Context, batch_id: BatchId, task_index: TaskIndex, result: Path, account: AccountOption) -> None:
    """Post a result on chain (the slow path, when the requester neither pays nor answers)."""
    context = app_context(ctx)
    deadline = microtasks.post_result(
        context.network, context.ipfs, context.account(account), batch_id, task_index=task_index, result=result
    )
    context.console.print(
        f"posted; if the requester does not answer by {human_time(deadline)}, run `bounty work auto-approve`"
    )


def _timed_exit(
    ctx: typer.Context, *, function: str, batch_id: int, task_index: int, account: str, worker: str | None
) -> None:
    context = app_context(ctx)
    signer = context.account(account)
    target = worker or signer.address
    microtasks.result_call(context.network, signer, function, batch_id, task_index=task_index, worker=target)
    state = microtasks.submission_state(context.network, batch_id, task_index, target)
    context.console.print(f"task {task_index} of {target}: {state}")


WorkerOption = Annotated[str | None, typer.Option(help="Whose result; yours by default.")]


@worker_app.command("auto-approve")
def auto_approve(
    ctx: typer.Context, batch_id: BatchId, task_index: TaskIndex, account: AccountOption, worker: WorkerOption = None
) -> None:
    """Approve an on-chain result the requester left unanswered past its review window."""
    _timed_exit(
        ctx, function="autoApproveResult", batch_id=batch_id, task_index=task_index, account=account, worker=worker
    )


@worker_app.command()
def dispute(ctx: typer.Context, batch_id: BatchId, task_index: TaskIndex, account: AccountOption) -> None:
    """Dispute a rejection of your on-chain result (posts the bond: 1 reward)."""
    context = app_context(ctx)
    microtasks.dispute_rejection(context.network, context.account(account), batch_id, task_index)
    context.console.print(f"disputed the rejection of task {task_index}; the arbiter rules within 7 days")


@worker_app.command("settle-dispute")
def settle_dispute(
    ctx: typer.Context, batch_id: BatchId, task_index: TaskIndex, account: AccountOption, worker: WorkerOption = None
) -> None:
    """After the arbiter stayed silent 7 days: the worker is paid and both bonds return."""
    _timed_exit(
        ctx, function="settleExpiredDispute", batch_id=batch_id, task_index=task_index, account=account, worker=worker
    )


@worker_app.command()
def status(
    ctx: typer.Context, batch_id: BatchId, task_index: TaskIndex, worker: str, as_json: JsonOption = False
) -> None:
    """The state of an on-chain result."""
    context = app_context(ctx)
    state = microtasks.submission_state(context.network, batch_id, task_index, worker)
    context.emit(as_json, {"state": state}, lambda: context.console.print(state))
