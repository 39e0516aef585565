"""The logic behind /api/batches: reading batches and tasks, and accepting the signed
off-chain messages (claims, results, reviews, vouchers) after verifying them.

Every write commits its own transaction; a refused message raises an `ApiError` and
writes nothing. `now` (Unix seconds) is passed in, so claims and deadlines have one clock.
"""

import logging
from dataclasses import dataclass

from eth_abi.abi import decode
from eth_abi.exceptions import DecodingError
from eth_utils.address import to_checksum_address
from eth_utils.hexadecimal import encode_hex
from sqlalchemy import ColumnElement, Engine, and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.api.errors import BadRequestError, ConflictError, ForbiddenError, NotFoundError
from backend.api.pagination import decode_cursor, encode_cursor
from backend.models import (
    MicrotaskBatch,
    MicrotaskClaim,
    MicrotaskOnchainResult,
    MicrotaskRedemption,
    MicrotaskResult,
    MicrotaskReview,
    MicrotaskTask,
    MicrotaskVoucher,
)
from backend.schemas.common import Page
from backend.schemas.microtasks import (
    ZERO_HASH,
    BatchDetailOut,
    BatchOut,
    BatchProgressOut,
    ClaimIn,
    ClaimOut,
    ResultIn,
    ResultOut,
    ReviewIn,
    ReviewOut,
    SignedIn,
    TaskOut,
    VoucherIn,
    VoucherOut,
    WorkerVoucherOut,
)
from backend.services.documents import DocumentUnavailableError, get_document, resolve_metadata
from backend.services.microtasks.manifest import (
    MAX_MANIFEST_BYTES,
    ManifestError,
    allowlist_leaf,
    parse_manifest,
    task_hash,
    verify_proof,
)
from backend.services.microtasks.typed_data import (
    SignatureError,
    TypedMessage,
    claim_message,
    qualification_message,
    result_message,
    review_message,
    voucher_message,
)
from backend.services.notifications import VOUCHER_ISSUED, notify
from backend.services.storage.errors import StorageError
from backend.services.storage.ipfs import IpfsClient
from backend.services.storage.metadata import TaskBatchMetadata

log = logging.getLogger(__name__)

# The contract's QualificationKind.
QUALIFICATION_NONE, QUALIFICATION_ALLOWLIST, QUALIFICATION_QUALIFIER = 0, 1, 2


@dataclass(frozen=True)
class EscrowRef:
    """The MicrotaskEscrow this API serves: batch ids are unique within it."""

    chain_id: int
    address: str


# ------------------------------------------------------------------ reading


def get_batch(session: Session, escrow: EscrowRef, batch_id: int) -> MicrotaskBatch:
    batch = session.scalars(
        select(MicrotaskBatch).where(
            MicrotaskBatch.chain_id == escrow.chain_id,
            MicrotaskBatch.contract_address == escrow.address,
            MicrotaskBatch.batch_id == batch_id,
        )
    ).one_or_none()
    if batch is None:
        raise NotFoundError(f"no batch {batch_id} has been funded (or indexed yet) on this escrow")
    return batch


def batch_out(batch: MicrotaskBatch) -> BatchOut:
    return BatchOut(
        batch_id=batch.batch_id,
        chain_id=batch.chain_id,
        escrow=batch.contract_address,
        requester=batch.requester,
        token=batch.token,
        reward=str(batch.reward),
        task_count=batch.task_count,
        bonus_pool=str(batch.bonus_pool),
        escrowed=str(batch.escrowed),
        task_root=batch.task_root,
        assignment_duration=batch.assignment_duration,
        review_window=batch.review_window,
        expiry=batch.expiry,
        qualification_kind=batch.qualification_kind,
        qualification=batch.qualification,
        arbiter=batch.arbiter,
        manifest_cid=batch.manifest_cid,
        manifest_status=batch.manifest_status,
        manifest_error=batch.manifest_error,
        metadata_cid=batch.metadata_cid,
        metadata_hash=batch.metadata_hash,
        metadata_status=batch.metadata_status,
        title=batch.title,
        state=batch.state,
        paid=str(batch.paid),
        reclaimed=str(batch.reclaimed),
        funded_block=batch.funded_block,
    )


