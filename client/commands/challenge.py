"""`bounty challenge`: what seekers and solvers do with a challenge."""

from pathlib import Path
from typing import Annotated

import typer
from rich.markdown import Markdown
from rich.table import Table

from client import api, challenges
from client.chain import human_time
from client.commands.options import AccountOption, JsonOption, YesOption, app_context
from client.errors import InputError, VerificationError

app = typer.Typer(no_args_is_help=True, help="Challenges: create, fund, enter, submit, evaluate, award.")

ChallengeId = Annotated[int, typer.Argument(help="The challenge's id.")]


@app.command()
def create(ctx: typer.Context, spec_file: Path, account: AccountOption, as_json: JsonOption = False) -> None:
    """Create and fund a challenge from a Markdown (YAML front matter) or YAML file."""
    context = app_context(ctx)
    spec = challenges.load_spec(spec_file)
    seeker = context.account(account)
    with context.status("publishing the agreement and metadata, creating the challenge"):
        created = challenges.create_challenge(context.network, context.ipfs, seeker, spec)
    data = {
        "id": created.challenge_id,
        "metadata_cid": created.metadata_cid,
        "agreement_cid": created.agreement_cid,
        "funded": str(created.funded),
        "tx": created.tx_hash,
    }
    context.emit(
        as_json, data, lambda: context.console.print(f"challenge {created.challenge_id} created ({created.tx_hash})")
    )


@app.command()
def show(ctx: typer.Context, challenge_id: ChallengeId, as_json: JsonOption = False) -> None:
    """A challenge: its terms and state on chain, and its verified metadata."""
    context = app_context(ctx)
    view = challenges.load_challenge(context.network, challenge_id)
    with context.status("fetching the metadata"):
        metadata = challenges.challenge_metadata(context.ipfs, view)
    data = {**view.as_json(), "metadata": metadata.model_dump(mode="json")}

    def render() -> None:
        console = context.console
        console.print(f"[bold]{metadata.title}[/bold] (challenge {challenge_id}, {view.kind}, {view.state})")
        console.print(f"prize {view.amount(view.funded)}, awarded {view.amount(view.awarded)}; seeker {view.seeker}")
        console.print(
            f"submissions until {human_time(view.submission_deadline)}, evaluation until {human_time(view.evaluation_deadline)}"
        )
        console.print(Markdown(metadata.description))

    context.emit(as_json, data, render)


