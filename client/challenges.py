"""Challenges from the client's side: what seekers and solvers do, straight on the chain and
IPFS (the backend is only needed to list and search, see `client.api`)."""

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak
from multiformats import CID
from nacl.public import PrivateKey, PublicKey
from pydantic import ValidationError
from web3 import Web3
from web3.logs import DISCARD

from backend.services.storage.cid import file_cid
from backend.services.storage.envelope import EnvelopeContext, OpenedEnvelope
from backend.services.storage.envelope_store import SealedUpload, fetch_and_open, seal_and_upload
from backend.services.storage.errors import EnvelopeError
from backend.services.storage.ipfs import IpfsClient
from backend.services.storage.keys import derive_challenge_private_key
from backend.services.storage.metadata import ChallengeMetadata, fetch_metadata, publish_metadata
from backend.services.storage.queue import UploadQueue
from client.amounts import format_amount, parse_amount, parse_time
from client.chain import ZERO_ADDRESS, Network, human_time
from client.errors import InputError, RefusedError, VerificationError

KINDS = ("ideation", "conditional", "rfp")
STATES = ("none", "open", "cancelled", "settled")
ENTRY_STATUSES = ("none", "accepted", "submitted", "selected", "refused", "disputed", "overturned")
# Field positions in getEntry's and getChallenge's tuples (the structs' field order).
ENTRY_STATUS, ENTRY_AWARD_OWED = 2, 5
CHALLENGE_TOKEN = 5
SPLIT_RULES = ("equal", "leader-half")
CRITERIA_UNMET, PRIOR_KNOWLEDGE = 0, 1
_FRONT_MATTER = re.compile(r"^---\s*\n(?P<yaml>.*?)\n---\s*\n(?P<body>.*)$", re.DOTALL)
_PRIOR_ART_SALT_TEXT = "Crowdbounty prior-art salt v1\nChain ID: {chain}\nContract: {contract}\nChallenge: {challenge}"


# -- the challenge file ------------------------------------------------------------------------


@dataclass(frozen=True)
class ChallengeSpec:
    """A challenge as a seeker writes it: Markdown with YAML front matter, or plain YAML."""

    title: str
    kind: str
    description: str
    prizes: list[str]
    token: str
    submission_deadline: str
    evaluation_deadline: str
    agreement: Path
    category: str
    tags: list[str]
    arbiter: str
    licence_days: int
    prior_art: Path | None
    seeker_display_name: str | None


def read_spec_file(path: Path) -> tuple[dict[str, Any], str | None]:
    """The fields of a YAML file, or of Markdown's YAML front matter with the Markdown body."""
    try:
        text = path.read_text()
    except OSError as error:
        raise InputError(f"cannot read {path}: {error.strerror}") from error
    match = _FRONT_MATTER.match(text)
    try:
        fields = yaml.safe_load(match["yaml"] if match else text)
    except yaml.YAMLError as error:
        raise InputError(f"{path} is not valid YAML: {error}") from error
    if not isinstance(fields, dict):
        raise InputError(f"{path} holds no fields", "see docs/cli.md for the file format")
    return fields, match["body"].strip() if match else None


