"""`bounty wallet`: encrypted keystores (new, import, list) and the dev accounts."""

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from client.commands.options import JsonOption, app_context
from client.errors import InputError
from client.wallets import DEV_ACCOUNT_COUNT, dev_account

app = typer.Typer(no_args_is_help=True, help="Encrypted wallets (keystore v3) and the dev chain's accounts.")


def _new_password(context_password: str | None) -> str:
    if context_password is not None:
        return context_password
    return str(typer.prompt("New password", hide_input=True, confirmation_prompt=True, err=True))


@app.command()
def new(ctx: typer.Context, name: str) -> None:
    """Create a wallet with a new random key, encrypted with a password."""
    context = app_context(ctx)
    preset = context.client_settings.wallet_password
    entry = context.wallets.create(name, _new_password(preset.get_secret_value() if preset else None))
    context.console.print(f"wallet {entry.name}: {entry.address} ({entry.path})")


@app.command("import")
def import_(
    ctx: typer.Context,
    name: str,
    key_file: Annotated[Path | None, typer.Option(help="File holding the private key in hex (else asked for).")] = None,
) -> None:
    """Import a private key into an encrypted wallet."""
    context = app_context(ctx)
    if key_file is not None:
        try:
            key = key_file.read_text()
        except OSError as error:
            raise InputError(f"cannot read {key_file}: {error.strerror}") from error
    else:
        key = str(typer.prompt("Private key (hex)", hide_input=True, err=True))
    preset = context.client_settings.wallet_password
    entry = context.wallets.import_key(name, key, _new_password(preset.get_secret_value() if preset else None))
    context.console.print(f"wallet {entry.name}: {entry.address} ({entry.path})")


@app.command("list")
def list_(
    ctx: typer.Context,
    dev: Annotated[bool, typer.Option(help="Also list the dev accounts.")] = False,
    as_json: JsonOption = False,
) -> None:
    """The wallets in the wallet folder (and the dev accounts with --dev)."""
    context = app_context(ctx)
    rows = [{"name": e.name, "address": e.address} for e in context.wallets.entries()]
    if dev:
        rows += [{"name": f"dev:{i}", "address": dev_account(i).address} for i in range(DEV_ACCOUNT_COUNT)]

    def render() -> None:
        table = Table("name", "address")
        for row in rows:
            table.add_row(row["name"], row["address"])
        context.console.print(table)

    context.emit(as_json, rows, render)
