"""The micro-task projection: MicrotaskEscrow events into the batch tables.

Rewind: the indexer calls `on_rewind` after deleting the orphaned `chain_events`. Batches
funded above the fork go (with everything that hangs off them); batches touched above the
fork are reset to their funding and rebuilt by replaying their remaining `chain_events`
through the same handlers, so a rewound projection equals one indexed from scratch.
"""

from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from backend.models import (
    ChainEvent,
    MicrotaskBatch,
    MicrotaskOnchainResult,
    MicrotaskRedemption,
    MicrotaskSettlementRoot,
)
from backend.services.indexer._decode import DecodedEvent
from backend.services.indexer.projections import Projection, replayed_event

CONTRACT_NAME = "MicrotaskEscrow"


def _batch(session: Session, event: DecodedEvent) -> MicrotaskBatch | None:
    batch = session.scalars(
        select(MicrotaskBatch).where(
            MicrotaskBatch.chain_id == event.chain_id,
            MicrotaskBatch.contract_address == event.contract_address,
            MicrotaskBatch.batch_id == int(str(event.args["batchId"])),
        )
    ).one_or_none()
    if batch is not None:
        batch.last_event_block = max(batch.last_event_block, event.block_number)
    return batch


def _arg(event: DecodedEvent, name: str) -> str:
    return str(event.args[name])


def on_batch_funded(session: Session, event: DecodedEvent) -> None:
    terms: dict[str, Any] = event.args["terms"]  # type: ignore[assignment]
    session.add(
        MicrotaskBatch(
            chain_id=event.chain_id,
            contract_address=event.contract_address,
            batch_id=int(_arg(event, "batchId")),
            requester=_arg(event, "requester"),
            token=_arg(event, "token"),
            reward=int(terms["reward"]),
            task_count=int(terms["taskCount"]),
            bonus_pool=int(terms["bonusPool"]),
            escrowed=int(_arg(event, "escrowed")),
            task_root=terms["taskRoot"],
            assignment_duration=int(terms["assignmentDuration"]),
            review_window=int(terms["reviewWindow"]),
            expiry=int(terms["expiry"]),
            qualification_kind=int(terms["qualificationKind"]),
            qualification=terms["qualification"],
            arbiter=terms["arbiter"],
            manifest_cid=terms["manifestCid"],
            manifest_hash=_arg(event, "manifestHash"),
            manifest_status="pending",
            metadata_status="pending",
            state="open",
            paid=0,
            reclaimed=0,
            funded_block=event.block_number,
            funded_tx=event.tx_hash,
            last_event_block=event.block_number,
        )
    )
    session.flush()


def on_voucher_redeemed(session: Session, event: DecodedEvent) -> None:
    batch = _batch(session, event)
    if batch is None:
        return
    paid = int(_arg(event, "paid"))
    batch.paid += paid
    session.add(
        MicrotaskRedemption(
            batch_pk=batch.id,
            worker=_arg(event, "worker"),
            cumulative_amount=int(_arg(event, "cumulativeAmount")),
            paid=paid,
            block_number=event.block_number,
            tx_hash=event.tx_hash,
            log_index=event.log_index,
        )
    )


def on_settlement_root_posted(session: Session, event: DecodedEvent) -> None:
    batch = _batch(session, event)
    if batch is None:
        return
    session.add(
        MicrotaskSettlementRoot(
            batch_pk=batch.id,
            root=_arg(event, "root"),
            settlement_cid=_arg(event, "settlementCid"),
            block_number=event.block_number,
            tx_hash=event.tx_hash,
            log_index=event.log_index,
        )
    )


def on_batch_closed(session: Session, event: DecodedEvent) -> None:
    batch = _batch(session, event)
    if batch is None:
        return
    batch.state = "closed"
    batch.reclaimed = int(_arg(event, "reclaimed"))


def on_result_submitted(session: Session, event: DecodedEvent) -> None:
    batch = _batch(session, event)
    if batch is None:
        return
    session.add(
        MicrotaskOnchainResult(
            batch_pk=batch.id,
            task_index=int(_arg(event, "taskIndex")),
            worker=_arg(event, "worker"),
            task_hash=_arg(event, "taskHash"),
            result_hash=_arg(event, "resultHash"),
            state="pending",
            deadline=int(_arg(event, "reviewDeadline")),
            submitted_block=event.block_number,
            last_event_block=event.block_number,
        )
    )
    session.flush()


def _onchain_result(session: Session, event: DecodedEvent) -> MicrotaskOnchainResult | None:
    batch = _batch(session, event)
    if batch is None:
        return None
    result = session.scalars(
        select(MicrotaskOnchainResult).where(
            MicrotaskOnchainResult.batch_pk == batch.id,
            MicrotaskOnchainResult.task_index == int(_arg(event, "taskIndex")),
            MicrotaskOnchainResult.worker == _arg(event, "worker"),
        )
    ).one_or_none()
    if result is not None:
        result.last_event_block = event.block_number
    return result