def load_spec(path: Path) -> ChallengeSpec:
    """Read a challenge file; relative paths in it (agreement, prior art) are relative to it."""
    fields, body = read_spec_file(path)
    description = body if body is not None else str(fields.get("description", ""))

    def need(name: str) -> Any:
        if name not in fields:
            raise InputError(f"{path}: the field {name!r} is missing", "see docs/cli.md for the challenge file")
        return fields[name]

    kind = str(fields.get("kind", "ideation")).lower()
    if kind not in KINDS:
        raise InputError(f"{path}: kind {kind!r} is not one of {', '.join(KINDS)}")
    prizes = fields.get("prizes", fields.get("prize", []))
    prizes = [str(p) for p in (prizes if isinstance(prizes, list) else [prizes])]
    prior_art = fields.get("prior_art")
    return ChallengeSpec(
        title=str(need("title")),
        kind=kind,
        description=description,
        prizes=prizes,
        token=str(fields.get("token", "ETH")),
        submission_deadline=str(need("submission_deadline")),
        evaluation_deadline=str(need("evaluation_deadline")),
        agreement=path.parent / str(need("agreement")),
        category=str(fields.get("category", "ideation" if kind == "ideation" else "other")),
        tags=[str(t) for t in fields.get("tags", [])],
        arbiter=str(fields.get("arbiter", ZERO_ADDRESS)),
        licence_days=int(fields.get("licence_days", 0)),
        prior_art=path.parent / str(prior_art) if prior_art else None,
        seeker_display_name=fields.get("seeker_display_name"),
    )


# -- reading a challenge -----------------------------------------------------------------------


@dataclass(frozen=True)
class ChallengeView:
    """A challenge as the chain holds it (state) and announced it (`ChallengeCreated` terms)."""

    challenge_id: int
    seeker: str
    state: str
    kind: str
    token: str
    symbol: str
    decimals: int
    funded: int
    awarded: int
    submission_deadline: int
    evaluation_deadline: int
    agreement_hash: bytes
    arbiter: str
    slot_amounts: list[int]
    metadata_cid: str
    metadata_hash: bytes
    public_key: bytes
    eligible_count: int
    terms_frozen: bool

    def amount(self, value: int) -> str:
        return format_amount(value, self.decimals, self.symbol)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.challenge_id,
            "seeker": self.seeker,
            "state": self.state,
            "kind": self.kind,
            "token": self.token,
            "symbol": self.symbol,
            "funded": str(self.funded),
            "awarded": str(self.awarded),
            "slot_amounts": [str(a) for a in self.slot_amounts],
            "submission_deadline": self.submission_deadline,
            "evaluation_deadline": self.evaluation_deadline,
            "agreement_hash": "0x" + self.agreement_hash.hex(),
            "arbiter": self.arbiter,
            "metadata_cid": self.metadata_cid,
            "public_key": "0x" + self.public_key.hex(),
            "eligible_count": self.eligible_count,
            "terms_frozen": self.terms_frozen,
        }


def cid_from_chain(raw: bytes) -> str:
    """A CID committed on chain as bytes (binary CID, or a CID's text) in its text form."""
    for candidate in (raw, raw.decode("ascii", errors="replace")):
        try:
            return str(CID.decode(candidate))
        except (ValueError, KeyError):
            continue
    raise VerificationError(f"the chain holds {raw.hex()} where a CID should be", "this challenge cannot be read")


def load_challenge(network: Network, challenge_id: int) -> ChallengeView:
    escrow = network.contract("ChallengeEscrow")
    with network.readable_errors():
        state = escrow.functions.getChallenge(challenge_id).call()
    if state[0] == ZERO_ADDRESS:
        raise RefusedError(f"challenge {challenge_id} does not exist", "see `bounty challenge list`")
    created = network.events(escrow, "ChallengeCreated", challengeId=challenge_id)
    if not created:
        raise RefusedError(f"challenge {challenge_id} has no creation event", "is the deployments file current?")
    terms = created[-1]["args"]["terms"]
    (seeker, state_id, frozen, eligible, submission_deadline, token, evaluation_deadline, kind, _licence, arbiter,
     _refusals, _others, funded, awarded, _extra, agreement_hash, _prior) = state  # fmt: skip
    symbol, decimals = network.token_info(token)
    return ChallengeView(
        challenge_id=challenge_id,
        seeker=seeker,
        state=STATES[state_id],
        kind=KINDS[kind],
        token=token,
        symbol=symbol,
        decimals=decimals,
        funded=funded,
        awarded=awarded,
        submission_deadline=submission_deadline,
        evaluation_deadline=evaluation_deadline,
        agreement_hash=bytes(agreement_hash),
        arbiter=arbiter,
        slot_amounts=list(terms["slotAmounts"]),
        metadata_cid=cid_from_chain(bytes(terms["metadataCid"])),
        metadata_hash=bytes(terms["metadataHash"]),
        public_key=bytes(terms["encryptionPublicKey"]),
        eligible_count=eligible,
        terms_frozen=frozen,
    )


