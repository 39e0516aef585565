"""Micro-task batches from the client's side: what requesters and workers do on the chain
and IPFS. Manifests and signed messages are built by the backend's own modules
(backend/services/microtasks), so both sides agree byte for byte."""

import csv
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak
from pydantic import ValidationError
from web3.logs import DISCARD

from backend.errors import CrowdbountyError
from backend.services.microtasks.manifest import (
    TaskManifest,
    build_manifest,
    manifest_bytes,
    parse_manifest,
    task_hash,
)
from backend.services.microtasks.typed_data import (
    TypedMessage,
    claim_message,
    result_message,
    review_message,
    voucher_message,
)
from backend.services.storage.ipfs import IpfsClient
from backend.services.storage.metadata import TaskBatchMetadata, publish_metadata
from client.amounts import format_amount, parse_amount, parse_time
from client.chain import ZERO_ADDRESS, Network, human_time
from client.challenges import address, read_spec_file
from client.errors import InputError, RefusedError

BATCH_STATES = ("none", "open", "closed")
SUBMISSION_STATES = ("none", "pending", "rejected", "disputed", "approved", "rejection-upheld")
REJECT_BOND_MULTIPLE = 2  # MicrotaskEscrow.REJECT_BOND_MULTIPLE
DISPUTE_BOND_MULTIPLE = 1  # MicrotaskEscrow.DISPUTE_BOND_MULTIPLE
_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400}


@dataclass(frozen=True)
class BatchSpec:
    """A batch as a requester writes it (YAML, or Markdown instructions under YAML front matter)."""

    title: str
    instructions: str
    reward: str
    token: str
    bonus_pool: str
    expiry: str
    review_window: str
    assignment_duration: str
    arbiter: str
    tags: list[str]
    task_schema: dict[str, Any]


def load_batch_spec(path: Path) -> BatchSpec:
    fields, body = read_spec_file(path)
    if "title" not in fields or "reward" not in fields:
        raise InputError(f"{path} needs at least `title` and `reward`", "see docs/cli.md for the batch file")
    return BatchSpec(
        title=str(fields["title"]),
        instructions=body if body is not None else str(fields.get("instructions", "")),
        reward=str(fields["reward"]),
        token=str(fields.get("token", "ETH")),
        bonus_pool=str(fields.get("bonus_pool", "0")),
        expiry=str(fields.get("expiry", "+30d")),
        review_window=str(fields.get("review_window", "2d")),
        assignment_duration=str(fields.get("assignment_duration", "1h")),
        arbiter=str(fields.get("arbiter", ZERO_ADDRESS)),
        tags=[str(t) for t in fields.get("tags", [])],
        task_schema=dict(fields.get("task_schema", {"type": "object"})),
    )


def parse_duration(text: str) -> int:
    """`90s`, `30m`, `1h`, `2d` or plain seconds."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    if len(text) > 1 and text[:-1].isdigit() and text[-1] in _DURATION_UNITS:
        return int(text[:-1]) * _DURATION_UNITS[text[-1]]
    raise InputError(f"{text!r} is not a duration", "write 90s, 30m, 1h or 2d")


def load_tasks(path: Path) -> list[Any]:
    """Task inputs from a CSV file (one object per row, header = keys) or JSON Lines."""
    try:
        text = path.read_text()
    except OSError as error:
        raise InputError(f"cannot read {path}: {error.strerror}") from error
    if path.suffix.lower() == ".csv":
        rows: list[Any] = list(csv.DictReader(text.splitlines()))
    else:
        rows = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except ValueError as error:
                raise InputError(f"{path}:{number} is not JSON: {error}") from error
    if not rows:
        raise InputError(f"{path} holds no tasks", "one task per line (JSON Lines) or per row (CSV with a header)")
    return rows


@dataclass(frozen=True)
class BatchView:
    batch_id: int
    requester: str
    state: str
    token: str
    symbol: str
    decimals: int
    reward: int
    task_count: int
    bonus_pool: int
    available: int
    expiry: int
    review_window: int
    arbiter: str
    task_root: str
    manifest_cid: str

    def amount(self, value: int) -> str:
        return format_amount(value, self.decimals, self.symbol)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.batch_id,
            "requester": self.requester,
            "state": self.state,
            "token": self.token,
            "symbol": self.symbol,
            "reward": str(self.reward),
            "task_count": self.task_count,
            "bonus_pool": str(self.bonus_pool),
            "available": str(self.available),
            "expiry": self.expiry,
            "review_window": self.review_window,
            "arbiter": self.arbiter,
            "task_root": self.task_root,
            "manifest_cid": self.manifest_cid,
        }


def load_batch(network: Network, batch_id: int) -> BatchView:
    escrow = network.contract("MicrotaskEscrow")
    funded = network.events(escrow, "BatchFunded", batchId=batch_id)
    if not funded:
        raise RefusedError(f"batch {batch_id} does not exist", "see `bounty batch list`")
    with network.readable_errors():
        batch = escrow.functions.getBatch(batch_id).call()
    terms = funded[-1]["args"]["terms"]
    requester, expiry, review_window, state, _kind, token, available, arbiter, reward = batch[:9]
    symbol, decimals = network.token_info(token)
    return BatchView(
        batch_id=batch_id,
        requester=requester,
        state=BATCH_STATES[state],
        token=token,
        symbol=symbol,
        decimals=decimals,
        reward=reward,
        task_count=int(terms["taskCount"]),
        bonus_pool=int(terms["bonusPool"]),
        available=available,
        expiry=expiry,
        review_window=review_window,
        arbiter=arbiter,
        task_root="0x" + bytes(terms["taskRoot"]).hex(),
        manifest_cid=str(terms["manifestCid"]),
    )


def batch_manifest(ipfs: IpfsClient, view: BatchView) -> TaskManifest:
    """The batch's task manifest, every task checked against the on-chain root."""
    try:
        return parse_manifest(ipfs.fetch_bytes(view.manifest_cid), view.task_root, view.task_count)
    except CrowdbountyError as error:
        raise RefusedError(f"batch {view.batch_id}'s manifest is not usable: {error}") from error


