"""/api/batches and /api/workers/{address}/vouchers: micro-task batches, their tasks, and
the signed off-chain messages (claims, results, reviews, vouchers). Logic: services/microtasks."""

import time
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, status
from sqlalchemy.orm import Session

from backend.api.deps import EngineDep, IpfsDep, SettingsDep
from backend.schemas.common import EthAddress, Page, PageLimit, TokenAmount
from backend.schemas.microtasks import (
    BatchDetailOut,
    BatchOut,
    ClaimIn,
    ClaimOut,
    ErrorOut,
    ResultIn,
    ResultOut,
    ReviewIn,
    ReviewOut,
    TaskOut,
    VoucherIn,
    VoucherOut,
    WorkerVoucherOut,
)
from backend.services.deployments import load_deployments
from backend.services.microtasks import service
from backend.services.microtasks.service import EscrowRef

router = APIRouter(prefix="/api", tags=["micro-tasks"])


def get_session(engine: EngineDep) -> Iterator[Session]:
    with Session(engine) as session:
        yield session


def get_escrow(settings: SettingsDep) -> EscrowRef:
    """The MicrotaskEscrow of the deployments file: the chain and contract every signature must name."""
    deployments = load_deployments(settings.deployments_file)
    return EscrowRef(deployments.chain_id, deployments.contract("MicrotaskEscrow").address)


SessionDep = Annotated[Session, Depends(get_session)]
EscrowDep = Annotated[EscrowRef, Depends(get_escrow)]
BatchIdPath = Annotated[int, Path(ge=1, lt=2**63, description="The batch id on the escrow")]


def _now() -> int:
    return int(time.time())


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    descriptions = {
        400: "Malformed, expired or wrongly signed message (wrong chain, contract, or a malleable signature)",
        403: "The signature is valid but not by the party who must sign",
        404: "No such batch, task or result",
        409: "The state does not allow it (task taken, replayed message, amount too high, batch closed)",
    }
    return {code: {"model": ErrorOut, "description": descriptions[code]} for code in codes}


@router.get("/batches", summary="List batches", response_model=Page[BatchOut], responses=_errors(400))
def list_batches(
    *,
    session: SessionDep,
    escrow: EscrowDep,
    state: Literal["open", "closed"] | None = None,
    token: Annotated[EthAddress | None, Query(description="address(0) for ETH")] = None,
    requester: EthAddress | None = None,
    min_reward: Annotated[TokenAmount | None, Query(description="Smallest reward per task")] = None,
    limit: PageLimit = 20,
    cursor: str | None = None,
) -> Page[BatchOut]:
    """Funded batches, newest first, with filters; pass `next_cursor` as `cursor` for more."""
    return service.list_batches(
        session,
        escrow,
        state=state,
        token=token,
        requester=requester,
        min_reward=None if min_reward is None else int(min_reward),
        limit=limit,
        cursor=cursor,
    )


@router.get(
    "/batches/{batch_id}",
    summary="One batch with its progress",
    response_model=BatchDetailOut,
    responses=_errors(404),
)
def get_batch(batch_id: BatchIdPath, session: SessionDep, escrow: EscrowDep, ipfs: IpfsDep) -> BatchDetailOut:
    """The batch's terms, escrow totals, manifest status and progress counts."""
    batch = service.get_batch(session, escrow, batch_id)
    service.ensure_manifest(session, ipfs, batch)
    return service.batch_detail(session, batch, _now())


@router.get(
    "/batches/{batch_id}/tasks",
    summary="The batch's tasks with their claim state",
    response_model=Page[TaskOut],
    responses=_errors(400, 404),
)
def list_tasks(
    *,
    batch_id: BatchIdPath,
    session: SessionDep,
    escrow: EscrowDep,
    ipfs: IpfsDep,
    limit: PageLimit = 50,
    cursor: str | None = None,
) -> Page[TaskOut]:
    """Tasks by index (from the verified manifest), each open, claimed, submitted or approved."""
    batch = service.get_batch(session, escrow, batch_id)
    service.ensure_manifest(session, ipfs, batch)
    return service.list_tasks(session, batch, _now(), limit, cursor)