def challenge_metadata(ipfs: IpfsClient, view: ChallengeView) -> ChallengeMetadata:
    metadata = fetch_metadata(ipfs, view.metadata_cid, view.metadata_hash)
    if not isinstance(metadata, ChallengeMetadata):
        raise VerificationError(f"challenge {view.challenge_id}'s metadata describes a task batch")
    return metadata


def challenge_count(network: Network) -> int:
    with network.readable_errors():
        return int(network.contract("ChallengeEscrow").functions.challengeCount().call())


# -- seeker ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CreatedChallenge:
    challenge_id: int
    metadata_cid: str
    agreement_cid: str
    funded: int
    tx_hash: str


def _derive_key(network: Network, seeker: LocalAccount, challenge_id: int) -> PrivateKey:
    contract = network.deployments.contract("ChallengeEscrow").address
    key = derive_challenge_private_key(seeker, network.chain_id, contract, challenge_id)
    # docs/keys.md: a signer that is not deterministic would give a key nobody can recover.
    if derive_challenge_private_key(seeker, network.chain_id, contract, challenge_id) != key:
        raise VerificationError("this wallet does not sign deterministically", "use another wallet for this challenge")
    return key


def challenge_key(network: Network, seeker: LocalAccount, challenge_id: int) -> PrivateKey:
    """The challenge's private key, derived from the seeker's wallet (docs/keys.md)."""
    return _derive_key(network, seeker, challenge_id)


def _prior_art_salt(network: Network, seeker: LocalAccount, challenge_id: int) -> bytes:
    # Derived from the wallet like the challenge key, so nothing has to be kept until the reveal.
    text = _PRIOR_ART_SALT_TEXT.format(
        chain=network.chain_id,
        contract=network.deployments.contract("ChallengeEscrow").address,
        challenge=challenge_id,
    )
    return keccak(bytes(seeker.sign_message(encode_defunct(text=text)).signature))


