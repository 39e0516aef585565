"""Options shared by the commands, and the context every command receives."""

from typing import Annotated

import typer

from client.context import AppContext

AccountOption = Annotated[
    str,
    typer.Option(
        "--account",
        "-a",
        envvar="CROWDBOUNTY_ACCOUNT",
        help="Wallet name, or dev:N for the dev chain's account N.",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
YesOption = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]


def app_context(ctx: typer.Context) -> AppContext:
    context = ctx.find_object(AppContext)
    assert context is not None, "the root callback creates the context"
    return context
