"""Input and output models of /api/batches and /api/workers/{address}/vouchers.

Amounts are decimal strings (uint256 exceeds JSON's safe integers); times are Unix seconds.
Every signed input names the chain and the escrow it was signed for, so a signature made
for another deployment is refused with a clear message instead of "wrong signer".
"""

from typing import Any, Literal

from pydantic import BaseModel, Field

from backend.schemas.common import EthAddress, Hex32, HexBytes, TokenAmount

UnixSeconds = int
ZERO_HASH = "0x" + "0" * 64


class SignedIn(BaseModel):
    chain_id: int = Field(ge=1, description="Chain id of the EIP-712 domain the message was signed for")
    verifying_contract: EthAddress = Field(description="The MicrotaskEscrow of the EIP-712 domain")
    signature: HexBytes = Field(description="65-byte EIP-712 signature r || s || v (v 27/28, low s)")


class _DeadlineIn(SignedIn):
    deadline: int = Field(ge=0, lt=2**64, description="Unix seconds after which the message is refused")


class ClaimIn(_DeadlineIn):
    """`Claim(batchId, taskIndex, worker, deadline)` signed by the worker."""

    task_index: int = Field(ge=0, lt=2**32)
    worker: EthAddress
    qualification_proof: HexBytes = Field(
        default="0x",
        max_length=8192,
        description="As `submitResult`'s qualificationProof: abi.encode(bytes32[]) for an allowlist, "
        "the qualifier's Qualification signature otherwise; empty when the batch needs none",
    )


class ResultIn(_DeadlineIn):
    """`Result(batchId, taskIndex, worker, resultHash, resultCid, deadline)` signed by the worker."""

    task_index: int = Field(ge=0, lt=2**32)
    worker: EthAddress
    result_hash: Hex32 = Field(description="Hash of the result; the contract's `resultHash` if posted on chain")
    result_cid: str = Field(min_length=1, max_length=200, description="CID of the result (often an envelope)")


class ReviewIn(_DeadlineIn):
    """`Review(batchId, taskIndex, worker, approved, reasonHash, bonus, deadline)` signed by the requester."""

    task_index: int = Field(ge=0, lt=2**32)
    worker: EthAddress
    approved: bool
    reason_hash: Hex32 = Field(default=ZERO_HASH, description="Hash of the rejection reason (zero when approved)")
    bonus: TokenAmount = Field(default="0", description="Bonus on top of the reward (approvals only)")


class VoucherIn(SignedIn):
    """The contract's `Voucher(batchId, worker, cumulativeAmount)` signed by the requester."""

    worker: EthAddress
    cumulative_amount: TokenAmount


class BatchProgressOut(BaseModel):
    tasks_open: int
    tasks_claimed: int
    tasks_submitted: int
    tasks_approved: int
    results_pending: int
    results_approved: int
    results_rejected: int
    onchain_results: int
    vouchered: TokenAmount = Field(description="Sum of the latest voucher of every worker")


class BatchOut(BaseModel):
    batch_id: int
    chain_id: int
    escrow: EthAddress
    requester: EthAddress
    token: EthAddress
    reward: TokenAmount
    task_count: int
    bonus_pool: TokenAmount
    escrowed: TokenAmount
    task_root: Hex32
    assignment_duration: int
    review_window: int
    expiry: UnixSeconds
    qualification_kind: int = Field(description="0 none, 1 allowlist, 2 qualifier")
    qualification: Hex32
    arbiter: EthAddress
    manifest_cid: str
    manifest_status: Literal["pending", "verified", "invalid", "unavailable"]
    manifest_error: str | None
    metadata_cid: str | None
    metadata_hash: Hex32 | None
    metadata_status: str
    title: str | None
    state: Literal["open", "closed"]
    paid: TokenAmount = Field(description="Paid on chain by vouchers and settlement claims")
    reclaimed: TokenAmount
    funded_block: int


class BatchDetailOut(BatchOut):
    progress: BatchProgressOut


class TaskOut(BaseModel):
    task_index: int
    task_hash: Hex32
    input: Any
    proof: list[Hex32] = Field(description="Merkle proof for `submitResult` (the slow path)")
    status: Literal["open", "claimed", "submitted", "approved"]
    claimed_by: EthAddress | None
    claim_expires_at: UnixSeconds | None


class ClaimOut(BaseModel):
    claim_id: int
    batch_id: int
    task_index: int
    worker: EthAddress
    claimed_at: UnixSeconds
    expires_at: UnixSeconds


class ResultOut(BaseModel):
    result_id: int
    batch_id: int
    task_index: int
    worker: EthAddress
    result_hash: Hex32
    result_cid: str
    submitted_at: UnixSeconds
    signature: HexBytes
    status: Literal["pending", "approved", "rejected"]


class ReviewOut(BaseModel):
    result_id: int
    batch_id: int
    task_index: int
    worker: EthAddress
    approved: bool
    reason_hash: Hex32
    bonus: TokenAmount
    reviewed_at: UnixSeconds


class VoucherOut(BaseModel):
    batch_id: int
    chain_id: int
    escrow: EthAddress
    worker: EthAddress
    cumulative_amount: TokenAmount
    signature: HexBytes
    issued_at: UnixSeconds


class WorkerVoucherOut(VoucherOut):
    """The latest voucher of a batch and what redeeming it now would pay."""

    token: EthAddress
    batch_state: Literal["open", "closed"]
    redeemed: TokenAmount = Field(description="Already paid on chain to this worker from this batch")
    redeemable: TokenAmount = Field(description="cumulative_amount - redeemed (0 if nothing is left to redeem)")


class ErrorOut(BaseModel):
    """The body of every 4xx answer."""

    detail: str