def create_challenge(network: Network, ipfs: IpfsClient, seeker: LocalAccount, spec: ChallengeSpec) -> CreatedChallenge:
    """Publish the agreement and metadata, derive the challenge key, and create (and fund) it."""
    escrow = network.contract("ChallengeEscrow")
    token = ZERO_ADDRESS if spec.token.upper() == "ETH" else address(spec.token, "token")
    symbol, decimals = network.token_info(token)
    slots = [parse_amount(p, decimals, symbol) for p in spec.prizes]
    if spec.kind == "rfp" and slots:
        raise InputError("an RFP has no prize", "remove `prizes` from the challenge file")
    if spec.kind != "rfp" and (not slots or any(s == 0 for s in slots)):
        raise InputError("a cash challenge needs 1 to 16 prizes above zero", "list them under `prizes`")
    now = network.now()
    submission_deadline = parse_time(spec.submission_deadline, now)
    evaluation_deadline = parse_time(spec.evaluation_deadline, submission_deadline)
    if submission_deadline <= now:
        raise InputError(
            f"the submission deadline {human_time(submission_deadline)} has passed (chain time {human_time(now)})",
            "choose a later one, e.g. +7d",
        )
    if evaluation_deadline <= submission_deadline:
        raise InputError("the evaluation deadline must come after the submission deadline", "e.g. +14d (after it)")
    arbiter = ZERO_ADDRESS if spec.arbiter in ("", ZERO_ADDRESS) else address(spec.arbiter, "arbiter")
    try:
        agreement = spec.agreement.read_bytes()
    except OSError as error:
        raise InputError(f"cannot read the agreement {spec.agreement}: {error.strerror}") from error
    agreement_cid = str(ipfs.add_bytes(agreement, name=spec.agreement.name).cid)
    funded = sum(slots)
    try:
        metadata = ChallengeMetadata(
            title=spec.title,
            description=spec.description,
            challenge_type=spec.category,  # type: ignore[arg-type]  # validated by the model
            prize_display=format_amount(funded, decimals, symbol) if slots else "no prize (RFP)",
            submission_deadline=submission_deadline,
            review_deadline=evaluation_deadline,
            agreement_cid=agreement_cid,
            tags=spec.tags,
            seeker_display_name=spec.seeker_display_name,
        )
    except ValidationError as error:
        first = error.errors()[0]
        raise InputError(f"challenge file: {'.'.join(map(str, first['loc']))}: {first['msg']}") from error
    metadata_cid, metadata_hash = publish_metadata(ipfs, metadata)
    challenge_id = challenge_count(network) + 1
    public_key = bytes(_derive_key(network, seeker, challenge_id).public_key)
    commitment = b"\x00" * 32
    if spec.prior_art is not None:
        salt = _prior_art_salt(network, seeker, challenge_id)
        commitment = keccak(salt + bytes(file_cid(spec.prior_art)))
    terms = (
        KINDS.index(spec.kind),
        token,
        slots,
        submission_deadline,
        evaluation_deadline,
        keccak(agreement),
        bytes(metadata_cid),
        metadata_hash,
        public_key,
        arbiter,
        spec.licence_days,
        commitment,
    )
    network.ensure_allowance(token, seeker, escrow.address, funded)
    receipt = network.send(
        "create challenge",
        escrow.functions.createChallenge(terms),
        seeker,
        value=funded if token == ZERO_ADDRESS else 0,
    )
    created = escrow.events.ChallengeCreated().process_receipt(receipt, errors=DISCARD)[0]["args"]["challengeId"]
    if created != challenge_id:
        raise VerificationError(
            f"challenge {created} was created, but its key was derived for {challenge_id} (someone created one meanwhile)",
            f"cancel challenge {created} (`bounty challenge cancel {created}`) and create it again",
        )
    return CreatedChallenge(
        challenge_id, str(metadata_cid), agreement_cid, funded, receipt["transactionHash"].to_0x_hex()
    )


def fund(network: Network, account: LocalAccount, challenge_id: int, amount_text: str) -> int:
    """Add to a challenge's top prize (slot 0); anyone may."""
    view = load_challenge(network, challenge_id)
    amount = parse_amount(amount_text, view.decimals, view.symbol)
    escrow = network.contract("ChallengeEscrow")
    network.ensure_allowance(view.token, account, escrow.address, amount)
    value = amount if view.token == ZERO_ADDRESS else 0
    network.send("contribute", escrow.functions.contribute(challenge_id, amount), account, value=value)
    return amount


def award(
    network: Network, seeker: LocalAccount, challenge_id: int, entrant: str, *, slot: int, amount_text: str | None
) -> int:
    """Award `amount` (all that remains of the slot by default) of slot `slot` to `entrant`."""
    view = load_challenge(network, challenge_id)
    escrow = network.contract("ChallengeEscrow")
    with network.readable_errors():
        remaining = int(escrow.functions.slotRemaining(challenge_id, slot).call())
    amount = remaining if amount_text is None else parse_amount(amount_text, view.decimals, view.symbol)
    entrant = address(entrant, "entrant")
    network.send("award", escrow.functions.award(challenge_id, entrant, slot, amount), seeker)
    return amount