@app.command("list")
def list_(
    ctx: typer.Context,
    search: Annotated[
        str | None, typer.Option("--search", "-q", help="Full-text search of title, description, tags.")
    ] = None,
    status: Annotated[str | None, typer.Option(help="open, cancelled or settled.")] = None,
    kind: Annotated[str | None, typer.Option(help="ideation, conditional or rfp.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Challenges as the backend indexed them, newest first."""
    context = app_context(ctx)
    items = api.BackendClient.from_context(context).challenges(q=search, status=status, type=kind)

    def render() -> None:
        table = Table("id", "title", "kind", "state", "submissions until")
        for item in items:
            table.add_row(
                str(item["challenge_id"]),
                str(item.get("title") or "(metadata not verified)"),
                str(item["kind"]),
                str(item["state"]),
                human_time(int(item["submission_deadline"])),
            )
        context.console.print(table)

    context.emit(as_json, items, render)


@app.command()
def fund(ctx: typer.Context, challenge_id: ChallengeId, amount: str, account: AccountOption) -> None:
    """Add to a challenge's top prize (anyone may); ERC-20 approval is handled."""
    context = app_context(ctx)
    added = challenges.fund(context.network, context.account(account), challenge_id, amount)
    view = challenges.load_challenge(context.network, challenge_id)
    context.console.print(f"added {view.amount(added)}; the prize is now {view.amount(view.funded)}")


@app.command()
def accept(ctx: typer.Context, challenge_id: ChallengeId, account: AccountOption, yes: YesOption = False) -> None:
    """Read and accept a challenge's agreement (checked against its on-chain hash)."""
    context = app_context(ctx)
    solver = context.account(account)
    view = challenges.load_challenge(context.network, challenge_id)
    with context.status("fetching the metadata and the agreement"):
        metadata, agreement = challenges.agreement_of(context.ipfs, view)
    if not yes:
        context.console.print(f"[bold]{metadata.title}[/bold]: agreement {metadata.agreement_cid}")
        context.console.print(Markdown(agreement.decode("utf-8", errors="replace")))
        typer.confirm("Accept these terms?", abort=True, err=True)
    challenges.accept_terms(context.network, solver, view)
    context.console.print(f"{solver.address} accepted the terms of challenge {challenge_id}")
    context.console.print(f"the project room is open to you: `bounty challenge room {challenge_id}`")


@app.command()
def submit(
    ctx: typer.Context,
    challenge_id: ChallengeId,
    files: Annotated[list[Path], typer.Argument(help="The files of the submission.")],
    account: AccountOption,
) -> None:
    """Encrypt files to the challenge key, sign, upload to IPFS and commit the CID on chain."""
    context = app_context(ctx)
    solver = context.account(account)
    with context.status(f"encrypting and uploading {len(files)} file(s)"):
        sealed = challenges.submit(
            context.network, context.ipfs, context.upload_queue, solver, challenge_id, paths=files
        )
    queued = " (queued: the IPFS node was down; it will be uploaded later)" if sealed.queued else ""
    context.console.print(f"submitted {sealed.cid} ({sealed.size} bytes){queued}")


@app.command()
def submissions(ctx: typer.Context, challenge_id: ChallengeId, as_json: JsonOption = False) -> None:
    """The submissions committed on chain."""
    context = app_context(ctx)
    found = challenges.submissions(context.network, challenge_id)
    data = [
        {"entrant": s.entrant, "team_id": s.team_id, "cid": s.cid, "submitted_at": s.submitted_at, "status": s.status}
        for s in found
    ]

    def render() -> None:
        table = Table("entrant", "team", "status", "submitted", "cid")
        for s in found:
            table.add_row(s.entrant, str(s.team_id or ""), s.status, human_time(s.submitted_at), s.cid)
        context.console.print(table)

    context.emit(as_json, data, render)


@app.command()
def decrypt(
    ctx: typer.Context,
    challenge_id: ChallengeId,
    account: AccountOption,
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder; one subfolder per entrant.")] = Path(
        "submissions"
    ),
    as_json: JsonOption = False,
) -> None:
    """Fetch, verify (author = committing entrant) and decrypt every submission (seeker)."""
    context = app_context(ctx)
    seeker = context.account(account)
    with context.status("fetching and decrypting") as status:
        results = challenges.open_submissions(
            context.network,
            context.ipfs,
            seeker,
            challenge_id,
            output,
            progress=lambda s: status.update(f"fetching and decrypting {s.entrant}'s submission"),
        )
    data = [
        {
            "entrant": r.submission.entrant,
            "cid": r.submission.cid,
            "verified": r.opened is not None,
            "author": r.opened.header.author if r.opened else None,
            "files": [str(p) for p in r.opened.paths] if r.opened else [],
            "problem": r.problem,
        }
        for r in results
    ]

    def render() -> None:
        for r in results:
            if r.opened is not None:
                context.console.print(
                    f"[green]verified[/green] {r.submission.entrant}: {', '.join(str(p) for p in r.opened.paths)}"
                )
            else:
                context.console.print(f"[red]REJECTED[/red] {r.submission.entrant}: {r.problem}")

    context.emit(as_json, data, render)
    failed = [r for r in results if r.opened is None]
    if failed:
        raise VerificationError(
            f"{len(failed)} of {len(results)} submission(s) failed verification", "see above; do not award them"
        )


@app.command()
def award(
    ctx: typer.Context,
    *,
    challenge_id: ChallengeId,
    entrant: str,
    account: AccountOption,
    slot: Annotated[int, typer.Option(help="Award slot (0 = top prize).")] = 0,
    amount: Annotated[str | None, typer.Option(help="Amount; all that remains of the slot by default.")] = None,
) -> None:
    """Award (part of) a prize slot to an entrant (seeker, in the evaluation phase)."""
    context = app_context(ctx)
    view = challenges.load_challenge(context.network, challenge_id)
    granted = challenges.award(
        context.network, context.account(account), challenge_id, entrant, slot=slot, amount_text=amount
    )
    context.console.print(f"awarded {view.amount(granted)} of slot {slot} to {entrant}")


@app.command()
def refuse(
    ctx: typer.Context,
    challenge_id: ChallengeId,
    entrant: str,
    account: AccountOption,
    prior_art: Annotated[
        Path | None, typer.Option(help="Prior knowledge: the prior-art file committed at creation (revealed).")
    ] = None,
) -> None:
    """Refuse a submission: criteria unmet (conditional), or prior knowledge (--prior-art)."""
    context = app_context(ctx)
    challenges.refuse(
        context.network, context.ipfs, context.account(account), challenge_id, entrant, prior_art=prior_art
    )
    reason = "prior knowledge" if prior_art else "criteria unmet"
    context.console.print(f"refused {entrant}'s submission ({reason})")


def _simple(ctx: typer.Context, account: str, label: str, function: str, *args: object) -> None:
    context = app_context(ctx)
    challenges.simple(context.network, context.account(account), label, function, *args)
    context.console.print(f"{label}: done")


@app.command()
def close(ctx: typer.Context, challenge_id: ChallengeId, account: AccountOption) -> None:
    """Close the evaluation once the prize is awarded (seeker)."""
    _simple(ctx, account, f"close challenge {challenge_id}", "closeEvaluation", challenge_id)


@app.command()
def settle(ctx: typer.Context, challenge_id: ChallengeId, account: AccountOption) -> None:
    """Settle a challenge after its evaluation deadline (anyone): the default split applies."""
    _simple(ctx, account, f"settle challenge {challenge_id}", "settle", challenge_id)


@app.command()
def cancel(ctx: typer.Context, challenge_id: ChallengeId, account: AccountOption) -> None:
    """Cancel a challenge nobody accepted yet (seeker); contributors then claim refunds."""
    _simple(ctx, account, f"cancel challenge {challenge_id}", "cancel", challenge_id)


@app.command()
def refund(
    ctx: typer.Context,
    challenge_id: ChallengeId,
    account: AccountOption,
    contributor: Annotated[str | None, typer.Option(help="Whose refund to credit; yours by default.")] = None,
) -> None:
    """Credit a contributor's refund of a cancelled or settled challenge (then `bounty withdraw`)."""
    context = app_context(ctx)
    signer = context.account(account)
    target = challenges.address(contributor, "contributor") if contributor else signer.address
    challenges.simple(context.network, signer, "claim refund", "claimRefund", challenge_id, target)
    context.console.print(f"refund of {target} credited; withdraw it with `bounty withdraw`")


@app.command("claim-share")
def claim_share(
    ctx: typer.Context,
    challenge_id: ChallengeId,
    account: AccountOption,
    entrant: Annotated[str | None, typer.Option(help="Whose share to credit; yours by default.")] = None,
) -> None:
    """Credit an entrant's share of the default split of a settled challenge."""
    context = app_context(ctx)
    signer = context.account(account)
    target = challenges.address(entrant, "entrant") if entrant else signer.address
    challenges.simple(context.network, signer, "claim share", "claimShare", challenge_id, target)
    context.console.print(f"share of {target} credited; withdraw it with `bounty withdraw`")


@app.command()
def room(
    ctx: typer.Context,
    challenge_id: ChallengeId,
    account: AccountOption,
    download: Annotated[Path | None, typer.Option(help="Folder to download every document into.")] = None,
    as_json: JsonOption = False,
) -> None:
    """The project room: documents for the seeker and the solvers who accepted the terms."""
    context = app_context(ctx)
    backend = api.BackendClient.from_context(context)
    backend.login(context.account(account))
    data = backend.room(challenge_id)
    saved = []
    if download is not None:
        download.mkdir(parents=True, exist_ok=True)
        for document in data["documents"]:
            # The name comes from the backend: keep only its last part, never a path.
            target = download / Path(str(document["filename"])).name
            target.write_bytes(backend.room_document(challenge_id, int(document["id"])))
            saved.append(str(target))

    def render() -> None:
        context.console.print(f"project room of challenge {challenge_id} (seeker {data['seeker']})")
        for document in data["documents"]:
            context.console.print(f"  {document['id']}: {document['filename']} ({document['size']} bytes)")
        for path in saved:
            context.console.print(f"  saved {path}")

    context.emit(as_json, {**data, "saved": saved}, render)


@app.command("room-add")
def room_add(ctx: typer.Context, challenge_id: ChallengeId, file: Path, account: AccountOption) -> None:
    """Add a document to the project room (seeker)."""
    context = app_context(ctx)
    if not file.is_file():
        raise InputError(f"{file} is not a file")
    backend = api.BackendClient.from_context(context)
    backend.login(context.account(account))
    added = backend.add_room_document(challenge_id, file)
    context.console.print(f"added {added['filename']} to the project room of challenge {challenge_id}")