def list_batches(
    session: Session,
    escrow: EscrowRef,
    *,
    state: str | None,
    token: str | None,
    requester: str | None,
    min_reward: int | None,
    limit: int,
    cursor: str | None,
) -> Page[BatchOut]:
    """Batches newest first (by batch id), filtered; keyset-paginated on the batch id."""
    query = select(MicrotaskBatch).where(
        MicrotaskBatch.chain_id == escrow.chain_id, MicrotaskBatch.contract_address == escrow.address
    )
    if state is not None:
        query = query.where(MicrotaskBatch.state == state)
    if token is not None:
        query = query.where(MicrotaskBatch.token == token)
    if requester is not None:
        query = query.where(MicrotaskBatch.requester == requester)
    if min_reward is not None:
        query = query.where(MicrotaskBatch.reward >= min_reward)
    if cursor is not None:
        (after,) = decode_cursor(cursor, [int])
        query = query.where(MicrotaskBatch.batch_id < after)
    rows = session.scalars(query.order_by(MicrotaskBatch.batch_id.desc()).limit(limit + 1)).all()
    items = [batch_out(batch) for batch in rows[:limit]]
    next_cursor = encode_cursor([rows[limit - 1].batch_id]) if len(rows) > limit else None
    return Page[BatchOut](items=items, next_cursor=next_cursor)


def _live_claim(now: int) -> ColumnElement[bool]:
    return and_(MicrotaskTask.claimed_by.is_not(None), MicrotaskTask.claim_expires_at > now)


def _latest_vouchers(session: Session, batch: MicrotaskBatch) -> dict[str, int]:
    rows = session.execute(
        select(MicrotaskVoucher.worker, func.max(MicrotaskVoucher.cumulative_amount))
        .where(MicrotaskVoucher.batch_pk == batch.id)
        .group_by(MicrotaskVoucher.worker)
    ).all()
    # func.max returns the stored (padded) string: convert it as the column type would.
    return {worker: int(amount) for worker, amount in rows}


def batch_detail(session: Session, batch: MicrotaskBatch, now: int) -> BatchDetailOut:
    def count(model: type[MicrotaskTask] | type[MicrotaskResult], *conditions: ColumnElement[bool]) -> int:
        return (
            session.scalar(select(func.count()).select_from(model).where(model.batch_pk == batch.id, *conditions)) or 0
        )

    open_tasks = MicrotaskTask.status == "open"
    progress = BatchProgressOut(
        tasks_open=count(MicrotaskTask, open_tasks, ~_live_claim(now)),
        tasks_claimed=count(MicrotaskTask, open_tasks, _live_claim(now)),
        tasks_submitted=count(MicrotaskTask, MicrotaskTask.status == "submitted"),
        tasks_approved=count(MicrotaskTask, MicrotaskTask.status == "approved"),
        results_pending=count(MicrotaskResult, MicrotaskResult.status == "pending"),
        results_approved=count(MicrotaskResult, MicrotaskResult.status == "approved"),
        results_rejected=count(MicrotaskResult, MicrotaskResult.status == "rejected"),
        onchain_results=session.scalar(
            select(func.count()).select_from(MicrotaskOnchainResult).where(MicrotaskOnchainResult.batch_pk == batch.id)
        )
        or 0,
        vouchered=str(sum(_latest_vouchers(session, batch).values())),
    )
    return BatchDetailOut(**batch_out(batch).model_dump(), progress=progress)