def refuse(
    network: Network,
    ipfs: IpfsClient,
    seeker: LocalAccount,
    challenge_id: int,
    entrant: str,
    *,
    prior_art: Path | None,
) -> None:
    """Refuse a submission: criteria unmet (CONDITIONAL), or prior knowledge revealing the
    committed prior-art document (which is then added to IPFS so the entrant can read it)."""
    view = load_challenge(network, challenge_id)
    escrow = network.contract("ChallengeEscrow")
    entrant = address(entrant, "entrant")
    with network.readable_errors():
        fee = int(escrow.functions.arbitrationFee(challenge_id).call()) if view.arbiter != ZERO_ADDRESS else 0
    network.ensure_allowance(view.token, seeker, escrow.address, fee)
    value = fee if view.token == ZERO_ADDRESS else 0
    if prior_art is None:
        call = escrow.functions.declareCriteriaUnmet(challenge_id, entrant)
        network.send("refuse (criteria unmet)", call, seeker, value=value)
        return
    salt = _prior_art_salt(network, seeker, challenge_id)
    cid = file_cid(prior_art)
    call = escrow.functions.refuseForPriorKnowledge(challenge_id, entrant, salt, bytes(cid))
    network.send("refuse (prior knowledge)", call, seeker, value=value)
    ipfs.add_file(prior_art)  # the revealed CID must be readable by the entrant (and an arbiter)


def simple(network: Network, account: LocalAccount, label: str, function: str, *args: Any) -> None:
    """A call that only needs the challenge id and the caller (cancel, close, settle...)."""
    escrow = network.contract("ChallengeEscrow")
    network.send(label, getattr(escrow.functions, function)(*args), account)


@dataclass(frozen=True)
class SubmissionView:
    entrant: str
    team_id: int
    cid: str
    submitted_at: int
    status: str


def submissions(network: Network, challenge_id: int) -> list[SubmissionView]:
    """Every committed submission, from `SubmissionCommitted`, with the entry's status now."""
    escrow = network.contract("ChallengeEscrow")
    found = []
    for log in network.events(escrow, "SubmissionCommitted", challengeId=challenge_id):
        args = log["args"]
        if keccak(bytes(args["cid"])) != bytes(args["cidHash"]):
            raise VerificationError(f"the commitment of {args['entrant']} does not hash to its CID")
        with network.readable_errors():
            entry = escrow.functions.getEntry(challenge_id, args["entrant"]).call()
        found.append(
            SubmissionView(
                entrant=args["entrant"],
                team_id=int(args["teamId"]),
                cid=cid_from_chain(bytes(args["cid"])),
                submitted_at=int(args["submittedAt"]),
                status=ENTRY_STATUSES[entry[ENTRY_STATUS]],
            )
        )
    return found


@dataclass(frozen=True)
class OpenedSubmission:
    submission: SubmissionView
    opened: OpenedEnvelope | None
    problem: str | None


def open_submissions(
    network: Network,
    ipfs: IpfsClient,
    seeker: LocalAccount,
    challenge_id: int,
    output_dir: Path,
    *,
    progress: Callable[[SubmissionView], None] | None = None,
) -> list[OpenedSubmission]:
    """Fetch every submission, verify its author (the committing entrant) and context, and
    decrypt it into `output_dir/<entrant>/`. A bad envelope is reported, not fatal to the rest."""
    private_key = challenge_key(network, seeker, challenge_id)
    view = load_challenge(network, challenge_id)
    if bytes(private_key.public_key) != view.public_key:
        raise VerificationError(
            f"this wallet's key for challenge {challenge_id} is not the published one",
            "use the seeker's wallet (--account)",
        )
    context = _context(network, challenge_id)
    results = []
    for submission in submissions(network, challenge_id):
        if progress is not None:
            progress(submission)
        try:
            opened = fetch_and_open(
                ipfs,
                submission.cid,
                output_dir / submission.entrant,
                private_key=private_key,
                expected=context,
                expected_author=submission.entrant,
            )
        except EnvelopeError as error:
            results.append(OpenedSubmission(submission, None, str(error)))
            continue
        results.append(OpenedSubmission(submission, opened, None))
    return results


