"""`bounty`: Crowdbounty from a terminal. Subcommands by noun; every read command has `--json`;
every error is one red line with the fix, and an exit code (client.errors)."""

from typing import Annotated, Any

import typer
from rich.table import Table
from typer._click.core import Context as ClickContext  # typer 0.29 vendors Click
from typer.core import TyperGroup

from backend.errors import CrowdbountyError
from client import challenges
from client.amounts import format_amount
from client.chain import ZERO_ADDRESS
from client.commands import batches, challenge, team, wallet
from client.commands.options import AccountOption, JsonOption, app_context
from client.context import AppContext
from client.errors import describe


class _ErrorMappingGroup(TyperGroup):
    """The root group: the one place where errors become a line on stderr and an exit code."""

    def invoke(self, ctx: ClickContext) -> Any:
        try:
            return super().invoke(ctx)
        except CrowdbountyError as error:
            message, code = describe(error)
            context = ctx.find_object(AppContext)
            console = context.progress_console if context else AppContext().progress_console
            console.print(f"[bold red]error:[/bold red] {message}", highlight=False, soft_wrap=True)
            raise typer.Exit(code) from None
        finally:
            context = ctx.find_object(AppContext)
            if context is not None:
                context.close()


app = typer.Typer(
    cls=_ErrorMappingGroup,
    no_args_is_help=True,
    help="Crowdbounty from a terminal: challenges (seekers, solvers) and micro-tasks (requesters, workers).",
    pretty_exceptions_enable=False,
)
app.add_typer(wallet.app, name="wallet")
app.add_typer(challenge.app, name="challenge")
app.add_typer(team.app, name="team")
app.add_typer(batches.app, name="batch")
app.add_typer(batches.worker_app, name="work")


@app.callback()
def root(ctx: typer.Context) -> None:
    """Settings come from CROWDBOUNTY_* variables; contracts from the deployments file."""
    ctx.obj = AppContext()


@app.command()
def network(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """The chain, contracts and services this client uses."""
    context = app_context(ctx)
    net = context.network
    data = {
        "rpc_url": context.settings.rpc_url,
        "chain_id": net.chain_id,
        "block": int(net.w3.eth.block_number),
        "chain_time": net.now(),
        "contracts": {name: c.address for name, c in net.deployments.contracts.items()},
        "ipfs_api_url": context.settings.ipfs_api_url,
        "backend_url": context.client_settings.backend_url,
    }

    def render() -> None:
        table = Table(show_header=False)
        for key, value in data.items():
            table.add_row(
                key, "\n".join(f"{k}: {v}" for k, v in value.items()) if isinstance(value, dict) else str(value)
            )
        context.console.print(table)

    context.emit(as_json, data, render)


@app.command()
def balance(ctx: typer.Context, account: AccountOption, token: str = ZERO_ADDRESS, as_json: JsonOption = False) -> None:
    """The account's balance, and what the escrows hold for it (withdrawable)."""
    context = app_context(ctx)
    net = context.network
    signer = context.account(account)
    symbol, decimals = net.token_info(token)
    held = net.balance(signer.address, token)
    credited = challenges.withdrawable(net, signer.address, token)
    awards = challenges.held_awards(net, signer.address, token)
    data = {
        "address": signer.address,
        "token": token,
        "balance": str(held),
        "withdrawable": {k: str(v) for k, v in credited.items()},
        "held_awards": {str(k): str(v) for k, v in awards.items()},
    }

    def render() -> None:
        context.console.print(f"{signer.address}: {format_amount(held, decimals, symbol)}")
        for name, amount in credited.items():
            context.console.print(f"  withdrawable from {name}: {format_amount(amount, decimals, symbol)}")
        for challenge_id, amount in awards.items():
            context.console.print(
                f"  award held in challenge {challenge_id}: {format_amount(amount, decimals, symbol)}"
            )

    context.emit(as_json, data, render)


@app.command()
def withdraw(
    ctx: typer.Context,
    account: AccountOption,
    token: Annotated[str, typer.Option(help="Token address; ETH by default.")] = ZERO_ADDRESS,
) -> None:
    """Withdraw everything owed to you (awards, shares, refunds, payouts) from both escrows."""
    context = app_context(ctx)
    net = context.network
    signer = context.account(account)
    symbol, decimals = net.token_info(token)
    paid = challenges.withdraw(net, signer, token)
    for name, amount in paid.items():
        context.console.print(f"withdrew {format_amount(amount, decimals, symbol)} from {name}")