@dataclass(frozen=True)
class CreatedBatch:
    batch_id: int
    manifest_cid: str
    metadata_cid: str
    escrowed: int


def create_batch(
    network: Network, ipfs: IpfsClient, requester: LocalAccount, spec: BatchSpec, inputs: list[Any]
) -> CreatedBatch:
    """Publish the metadata and the manifest (tasks + Merkle proofs), then fund the batch."""
    escrow = network.contract("MicrotaskEscrow")
    token = ZERO_ADDRESS if spec.token.upper() == "ETH" else address(spec.token, "token")
    symbol, decimals = network.token_info(token)
    reward = parse_amount(spec.reward, decimals, symbol)
    bonus_pool = parse_amount(spec.bonus_pool, decimals, symbol)
    if reward == 0:
        raise InputError("the reward per task must be above zero")
    now = network.now()
    expiry = parse_time(spec.expiry, now)
    if expiry <= now:
        raise InputError(f"the expiry {human_time(expiry)} has passed (chain time {human_time(now)})", "e.g. +30d")
    arbiter = ZERO_ADDRESS if spec.arbiter in ("", ZERO_ADDRESS) else address(spec.arbiter, "arbiter")
    try:
        metadata = TaskBatchMetadata(
            title=spec.title,
            instructions=spec.instructions,
            reward_display=format_amount(reward, decimals, symbol),
            task_schema=spec.task_schema,
            task_count=len(inputs),
            deadline=expiry,
            tags=spec.tags,
        )
    except ValidationError as error:
        first = error.errors()[0]
        raise InputError(f"batch file: {'.'.join(map(str, first['loc']))}: {first['msg']}") from error
    metadata_cid, metadata_hash = publish_metadata(ipfs, metadata)
    try:
        manifest = build_manifest(str(metadata_cid), metadata_hash, inputs)
        raw_manifest = manifest_bytes(manifest)
    except CrowdbountyError as error:
        raise InputError(f"the tasks cannot be listed: {error}", "task inputs are JSON without floats") from error
    manifest_cid = str(ipfs.add_bytes(raw_manifest, name="manifest.json").cid)
    escrowed = reward * len(inputs) + bonus_pool
    params = (
        token,
        reward,
        len(inputs),
        bonus_pool,
        bytes.fromhex(manifest.task_root[2:]),
        parse_duration(spec.assignment_duration),
        parse_duration(spec.review_window),
        expiry,
        0,  # no qualification
        b"\x00" * 32,
        arbiter,
        manifest_cid,
    )
    network.ensure_allowance(token, requester, escrow.address, escrowed)
    value = escrowed if token == ZERO_ADDRESS else 0
    receipt = network.send("fund batch", escrow.functions.fundBatch(params), requester, value=value)
    batch_id = int(escrow.events.BatchFunded().process_receipt(receipt, errors=DISCARD)[0]["args"]["batchId"])
    return CreatedBatch(batch_id, manifest_cid, str(metadata_cid), escrowed)


# -- vouchers ----------------------------------------------------------------------------------