def on_result_approved(session: Session, event: DecodedEvent) -> None:
    if (result := _onchain_result(session, event)) is not None:
        result.state = "approved"
        result.to_worker = int(_arg(event, "reward"))
        result.automatic = bool(event.args["automatic"])


def on_result_rejected(session: Session, event: DecodedEvent) -> None:
    if (result := _onchain_result(session, event)) is not None:
        result.state = "rejected"
        result.reason_hash = _arg(event, "reasonHash")
        result.requester_bond = int(_arg(event, "requesterBond"))
        result.deadline = int(_arg(event, "disputeDeadline"))


def on_rejection_upheld(session: Session, event: DecodedEvent) -> None:
    if (result := _onchain_result(session, event)) is not None:
        result.state = "rejection_upheld"
        result.to_requester = int(_arg(event, "requesterBondReturned"))


def on_rejection_disputed(session: Session, event: DecodedEvent) -> None:
    if (result := _onchain_result(session, event)) is not None:
        result.state = "disputed"
        result.worker_bond = int(_arg(event, "workerBond"))
        result.deadline = int(_arg(event, "rulingDeadline"))


def on_dispute_ruled(session: Session, event: DecodedEvent) -> None:
    if (result := _onchain_result(session, event)) is not None:
        worker_won = bool(event.args["workerWon"])
        result.state = "approved" if worker_won else "rejection_upheld"
        result.worker_won = worker_won
        result.to_worker = int(_arg(event, "toWorker"))
        result.to_requester = int(_arg(event, "toRequester"))
        result.arbiter_fee = int(_arg(event, "arbiterFee"))


def on_dispute_expired(session: Session, event: DecodedEvent) -> None:
    if (result := _onchain_result(session, event)) is not None:
        result.state = "approved"
        result.to_worker = int(_arg(event, "toWorker"))
        result.to_requester = int(_arg(event, "toRequester"))


HANDLERS: dict[str, Callable[[Session, DecodedEvent], None]] = {
    f"{CONTRACT_NAME}.BatchFunded": on_batch_funded,
    f"{CONTRACT_NAME}.VoucherRedeemed": on_voucher_redeemed,
    f"{CONTRACT_NAME}.SettlementRootPosted": on_settlement_root_posted,
    f"{CONTRACT_NAME}.ResultSubmitted": on_result_submitted,
    f"{CONTRACT_NAME}.ResultApproved": on_result_approved,
    f"{CONTRACT_NAME}.ResultRejected": on_result_rejected,
    f"{CONTRACT_NAME}.RejectionUpheld": on_rejection_upheld,
    f"{CONTRACT_NAME}.RejectionDisputed": on_rejection_disputed,
    f"{CONTRACT_NAME}.DisputeRuled": on_dispute_ruled,
    f"{CONTRACT_NAME}.DisputeExpired": on_dispute_expired,
    f"{CONTRACT_NAME}.BatchClosed": on_batch_closed,
}


def on_rewind(session: Session, last_valid_block: int) -> None:
    session.execute(delete(MicrotaskBatch).where(MicrotaskBatch.funded_block > last_valid_block))
    touched = session.scalars(select(MicrotaskBatch).where(MicrotaskBatch.last_event_block > last_valid_block)).all()
    for batch in touched:
        for table in (MicrotaskRedemption, MicrotaskSettlementRoot, MicrotaskOnchainResult):
            session.execute(delete(table).where(table.batch_pk == batch.id))
        batch.state, batch.paid, batch.reclaimed = "open", 0, 0
        batch.last_event_block = batch.funded_block
        session.flush()
        rows = session.scalars(
            select(ChainEvent)
            .where(
                ChainEvent.chain_id == batch.chain_id,
                ChainEvent.contract_address == batch.contract_address,
                ChainEvent.contract_name == CONTRACT_NAME,
                ChainEvent.event_name != "BatchFunded",
                ChainEvent.block_number >= batch.funded_block,
                ChainEvent.block_number <= last_valid_block,
            )
            .order_by(ChainEvent.block_number, ChainEvent.log_index)
        ).all()
        seen: set[tuple[str, int]] = set()  # the same log indexed by several streams counts once
        for row in rows:
            handler = HANDLERS.get(f"{CONTRACT_NAME}.{row.event_name}")
            if handler is None or str(row.args.get("batchId")) != str(batch.batch_id):
                continue
            if (row.tx_hash, row.log_index) in seen:
                continue
            seen.add((row.tx_hash, row.log_index))
            handler(session, replayed_event(row))
            session.flush()


PROJECTION = Projection("microtasks", HANDLERS, on_rewind)
