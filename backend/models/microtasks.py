"""Micro-task batches: what the chain says (funding, redemptions, on-chain results, closing)
and the off-chain work the backend coordinates (tasks, claims, results, reviews, vouchers).

On-chain rows are built by the micro-task projection and rebuilt from `chain_events` after a
reorg; off-chain rows hang off their batch and go with it if its funding is orphaned (they
were signed for terms that no longer exist on chain).
"""

from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import ADDRESS_LENGTH, HASH_LENGTH, Base, BigId, Uint256

CID_LENGTH = 200
_BATCH_FK = "microtask_batches.id"


class MicrotaskBatch(Base):
    """A funded batch (`BatchFunded`), its running escrow totals and its manifest's status."""

    __tablename__ = "microtask_batches"
    __table_args__ = (
        UniqueConstraint("chain_id", "contract_address", "batch_id"),
        Index("ix_microtask_batches_state_reward", "state", "reward"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    chain_id: Mapped[int] = mapped_column(BigInteger)
    contract_address: Mapped[str] = mapped_column(String(ADDRESS_LENGTH))
    batch_id: Mapped[int] = mapped_column(BigInteger)
    requester: Mapped[str] = mapped_column(String(ADDRESS_LENGTH), index=True)
    token: Mapped[str] = mapped_column(String(ADDRESS_LENGTH), index=True)
    reward: Mapped[int] = mapped_column(Uint256)
    task_count: Mapped[int] = mapped_column(BigInteger)
    bonus_pool: Mapped[int] = mapped_column(Uint256)
    escrowed: Mapped[int] = mapped_column(Uint256)
    task_root: Mapped[str] = mapped_column(String(HASH_LENGTH))
    assignment_duration: Mapped[int] = mapped_column(BigInteger)
    review_window: Mapped[int] = mapped_column(BigInteger)
    expiry: Mapped[int] = mapped_column(BigInteger)
    qualification_kind: Mapped[int] = mapped_column(Integer)
    qualification: Mapped[str] = mapped_column(String(HASH_LENGTH))
    arbiter: Mapped[str] = mapped_column(String(ADDRESS_LENGTH))
    manifest_cid: Mapped[str] = mapped_column(String(CID_LENGTH))
    manifest_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))
    # pending | verified | invalid | unavailable (see docs/microtask.md, "Task manifest")
    manifest_status: Mapped[str] = mapped_column(String(16), default="pending")
    manifest_error: Mapped[str | None] = mapped_column(String(500), default=None)
    # The TaskBatchMetadata the manifest names; its status as the documents service reports it.
    metadata_cid: Mapped[str | None] = mapped_column(String(CID_LENGTH), default=None)
    metadata_hash: Mapped[str | None] = mapped_column(String(HASH_LENGTH), default=None)
    metadata_status: Mapped[str] = mapped_column(String(16), default="pending")
    title: Mapped[str | None] = mapped_column(String(200), default=None)
    # open | closed
    state: Mapped[str] = mapped_column(String(8), default="open")
    paid: Mapped[int] = mapped_column(Uint256, default=0)
    reclaimed: Mapped[int] = mapped_column(Uint256, default=0)
    funded_block: Mapped[int] = mapped_column(BigInteger)
    funded_tx: Mapped[str] = mapped_column(String(HASH_LENGTH))
    # Highest block of an event applied to this batch: a rewind below it rebuilds the batch.
    last_event_block: Mapped[int] = mapped_column(BigInteger)


class MicrotaskTask(Base):
    """One task of a batch's manifest, verified against the batch's task root."""

    __tablename__ = "microtask_tasks"
    __table_args__ = (UniqueConstraint("batch_pk", "task_index"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    batch_pk: Mapped[int] = mapped_column(ForeignKey(_BATCH_FK, ondelete="CASCADE"))
    task_index: Mapped[int] = mapped_column(BigInteger)
    task_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))
    input: Mapped[Any] = mapped_column(JSON)
    proof: Mapped[list[str]] = mapped_column(JSON)
    # open | submitted | approved; a live claim is `claimed_by` with `claim_expires_at` in the future.
    status: Mapped[str] = mapped_column(String(16), default="open")
    claimed_by: Mapped[str | None] = mapped_column(String(ADDRESS_LENGTH), default=None)
    claim_expires_at: Mapped[int | None] = mapped_column(BigInteger, default=None)