def sign_voucher(
    network: Network, requester: LocalAccount, batch_id: int, worker: str, cumulative: int
) -> dict[str, Any]:
    """A cumulative voucher (the contract's EIP-712 `Voucher`), as the backend stores it."""
    escrow = network.deployments.contract("MicrotaskEscrow").address
    worker = address(worker, "worker")
    message = voucher_message(network.chain_id, escrow, batch_id=batch_id, worker=worker, cumulative_amount=cumulative)
    return {
        "batch_id": batch_id,
        "chain_id": network.chain_id,
        "escrow": escrow,
        "worker": worker,
        "cumulative_amount": str(cumulative),
        "signature": "0x" + message.sign(requester.key).hex(),
    }


def redeem_voucher(network: Network, account: LocalAccount, voucher: dict[str, Any]) -> int:
    """Redeem a voucher (anyone may send it; the worker is paid). Returns what it paid."""
    escrow = network.contract("MicrotaskEscrow")
    try:
        batch_id, worker = int(voucher["batch_id"]), address(str(voucher["worker"]), "worker")
        cumulative, signature = int(voucher["cumulative_amount"]), bytes.fromhex(str(voucher["signature"])[2:])
    except (KeyError, ValueError) as error:
        raise InputError(
            f"not a voucher: {error}", "a voucher has batch_id, worker, cumulative_amount, signature"
        ) from error
    call = escrow.functions.redeemVoucher(batch_id, worker, cumulative, signature)
    receipt = network.send(f"redeem voucher (batch {batch_id})", call, account)
    return int(escrow.events.VoucherRedeemed().process_receipt(receipt, errors=DISCARD)[0]["args"]["paid"])


# -- the slow path: results on chain -----------------------------------------------------------


def result_hash(path: Path) -> bytes:
    try:
        return keccak(path.read_bytes())
    except OSError as error:
        raise InputError(f"cannot read {path}: {error.strerror}") from error


def post_result(
    network: Network, ipfs: IpfsClient, worker: LocalAccount, batch_id: int, *, task_index: int, result: Path
) -> int:
    """Post a result on chain (when the requester does not pay or answer); returns the review deadline."""
    view = load_batch(network, batch_id)
    manifest = batch_manifest(ipfs, view)
    if not 0 <= task_index < len(manifest.tasks):
        raise InputError(f"batch {batch_id} has tasks 0..{len(manifest.tasks) - 1}, not {task_index}")
    task = manifest.tasks[task_index]
    digest = result_hash(result)
    ipfs.add_file(result)  # the requester (and an arbiter) can read what was posted
    escrow = network.contract("MicrotaskEscrow")
    proof = [bytes.fromhex(p[2:]) for p in task.proof]
    call = escrow.functions.submitResult(batch_id, task_index, task_hash(task.input), digest, proof, b"")
    receipt = network.send(f"post result (batch {batch_id}, task {task_index})", call, worker)
    event = escrow.events.ResultSubmitted().process_receipt(receipt, errors=DISCARD)[0]
    return int(event["args"]["reviewDeadline"])


def submission_state(network: Network, batch_id: int, task_index: int, worker: str) -> str:
    escrow = network.contract("MicrotaskEscrow")
    with network.readable_errors():
        submission = escrow.functions.getSubmission(batch_id, task_index, address(worker, "worker")).call()
    return SUBMISSION_STATES[submission[1]]


def reject_result(
    network: Network, requester: LocalAccount, batch_id: int, *, task_index: int, worker: str, reason: str
) -> None:
    """Reject an on-chain result; with an arbiter the requester posts the bond (2 rewards)."""
    view = load_batch(network, batch_id)
    escrow = network.contract("MicrotaskEscrow")
    bond = REJECT_BOND_MULTIPLE * view.reward if view.arbiter != ZERO_ADDRESS else 0
    network.ensure_allowance(view.token, requester, escrow.address, bond)
    value = bond if view.token == ZERO_ADDRESS else 0
    call = escrow.functions.rejectResult(batch_id, task_index, address(worker, "worker"), keccak(text=reason))
    network.send(f"reject result (batch {batch_id}, task {task_index})", call, requester, value=value)


def dispute_rejection(network: Network, worker: LocalAccount, batch_id: int, task_index: int) -> None:
    """Dispute a rejection of your result, posting the worker's bond (1 reward)."""
    view = load_batch(network, batch_id)
    escrow = network.contract("MicrotaskEscrow")
    bond = DISPUTE_BOND_MULTIPLE * view.reward
    network.ensure_allowance(view.token, worker, escrow.address, bond)
    value = bond if view.token == ZERO_ADDRESS else 0
    call = escrow.functions.disputeRejection(batch_id, task_index)
    network.send(f"dispute rejection (batch {batch_id}, task {task_index})", call, worker, value=value)