# -- solver ------------------------------------------------------------------------------------


def _context(network: Network, challenge_id: int) -> EnvelopeContext:
    return EnvelopeContext(network.chain_id, network.deployments.contract("ChallengeEscrow").address, challenge_id)


def agreement_of(ipfs: IpfsClient, view: ChallengeView) -> tuple[ChallengeMetadata, bytes]:
    """The metadata and the agreement a solver accepts, checked against the on-chain hashes."""
    metadata = challenge_metadata(ipfs, view)
    if metadata.agreement_cid is None:
        raise VerificationError(f"challenge {view.challenge_id}'s metadata names no agreement")
    agreement = ipfs.fetch_bytes(metadata.agreement_cid)
    if keccak(agreement) != view.agreement_hash:
        raise VerificationError(
            f"the agreement at {metadata.agreement_cid} is not the one challenge {view.challenge_id} committed to",
            "do not accept these terms; report the challenge",
        )
    return metadata, agreement


def accept_terms(network: Network, solver: LocalAccount, view: ChallengeView) -> None:
    _before_deadline(network, view)
    escrow = network.contract("ChallengeEscrow")
    network.send("accept terms", escrow.functions.acceptTerms(view.challenge_id, view.agreement_hash), solver)


def _before_deadline(network: Network, view: ChallengeView) -> None:
    now = network.now()
    if now > view.submission_deadline:
        raise RefusedError(
            f"challenge {view.challenge_id}'s submission deadline passed at {human_time(view.submission_deadline)}",
            "nothing can be accepted or submitted any more",
        )


def submit(
    network: Network,
    ipfs: IpfsClient,
    queue: UploadQueue,
    solver: LocalAccount,
    challenge_id: int,
    *,
    paths: Sequence[Path],
) -> SealedUpload:
    """Seal `paths` to the challenge key (signed by the solver), upload, and commit the CID."""
    view = load_challenge(network, challenge_id)
    _before_deadline(network, view)
    escrow = network.contract("ChallengeEscrow")
    with network.readable_errors():
        status = ENTRY_STATUSES[escrow.functions.getEntry(challenge_id, solver.address).call()[ENTRY_STATUS]]
    if status != "accepted":
        fix = f"accept the terms first (`bounty challenge accept {challenge_id}`)" if status == "none" else None
        raise RefusedError(f"{solver.address} cannot submit to challenge {challenge_id}: entry is {status}", fix)
    for path in paths:
        if not path.is_file():
            raise InputError(f"{path} is not a file")
    sealed = seal_and_upload(
        paths,
        context=_context(network, challenge_id),
        recipients=[PublicKey(view.public_key)],
        author=solver,
        queue=queue,
    )
    network.send("submit", escrow.functions.submit(challenge_id, bytes(sealed.cid)), solver)
    return sealed


# -- teams -------------------------------------------------------------------------------------


def create_team(
    network: Network, leader: LocalAccount, challenge_id: int, *, members: Sequence[str], rule: str, bps: Sequence[int]
) -> int:
    teams = network.contract("ChallengeTeams")
    if rule not in SPLIT_RULES:
        raise InputError(f"split rule {rule!r} is not one of {', '.join(SPLIT_RULES)}")
    addresses = [address(m, "member") for m in members]
    call = teams.functions.createTeam(challenge_id, addresses, SPLIT_RULES.index(rule), list(bps))
    receipt = network.send("create team", call, leader)
    return int(teams.events.TeamCreated().process_receipt(receipt, errors=DISCARD)[0]["args"]["teamId"])


def team_call(network: Network, account: LocalAccount, label: str, function: str, *args: Any) -> Any:
    teams = network.contract("ChallengeTeams")
    return network.send(label, getattr(teams.functions, function)(*args), account)