class MicrotaskClaim(Base):
    """A worker's signed claim of a task, valid `assignment_duration` seconds."""

    __tablename__ = "microtask_claims"
    __table_args__ = (Index("ix_microtask_claims_batch_task", "batch_pk", "task_index"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    batch_pk: Mapped[int] = mapped_column(ForeignKey(_BATCH_FK, ondelete="CASCADE"))
    task_index: Mapped[int] = mapped_column(BigInteger)
    worker: Mapped[str] = mapped_column(String(ADDRESS_LENGTH), index=True)
    claimed_at: Mapped[int] = mapped_column(BigInteger)
    expires_at: Mapped[int] = mapped_column(BigInteger)
    deadline: Mapped[int] = mapped_column(BigInteger)
    signature: Mapped[str] = mapped_column(String(132))
    digest: Mapped[str] = mapped_column(String(HASH_LENGTH), unique=True)


class MicrotaskResult(Base):
    """A worker's signed result of a claimed task, waiting for (or past) the requester's review."""

    __tablename__ = "microtask_results"
    __table_args__ = (Index("ix_microtask_results_batch_status", "batch_pk", "status"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    batch_pk: Mapped[int] = mapped_column(ForeignKey(_BATCH_FK, ondelete="CASCADE"))
    claim_id: Mapped[int] = mapped_column(ForeignKey("microtask_claims.id", ondelete="CASCADE"), unique=True)
    task_index: Mapped[int] = mapped_column(BigInteger)
    worker: Mapped[str] = mapped_column(String(ADDRESS_LENGTH), index=True)
    result_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))
    result_cid: Mapped[str] = mapped_column(String(CID_LENGTH))
    submitted_at: Mapped[int] = mapped_column(BigInteger)
    deadline: Mapped[int] = mapped_column(BigInteger)
    signature: Mapped[str] = mapped_column(String(132))
    digest: Mapped[str] = mapped_column(String(HASH_LENGTH), unique=True)
    # pending | approved | rejected
    status: Mapped[str] = mapped_column(String(16), default="pending")


class MicrotaskReview(Base):
    """The requester's signed review of a result: approval (with an optional bonus) or rejection."""

    __tablename__ = "microtask_reviews"
    __table_args__ = (Index("ix_microtask_reviews_batch_pk", "batch_pk"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    result_id: Mapped[int] = mapped_column(ForeignKey("microtask_results.id", ondelete="CASCADE"), unique=True)
    batch_pk: Mapped[int] = mapped_column(ForeignKey(_BATCH_FK, ondelete="CASCADE"))
    approved: Mapped[bool] = mapped_column(Boolean)
    reason_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))
    bonus: Mapped[int] = mapped_column(Uint256)
    reviewed_at: Mapped[int] = mapped_column(BigInteger)
    deadline: Mapped[int] = mapped_column(BigInteger)
    signature: Mapped[str] = mapped_column(String(132))
    digest: Mapped[str] = mapped_column(String(HASH_LENGTH), unique=True)


class MicrotaskVoucher(Base):
    """A cumulative voucher the requester signed for a worker; the highest one per worker is the latest."""

    __tablename__ = "microtask_vouchers"
    __table_args__ = (UniqueConstraint("batch_pk", "worker", "cumulative_amount"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    batch_pk: Mapped[int] = mapped_column(ForeignKey(_BATCH_FK, ondelete="CASCADE"))
    worker: Mapped[str] = mapped_column(String(ADDRESS_LENGTH), index=True)
    cumulative_amount: Mapped[int] = mapped_column(Uint256)
    signature: Mapped[str] = mapped_column(String(132))
    issued_at: Mapped[int] = mapped_column(BigInteger)


class MicrotaskRedemption(Base):
    """A `VoucherRedeemed` event: a voucher or settlement claim paid on chain."""

    __tablename__ = "microtask_redemptions"
    __table_args__ = (UniqueConstraint("tx_hash", "log_index"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    batch_pk: Mapped[int] = mapped_column(ForeignKey(_BATCH_FK, ondelete="CASCADE"), index=True)
    worker: Mapped[str] = mapped_column(String(ADDRESS_LENGTH), index=True)
    cumulative_amount: Mapped[int] = mapped_column(Uint256)
    paid: Mapped[int] = mapped_column(Uint256)
    block_number: Mapped[int] = mapped_column(BigInteger)
    tx_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))
    log_index: Mapped[int] = mapped_column(Integer)


class MicrotaskSettlementRoot(Base):
    """A `SettlementRootPosted` event; the newest one is the batch's current root."""

    __tablename__ = "microtask_settlement_roots"
    __table_args__ = (UniqueConstraint("tx_hash", "log_index"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    batch_pk: Mapped[int] = mapped_column(ForeignKey(_BATCH_FK, ondelete="CASCADE"), index=True)
    root: Mapped[str] = mapped_column(String(HASH_LENGTH))
    settlement_cid: Mapped[str] = mapped_column(String(CID_LENGTH))
    block_number: Mapped[int] = mapped_column(BigInteger)
    tx_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))
    log_index: Mapped[int] = mapped_column(Integer)


class MicrotaskOnchainResult(Base):
    """A result posted on chain (slow path) and where its review, rejection or dispute stands."""

    __tablename__ = "microtask_onchain_results"
    __table_args__ = (UniqueConstraint("batch_pk", "task_index", "worker"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    batch_pk: Mapped[int] = mapped_column(ForeignKey(_BATCH_FK, ondelete="CASCADE"))
    task_index: Mapped[int] = mapped_column(BigInteger)
    worker: Mapped[str] = mapped_column(String(ADDRESS_LENGTH), index=True)
    task_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))
    result_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))
    # pending | rejected | disputed | approved | rejection_upheld (the contract's SubmissionState)
    state: Mapped[str] = mapped_column(String(16))
    deadline: Mapped[int] = mapped_column(BigInteger)
    reason_hash: Mapped[str | None] = mapped_column(String(HASH_LENGTH), default=None)
    requester_bond: Mapped[int] = mapped_column(Uint256, default=0)
    worker_bond: Mapped[int] = mapped_column(Uint256, default=0)
    to_worker: Mapped[int] = mapped_column(Uint256, default=0)
    to_requester: Mapped[int] = mapped_column(Uint256, default=0)
    arbiter_fee: Mapped[int] = mapped_column(Uint256, default=0)
    automatic: Mapped[bool] = mapped_column(Boolean, default=False)
    worker_won: Mapped[bool | None] = mapped_column(Boolean, default=None)
    submitted_block: Mapped[int] = mapped_column(BigInteger)
    last_event_block: Mapped[int] = mapped_column(BigInteger)