def result_call(
    network: Network,
    account: LocalAccount,
    function: str,
    batch_id: int,
    *,
    task_index: int,
    worker: str,
    extra: tuple[Any, ...] = (),
) -> None:
    """approveResult, autoApproveResult, finalizeRejection, ruleDispute, settleExpiredDispute."""
    escrow = network.contract("MicrotaskEscrow")
    call = getattr(escrow.functions, function)(batch_id, task_index, address(worker, "worker"), *extra)
    network.send(f"{function} (batch {batch_id}, task {task_index})", call, account)


def close_batch(network: Network, requester: LocalAccount, batch_id: int) -> int:
    escrow = network.contract("MicrotaskEscrow")
    receipt = network.send(f"close batch {batch_id}", escrow.functions.closeBatch(batch_id), requester)
    return int(escrow.events.BatchClosed().process_receipt(receipt, errors=DISCARD)[0]["args"]["reclaimed"])


# -- the fast path: signed messages through the backend ----------------------------------------

MESSAGE_LIFETIME_S = 600  # signed claims, results and reviews are refused after this (backend's clock)


def _signed(network: Network, message: TypedMessage, signer: LocalAccount, deadline: int | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "chain_id": network.chain_id,
        "verifying_contract": network.deployments.contract("MicrotaskEscrow").address,
        "signature": "0x" + message.sign(signer.key).hex(),
    }
    if deadline is not None:
        body["deadline"] = deadline
    return body


def claim_body(network: Network, worker: LocalAccount, batch_id: int, task_index: int) -> dict[str, Any]:
    """The body of `POST /api/batches/{id}/claims`: a `Claim` signed by the worker."""
    deadline = int(time.time()) + MESSAGE_LIFETIME_S
    escrow = network.deployments.contract("MicrotaskEscrow").address
    message = claim_message(
        network.chain_id, escrow, batch_id=batch_id, task_index=task_index, worker=worker.address, deadline=deadline
    )
    return {**_signed(network, message, worker, deadline), "task_index": task_index, "worker": worker.address}


def result_body(
    network: Network, worker: LocalAccount, batch_id: int, *, task_index: int, result_cid: str, digest: bytes
) -> dict[str, Any]:
    """The body of `POST /api/batches/{id}/results`: a `Result` signed by the worker."""
    deadline = int(time.time()) + MESSAGE_LIFETIME_S
    escrow = network.deployments.contract("MicrotaskEscrow").address
    result_hash_hex = "0x" + digest.hex()
    message = result_message(
        network.chain_id,
        escrow,
        batch_id=batch_id,
        task_index=task_index,
        worker=worker.address,
        result_hash=result_hash_hex,
        result_cid=result_cid,
        deadline=deadline,
    )
    return {
        **_signed(network, message, worker, deadline),
        "task_index": task_index,
        "worker": worker.address,
        "result_hash": result_hash_hex,
        "result_cid": result_cid,
    }


@dataclass(frozen=True)
class Review:
    """One decision of a requester: approve (with an optional bonus) or reject with a reason."""

    task_index: int
    worker: str
    approved: bool
    reason: str = ""
    bonus: int = 0


def review_body(network: Network, requester: LocalAccount, batch_id: int, review: Review) -> dict[str, Any]:
    """The body of `POST /api/batches/{id}/reviews`: a `Review` signed by the requester."""
    if not review.approved and not review.reason:
        raise InputError(f"rejecting task {review.task_index} of {review.worker} needs a reason")
    if not review.approved and review.bonus:
        raise InputError("a rejection carries no bonus")
    deadline = int(time.time()) + MESSAGE_LIFETIME_S
    escrow = network.deployments.contract("MicrotaskEscrow").address
    reason_hash = "0x" + (keccak(text=review.reason) if review.reason else b"\x00" * 32).hex()
    message = review_message(
        network.chain_id,
        escrow,
        batch_id=batch_id,
        task_index=review.task_index,
        worker=review.worker,
        approved=review.approved,
        reason_hash=reason_hash,
        bonus=review.bonus,
        deadline=deadline,
    )
    return {
        **_signed(network, message, requester, deadline),
        "task_index": review.task_index,
        "worker": review.worker,
        "approved": review.approved,
        "reason_hash": reason_hash,
        "bonus": str(review.bonus),
    }


def load_reviews(path: Path, decimals: int, symbol: str) -> list[Review]:
    """Reviews from JSON Lines: {"task_index", "worker", "approved", "reason"?, "bonus"?} per line."""
    reviews = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            reviews.append(
                Review(
                    task_index=int(item["task_index"]),
                    worker=address(str(item["worker"]), "worker"),
                    approved=bool(item["approved"]),
                    reason=str(item.get("reason", "")),
                    bonus=parse_amount(str(item.get("bonus", "0")), decimals, symbol),
                )
            )
        except (ValueError, KeyError, TypeError) as error:
            raise InputError(f"{path}:{number} is not a review: {error}") from error
    return reviews