def propose_split(network: Network, member: LocalAccount, team_id: int, rule: str, bps: Sequence[int]) -> int:
    if rule not in SPLIT_RULES:
        raise InputError(f"split rule {rule!r} is not one of {', '.join(SPLIT_RULES)}")
    teams = network.contract("ChallengeTeams")
    receipt = network.send(
        "propose split", teams.functions.proposeSplit(team_id, SPLIT_RULES.index(rule), list(bps)), member
    )
    return int(teams.events.SplitProposed().process_receipt(receipt, errors=DISCARD)[0]["args"]["nonce"])


def team_view(network: Network, team_id: int) -> dict[str, Any]:
    """A team as ChallengeTeams holds it: members (leader first), confirmation, split, proposal."""
    teams = network.contract("ChallengeTeams")
    with network.readable_errors():
        team, members, bps, proposed = teams.functions.getTeam(team_id).call()
        _, confirmed = teams.functions.teamStatus(team_id).call()
    (challenge_id, leader, _size, _confirmed_mask, _approval_mask, rule, proposed_rule, nonce, pending, disbanded) = (
        team
    )
    if challenge_id == 0:
        raise RefusedError(f"team {team_id} does not exist", "see `bounty team create`")
    return {
        "id": team_id,
        "challenge_id": challenge_id,
        "leader": leader,
        "members": list(members),
        "confirmed": confirmed,
        "disbanded": disbanded,
        "rule": SPLIT_RULES[rule],
        "leader_bps": list(bps),
        "proposal": {"nonce": nonce, "rule": SPLIT_RULES[proposed_rule], "leader_bps": list(proposed)}
        if pending
        else None,
    }


# -- money out ---------------------------------------------------------------------------------

ESCROWS = ("ChallengeEscrow", "MicrotaskEscrow")


def withdrawable(network: Network, account: str, token: str) -> dict[str, int]:
    found = {}
    for name in ESCROWS:
        with network.readable_errors():
            found[name] = int(network.contract(name).functions.withdrawable(token, account).call())
    return found


def held_awards(network: Network, account: str, token: str) -> dict[int, int]:
    """Challenges (id -> amount) in `token` holding awards or a share that `account` won as a
    solo entrant and has not withdrawn: ChallengeEscrow keeps those in the entry, not in
    `withdrawable`. Found from the account's AwardGranted and ShareClaimed events."""
    escrow = network.contract("ChallengeEscrow")
    ids = {
        int(log.args.challengeId)
        for name in ("AwardGranted", "ShareClaimed")
        for log in network.events(escrow, name, entrant=account)
    }
    held = {}
    with network.readable_errors():
        for challenge_id in sorted(ids):
            owed = int(escrow.functions.getEntry(challenge_id, account).call()[ENTRY_AWARD_OWED])
            if owed and escrow.functions.getChallenge(challenge_id).call()[CHALLENGE_TOKEN] == token:
                held[challenge_id] = owed
    return held


def withdraw(network: Network, account: LocalAccount, token: str) -> dict[str, int]:
    """Withdraw everything owed to `account` in `token`: the balances credited in both escrows
    and the awards held for it in challenges (one `withdrawAward` each)."""
    paid = {}
    for name, amount in withdrawable(network, account.address, token).items():
        if amount:
            network.send(f"withdraw ({name})", network.contract(name).functions.withdraw(token), account)
            paid[name] = amount
    escrow = network.contract("ChallengeEscrow")
    for challenge_id, amount in held_awards(network, account.address, token).items():
        network.send(
            f"withdraw award (challenge {challenge_id})", escrow.functions.withdrawAward(challenge_id), account
        )
        paid[f"challenge {challenge_id}"] = amount
    if not paid:
        raise RefusedError(
            f"nothing to withdraw for {account.address}", "an award, share or refund must be credited first"
        )
    return paid


def address(text: str, what: str) -> str:
    try:
        return Web3.to_checksum_address(text)
    except ValueError:
        raise InputError(f"{text!r} is not an address ({what})", "write 0x followed by 40 hex digits") from None