def list_tasks(session: Session, batch: MicrotaskBatch, now: int, limit: int, cursor: str | None) -> Page[TaskOut]:
    """The batch's tasks by index with their claim state (empty until the manifest is verified)."""
    query = select(MicrotaskTask).where(MicrotaskTask.batch_pk == batch.id)
    if cursor is not None:
        (after,) = decode_cursor(cursor, [int])
        query = query.where(MicrotaskTask.task_index > after)
    rows = session.scalars(query.order_by(MicrotaskTask.task_index).limit(limit + 1)).all()
    items = []
    for task in rows[:limit]:
        live = task.claimed_by is not None and (task.claim_expires_at or 0) > now
        status = "claimed" if task.status == "open" and live else task.status
        items.append(
            TaskOut(
                task_index=task.task_index,
                task_hash=task.task_hash,
                input=task.input,
                proof=task.proof,
                status=status,
                claimed_by=task.claimed_by if live or task.status != "open" else None,
                claim_expires_at=task.claim_expires_at if live else None,
            )
        )
    next_cursor = encode_cursor([rows[limit - 1].task_index]) if len(rows) > limit else None
    return Page[TaskOut](items=items, next_cursor=next_cursor)


def _result_out(batch: MicrotaskBatch, result: MicrotaskResult) -> ResultOut:
    return ResultOut(
        result_id=result.id,
        batch_id=batch.batch_id,
        task_index=result.task_index,
        worker=result.worker,
        result_hash=result.result_hash,
        result_cid=result.result_cid,
        submitted_at=result.submitted_at,
        signature=result.signature,
        status=result.status,
    )


def list_results(
    session: Session, batch: MicrotaskBatch, status: str | None, limit: int, cursor: str | None
) -> Page[ResultOut]:
    """The requester's review queue: results oldest first, optionally of one status."""
    query = select(MicrotaskResult).where(MicrotaskResult.batch_pk == batch.id)
    if status is not None:
        query = query.where(MicrotaskResult.status == status)
    if cursor is not None:
        (after,) = decode_cursor(cursor, [int])
        query = query.where(MicrotaskResult.id > after)
    rows = session.scalars(query.order_by(MicrotaskResult.id).limit(limit + 1)).all()
    next_cursor = encode_cursor([rows[limit - 1].id]) if len(rows) > limit else None
    return Page[ResultOut](items=[_result_out(batch, r) for r in rows[:limit]], next_cursor=next_cursor)


def _redeemed(session: Session, batch_pk: int, worker: str) -> int:
    amount = session.scalar(
        select(func.max(MicrotaskRedemption.cumulative_amount)).where(
            MicrotaskRedemption.batch_pk == batch_pk, MicrotaskRedemption.worker == worker
        )
    )
    return 0 if amount is None else int(amount)


def worker_vouchers(session: Session, escrow: EscrowRef, worker: str) -> list[WorkerVoucherOut]:
    """The latest voucher of every batch the worker holds one for, with what is left to redeem."""
    latest = (
        select(MicrotaskVoucher.batch_pk, func.max(MicrotaskVoucher.cumulative_amount).label("amount"))
        .where(MicrotaskVoucher.worker == worker)
        .group_by(MicrotaskVoucher.batch_pk)
        .subquery()
    )
    rows = session.execute(
        select(MicrotaskVoucher, MicrotaskBatch)
        .join(
            latest,
            and_(MicrotaskVoucher.batch_pk == latest.c.batch_pk, MicrotaskVoucher.cumulative_amount == latest.c.amount),
        )
        .join(MicrotaskBatch, MicrotaskBatch.id == MicrotaskVoucher.batch_pk)
        .where(
            MicrotaskVoucher.worker == worker,
            MicrotaskBatch.chain_id == escrow.chain_id,
            MicrotaskBatch.contract_address == escrow.address,
        )
        .order_by(MicrotaskBatch.batch_id)
    ).all()
    out = []
    for voucher, batch in rows:
        redeemed = _redeemed(session, batch.id, worker)
        out.append(
            WorkerVoucherOut(
                **_voucher_out(batch, voucher).model_dump(),
                token=batch.token,
                batch_state=batch.state,
                redeemed=str(redeemed),
                redeemable=str(max(voucher.cumulative_amount - redeemed, 0)),
            )
        )
    return out


# ------------------------------------------------------------------ the manifest


def ensure_manifest(session: Session, ipfs: IpfsClient, batch: MicrotaskBatch) -> None:
    """Load the batch's tasks from its manifest once (again later if IPFS did not have it).

    The manifest and the metadata it names are kept as local copies (`get_document`), so
    the batch stays readable if their pins are lost.
    """
    if batch.manifest_status in ("verified", "invalid"):
        return
    try:
        _load_manifest(session, ipfs, batch)
        session.commit()
    except IntegrityError:
        # Another request (or the indexer) loaded the same manifest or kept the same document
        # first; its rows may collide at commit or at any autoflush before it: use its work.
        session.rollback()
        session.refresh(batch)


