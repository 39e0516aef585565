"""`bounty team`: teams for a challenge (create, confirm, split proposals)."""

from typing import Annotated

import typer

from client import challenges
from client.commands.options import AccountOption, JsonOption, app_context

app = typer.Typer(no_args_is_help=True, help="Teams: a leader and 1-7 members who share a challenge's payout.")

RuleOption = Annotated[str, typer.Option(help="equal, or leader-half (half equally, half by --bps).")]
BpsOption = Annotated[
    list[int] | None,
    typer.Option("--bps", help="leader-half: basis points per member, leader first, summing to 10000."),
]


@app.command()
def create(
    ctx: typer.Context,
    *,
    challenge_id: int,
    account: AccountOption,
    member: Annotated[list[str], typer.Option(help="A member's address (repeat for each).")],
    rule: RuleOption = "equal",
    bps: BpsOption = None,
) -> None:
    """Form a team (you lead it; you and every member must have accepted the terms)."""
    context = app_context(ctx)
    team_id = challenges.create_team(
        context.network, context.account(account), challenge_id, members=member, rule=rule, bps=bps or []
    )
    context.console.print(f"team {team_id} created; each member confirms with `bounty team confirm {team_id}`")


@app.command()
def confirm(ctx: typer.Context, team_id: int, account: AccountOption) -> None:
    """Confirm your membership of a team."""
    context = app_context(ctx)
    challenges.team_call(context.network, context.account(account), "confirm membership", "confirmMembership", team_id)
    context.console.print(f"confirmed membership of team {team_id}")


@app.command("propose-split")
def propose_split(
    ctx: typer.Context, team_id: int, account: AccountOption, rule: RuleOption = "equal", bps: BpsOption = None
) -> None:
    """Propose a new payout split; it applies once every member approved it."""
    context = app_context(ctx)
    nonce = challenges.propose_split(context.network, context.account(account), team_id, rule, bps or [])
    context.console.print(f"split proposal {nonce}; members approve with `bounty team approve-split {team_id} {nonce}`")


@app.command("approve-split")
def approve_split(ctx: typer.Context, team_id: int, nonce: int, account: AccountOption) -> None:
    """Approve a split proposal."""
    context = app_context(ctx)
    challenges.team_call(context.network, context.account(account), "approve split", "approveSplit", team_id, nonce)
    context.console.print(f"approved split proposal {nonce} of team {team_id}")


@app.command()
def disband(ctx: typer.Context, team_id: int, account: AccountOption) -> None:
    """Disband a team that has not submitted (leader only)."""
    context = app_context(ctx)
    challenges.team_call(context.network, context.account(account), "disband team", "disbandTeam", team_id)
    context.console.print(f"team {team_id} disbanded")


@app.command()
def show(ctx: typer.Context, team_id: int, as_json: JsonOption = False) -> None:
    """A team's members, confirmation and split."""
    context = app_context(ctx)
    data = challenges.team_view(context.network, team_id)

    def render() -> None:
        state = "confirmed" if data["confirmed"] else "waiting for confirmations"
        context.console.print(f"team {team_id} (challenge {data['challenge_id']}), {state}")
        for index, address in enumerate(data["members"]):
            share = f" {data['leader_bps'][index]} bps" if data["leader_bps"] else ""
            context.console.print(f"  {'leader' if index == 0 else 'member'} {address}{share}")

    context.emit(as_json, data, render)