@router.post(
    "/batches/{batch_id}/claims",
    summary="Claim a task (signed by the worker)",
    status_code=status.HTTP_201_CREATED,
    response_model=ClaimOut,
    responses=_errors(400, 403, 404, 409),
)
def claim_task(
    batch_id: BatchIdPath, claim: ClaimIn, session: SessionDep, escrow: EscrowDep, ipfs: IpfsDep
) -> ClaimOut:
    """The task is the worker's for the batch's `assignment_duration`; then anyone may claim it again."""
    batch = service.get_batch(session, escrow, batch_id)
    service.ensure_manifest(session, ipfs, batch)
    return service.claim_task(session, escrow, batch, claim, _now())


@router.post(
    "/batches/{batch_id}/results",
    summary="Submit a result (signed by the worker)",
    status_code=status.HTTP_201_CREATED,
    response_model=ResultOut,
    responses=_errors(400, 403, 404, 409),
)
def submit_result(batch_id: BatchIdPath, result: ResultIn, session: SessionDep, escrow: EscrowDep) -> ResultOut:
    """Accepted while the worker's claim on the task is live."""
    batch = service.get_batch(session, escrow, batch_id)
    return service.submit_result(session, escrow, batch, result, _now())


@router.get(
    "/batches/{batch_id}/results",
    summary="The requester's review queue",
    response_model=Page[ResultOut],
    responses=_errors(400, 404),
)
def list_results(
    *,
    batch_id: BatchIdPath,
    session: SessionDep,
    escrow: EscrowDep,
    result_status: Annotated[Literal["pending", "approved", "rejected"] | None, Query(alias="status")] = None,
    limit: PageLimit = 50,
    cursor: str | None = None,
) -> Page[ResultOut]:
    """Results oldest first; `status=pending` is what still waits for a review."""
    batch = service.get_batch(session, escrow, batch_id)
    return service.list_results(session, batch, result_status, limit, cursor)


@router.post(
    "/batches/{batch_id}/reviews",
    summary="Approve or reject a result (signed by the requester)",
    status_code=status.HTTP_201_CREATED,
    response_model=ReviewOut,
    responses=_errors(400, 403, 404, 409),
)
def review_result(batch_id: BatchIdPath, review: ReviewIn, session: SessionDep, escrow: EscrowDep) -> ReviewOut:
    """An approval may carry a bonus; a rejection needs a reason hash and frees the task again."""
    batch = service.get_batch(session, escrow, batch_id)
    return service.review_result(session, escrow, batch, review, _now())


@router.post(
    "/batches/{batch_id}/vouchers",
    summary="Store a cumulative voucher (signed by the requester)",
    status_code=status.HTTP_201_CREATED,
    response_model=VoucherOut,
    responses=_errors(400, 403, 404, 409),
)
def issue_voucher(batch_id: BatchIdPath, voucher: VoucherIn, session: SessionDep, escrow: EscrowDep) -> VoucherOut:
    """The contract's own `Voucher` typed data: the stored signature redeems with `redeemVoucher`."""
    batch = service.get_batch(session, escrow, batch_id)
    return service.issue_voucher(session, escrow, batch, voucher, _now())


@router.get(
    "/workers/{address}/vouchers",
    summary="A worker's latest vouchers and what is left to redeem",
    response_model=list[WorkerVoucherOut],
)
def worker_vouchers(
    address: Annotated[EthAddress, Path()], session: SessionDep, escrow: EscrowDep
) -> list[WorkerVoucherOut]:
    """Per batch: the latest voucher (redeem it with `redeemVoucher`), what was already paid on chain, what is left."""
    return service.worker_vouchers(session, escrow, address)