def _load_manifest(session: Session, ipfs: IpfsClient, batch: MicrotaskBatch) -> None:
    try:
        raw = get_document(session, ipfs, batch.manifest_cid, MAX_MANIFEST_BYTES)
        manifest = parse_manifest(raw, batch.task_root, batch.task_count)
    except DocumentUnavailableError as error:
        batch.manifest_status, batch.manifest_error = "unavailable", str(error)[:500]
    except (ManifestError, StorageError) as error:  # not matching the chain, not a CID, oversized
        batch.manifest_status, batch.manifest_error = "invalid", str(error)[:500]
    else:
        for task in manifest.tasks:
            session.add(
                MicrotaskTask(
                    batch_pk=batch.id,
                    task_index=task.index,
                    task_hash=encode_hex(task_hash(task.input)),
                    input=task.input,
                    proof=list(task.proof),
                    status="open",
                )
            )
        batch.manifest_status, batch.manifest_error = "verified", None
        batch.metadata_cid, batch.metadata_hash = manifest.metadata_cid, manifest.metadata_hash
    if batch.metadata_cid is not None and batch.metadata_hash is not None and batch.metadata_status != "verified":
        resolution = resolve_metadata(session, ipfs, batch.metadata_cid, bytes.fromhex(batch.metadata_hash[2:]))
        batch.metadata_status = resolution.status.value
        if isinstance(resolution.metadata, TaskBatchMetadata):
            batch.title = resolution.metadata.title


def load_new_manifests(engine: Engine, ipfs: IpfsClient, batch: int = 5) -> int:
    """Load the manifests of newly indexed batches (the indexer process calls this after each
    run), so lists show titles and tasks without waiting for a first detail request. Batches
    whose manifest IPFS did not have are retried on request (`ensure_manifest`), not here,
    so a missing CID never holds up indexing twice. Returns how many were tried."""
    with Session(engine) as session:
        pending = session.scalars(
            select(MicrotaskBatch.id)
            .where(MicrotaskBatch.manifest_status == "pending")
            .order_by(MicrotaskBatch.id)
            .limit(batch)
        ).all()
    for batch_pk in pending:
        with Session(engine) as session:
            row = session.get(MicrotaskBatch, batch_pk)
            if row is not None:  # gone if a reorg orphaned it meanwhile
                ensure_manifest(session, ipfs, row)
    return len(pending)


# ------------------------------------------------------------------ signed messages


def _check_domain(payload: SignedIn, escrow: EscrowRef) -> None:
    if payload.chain_id != escrow.chain_id:
        raise BadRequestError(f"signed for chain {payload.chain_id}; this escrow is on chain {escrow.chain_id}")
    if payload.verifying_contract != escrow.address:
        raise BadRequestError(f"signed for contract {payload.verifying_contract}; this escrow is {escrow.address}")


def _check_deadline(deadline: int, now: int) -> None:
    if now > deadline:
        raise BadRequestError(f"the message expired at {deadline} (now {now}); sign a new one")


def _verify(message: TypedMessage, signature: str, signer: str, role: str) -> str:
    """The message's digest, once the signature is well-formed and by `signer`."""
    try:
        recovered = message.recover(bytes.fromhex(signature[2:]))
    except SignatureError as error:
        raise BadRequestError(f"invalid signature: {error}") from error
    if recovered != signer:
        raise ForbiddenError(f"signed by {recovered}, not by the {role} {signer}")
    return message.digest


def _check_unused(
    session: Session, model: type[MicrotaskClaim | MicrotaskResult | MicrotaskReview], digest: str
) -> None:
    if session.scalar(select(model.id).where(model.digest == digest)) is not None:
        raise ConflictError("this signed message was already accepted (replay)")


def _accepted_digest(
    session: Session,
    escrow: EscrowRef,
    payload: ClaimIn | ResultIn | ReviewIn,
    *,
    now: int,
    message: TypedMessage,
    signer: tuple[str, str],
    model: type[MicrotaskClaim | MicrotaskResult | MicrotaskReview],
) -> str:
    """The digest of a signed claim, result or review this escrow can accept: signed for its
    domain, not expired, by `signer` (address, role), and never accepted before."""
    _check_domain(payload, escrow)
    _check_deadline(payload.deadline, now)
    digest = _verify(message, payload.signature, *signer)
    _check_unused(session, model, digest)
    return digest


def _commit(session: Session, what: str) -> None:
    try:
        session.commit()
    except IntegrityError as error:
        session.rollback()
        raise ConflictError(f"{what} conflicts with one accepted at the same moment; reload and retry") from error


def _require_open(batch: MicrotaskBatch) -> None:
    if batch.state != "open":
        raise ConflictError(f"batch {batch.batch_id} is closed")


def claim_task(session: Session, escrow: EscrowRef, batch: MicrotaskBatch, claim: ClaimIn, now: int) -> ClaimOut:
    """Give the worker the task for `assignment_duration` seconds, if nobody holds it."""
    message = claim_message(
        escrow.chain_id,
        escrow.address,
        batch_id=batch.batch_id,
        task_index=claim.task_index,
        worker=claim.worker,
        deadline=claim.deadline,
    )
    digest = _accepted_digest(
        session, escrow, claim, now=now, message=message, signer=(claim.worker, "worker"), model=MicrotaskClaim
    )
    _require_open(batch)
    if now >= batch.expiry:
        raise ConflictError(f"batch {batch.batch_id} stopped taking work at {batch.expiry}")
    if batch.manifest_status != "verified":
        raise ConflictError(f"batch {batch.batch_id} has no verified tasks (manifest {batch.manifest_status})")
    _check_qualified(escrow, batch, claim.worker, bytes.fromhex(claim.qualification_proof[2:]))
    task = _task(session, batch, claim.task_index)
    expires_at = now + batch.assignment_duration
    # One conditional UPDATE: of two workers claiming at once, exactly one wins.
    taken = session.execute(
        update(MicrotaskTask)
        .where(
            MicrotaskTask.id == task.id,
            MicrotaskTask.status == "open",
            or_(MicrotaskTask.claimed_by.is_(None), MicrotaskTask.claim_expires_at <= now),
        )
        .values(claimed_by=claim.worker, claim_expires_at=expires_at)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        session.refresh(task)
        if task.status != "open":
            raise ConflictError(f"task {claim.task_index} is {task.status}")
        raise ConflictError(f"task {claim.task_index} is claimed by {task.claimed_by} until {task.claim_expires_at}")
    row = MicrotaskClaim(
        batch_pk=batch.id,
        task_index=claim.task_index,
        worker=claim.worker,
        claimed_at=now,
        expires_at=expires_at,
        deadline=claim.deadline,
        signature=claim.signature,
        digest=digest,
    )
    session.add(row)
    _commit(session, "the claim")
    return ClaimOut(
        claim_id=row.id,
        batch_id=batch.batch_id,
        task_index=row.task_index,
        worker=row.worker,
        claimed_at=row.claimed_at,
        expires_at=row.expires_at,
    )


def _check_qualified(escrow: EscrowRef, batch: MicrotaskBatch, worker: str, proof: bytes) -> None:
    """The contract's qualification check (`submitResult`), applied to off-chain claims."""
    if batch.qualification_kind == QUALIFICATION_NONE:
        return
    root = bytes.fromhex(batch.qualification[2:])
    if batch.qualification_kind == QUALIFICATION_ALLOWLIST:
        try:
            (path,) = decode(["bytes32[]"], proof)
        except (DecodingError, ValueError):
            qualified = False
        else:
            qualified = verify_proof(allowlist_leaf(worker), list(path), root)
    else:
        qualifier = to_checksum_address(root[12:])
        message = qualification_message(escrow.chain_id, escrow.address, batch_id=batch.batch_id, worker=worker)
        try:
            qualified = message.recover(proof) == qualifier
        except SignatureError:
            qualified = False
    if not qualified:
        raise ForbiddenError(f"{worker} is not qualified for batch {batch.batch_id} (qualification_proof)")


def _task(session: Session, batch: MicrotaskBatch, task_index: int) -> MicrotaskTask:
    task = session.scalars(
        select(MicrotaskTask).where(MicrotaskTask.batch_pk == batch.id, MicrotaskTask.task_index == task_index)
    ).one_or_none()
    if task is None:
        raise NotFoundError(f"batch {batch.batch_id} has no task {task_index} (it has {batch.task_count})")
    return task


def submit_result(session: Session, escrow: EscrowRef, batch: MicrotaskBatch, result: ResultIn, now: int) -> ResultOut:
    """Accept the result of a task the worker holds a live claim on."""
    message = result_message(
        escrow.chain_id,
        escrow.address,
        batch_id=batch.batch_id,
        task_index=result.task_index,
        worker=result.worker,
        result_hash=result.result_hash,
        result_cid=result.result_cid,
        deadline=result.deadline,
    )
    digest = _accepted_digest(
        session, escrow, result, now=now, message=message, signer=(result.worker, "worker"), model=MicrotaskResult
    )
    _require_open(batch)
    task = _task(session, batch, result.task_index)
    if task.status != "open" or task.claimed_by != result.worker or (task.claim_expires_at or 0) <= now:
        raise ConflictError(f"{result.worker} holds no live claim on task {result.task_index}; claim it first")
    claim = session.scalars(
        select(MicrotaskClaim)
        .where(
            MicrotaskClaim.batch_pk == batch.id,
            MicrotaskClaim.task_index == result.task_index,
            MicrotaskClaim.worker == result.worker,
        )
        .order_by(MicrotaskClaim.id.desc())
        .limit(1)
    ).one()
    row = MicrotaskResult(
        batch_pk=batch.id,
        claim_id=claim.id,
        task_index=result.task_index,
        worker=result.worker,
        result_hash=result.result_hash,
        result_cid=result.result_cid,
        submitted_at=now,
        deadline=result.deadline,
        signature=result.signature,
        digest=digest,
        status="pending",
    )
    session.add(row)
    task.status = "submitted"
    _commit(session, "the result")
    return _result_out(batch, row)


def review_result(session: Session, escrow: EscrowRef, batch: MicrotaskBatch, review: ReviewIn, now: int) -> ReviewOut:
    """The requester approves (with an optional bonus) or rejects (with a reason hash) a pending result."""
    bonus = int(review.bonus)
    if not review.approved and review.reason_hash == ZERO_HASH:
        raise BadRequestError("a rejection needs the hash of its reason (reason_hash)")
    if not review.approved and bonus:
        raise BadRequestError("a rejection carries no bonus")
    message = review_message(
        escrow.chain_id,
        escrow.address,
        batch_id=batch.batch_id,
        task_index=review.task_index,
        worker=review.worker,
        approved=review.approved,
        reason_hash=review.reason_hash,
        bonus=bonus,
        deadline=review.deadline,
    )
    requester = (batch.requester, "batch's requester")
    digest = _accepted_digest(
        session, escrow, review, now=now, message=message, signer=requester, model=MicrotaskReview
    )
    result = session.scalars(
        select(MicrotaskResult)
        .where(
            MicrotaskResult.batch_pk == batch.id,
            MicrotaskResult.task_index == review.task_index,
            MicrotaskResult.worker == review.worker,
        )
        .order_by(MicrotaskResult.id.desc())
        .limit(1)
    ).one_or_none()
    if result is None:
        raise NotFoundError(f"{review.worker} submitted no result for task {review.task_index}")
    if result.status != "pending":
        raise ConflictError(f"the result of task {review.task_index} by {review.worker} is already {result.status}")
    session.add(
        MicrotaskReview(
            result_id=result.id,
            batch_pk=batch.id,
            approved=review.approved,
            reason_hash=review.reason_hash,
            bonus=bonus,
            reviewed_at=now,
            deadline=review.deadline,
            signature=review.signature,
            digest=digest,
        )
    )
    task = _task(session, batch, review.task_index)
    if review.approved:
        result.status, task.status = "approved", "approved"
    else:
        # A rejected task goes back to the pool for any worker.
        result.status, task.status = "rejected", "open"
        task.claimed_by, task.claim_expires_at = None, None
    _commit(session, "the review")
    return ReviewOut(
        result_id=result.id,
        batch_id=batch.batch_id,
        task_index=result.task_index,
        worker=result.worker,
        approved=review.approved,
        reason_hash=review.reason_hash,
        bonus=str(bonus),
        reviewed_at=now,
    )


def _voucher_out(batch: MicrotaskBatch, voucher: MicrotaskVoucher) -> VoucherOut:
    return VoucherOut(
        batch_id=batch.batch_id,
        chain_id=batch.chain_id,
        escrow=batch.contract_address,
        worker=voucher.worker,
        cumulative_amount=str(voucher.cumulative_amount),
        signature=voucher.signature,
        issued_at=voucher.issued_at,
    )


def payable_by_vouchers(session: Session, batch: MicrotaskBatch) -> int:
    """What the batch's escrow can pay by vouchers in total: the escrow minus rewards
    reserved (or paid) for on-chain results and what the requester reclaimed."""
    onchain = session.scalar(
        select(func.count())
        .select_from(MicrotaskOnchainResult)
        .where(MicrotaskOnchainResult.batch_pk == batch.id, MicrotaskOnchainResult.state != "rejection_upheld")
    )
    return batch.escrowed - batch.reward * (onchain or 0) - batch.reclaimed


def issue_voucher(
    session: Session, escrow: EscrowRef, batch: MicrotaskBatch, voucher: VoucherIn, now: int
) -> VoucherOut:
    """Store a requester's cumulative voucher for a worker, exactly as the contract redeems it.

    The one place vouchers are issued (notifications hook in here). Refused: a voucher for
    a closed batch, one not above the worker's latest voucher or on-chain redemption, and
    one that would make the batch's vouchers together exceed what its escrow can pay.
    """
    _check_domain(voucher, escrow)
    amount = int(voucher.cumulative_amount)
    message = voucher_message(
        escrow.chain_id, escrow.address, batch_id=batch.batch_id, worker=voucher.worker, cumulative_amount=amount
    )
    _verify(message, voucher.signature, batch.requester, "batch's requester")
    _require_open(batch)
    latest = _latest_vouchers(session, batch)
    previous = latest.get(voucher.worker, 0)
    if amount == previous:
        raise ConflictError(f"a voucher of {amount} for {voucher.worker} was already accepted (replay)")
    if amount < previous:
        raise ConflictError(
            f"cumulative amounts never decrease: {voucher.worker} already holds a voucher of {previous}"
        )
    redeemed = _redeemed(session, batch.id, voucher.worker)
    if amount <= redeemed:
        raise ConflictError(f"{voucher.worker} was already paid {redeemed} on chain; the voucher would pay nothing")
    committed = sum(latest.values()) - previous + amount
    payable = payable_by_vouchers(session, batch)
    if committed > payable:
        raise ConflictError(f"the batch's vouchers would total {committed}, more than its escrow can pay ({payable})")
    row = MicrotaskVoucher(
        batch_pk=batch.id,
        worker=voucher.worker,
        cumulative_amount=amount,
        signature=voucher.signature,
        issued_at=now,
    )
    session.add(row)
    notify(
        session,
        chain_id=escrow.chain_id,
        address=voucher.worker,
        kind=VOUCHER_ISSUED,
        payload={"escrow": escrow.address, "batch_id": str(batch.batch_id), "cumulative_amount": str(amount)},
        dedupe_key=f"{VOUCHER_ISSUED}:{escrow.chain_id}:{escrow.address}:{batch.batch_id}:{voucher.worker}:{amount}",
        # Removed with the batch if a reorg orphans the block that funded it.
        block_number=batch.funded_block,
    )
    _commit(session, "the voucher")
    log.info("voucher issued: batch %d, worker %s, cumulative %d", batch.batch_id, voucher.worker, amount)
    return _voucher_out(batch, row)
