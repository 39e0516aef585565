"""What the indexer stores of the chain itself: raw events, block hashes and cursors."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Index, Integer, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import ADDRESS_LENGTH, HASH_LENGTH, Base, BigId


class ChainEvent(Base):
    """One decoded log of a followed contract, as the chain had it when indexed.

    `args` is JSON: integers as decimal strings (they exceed JSON's safe range), bytes as
    0x-hex, addresses checksummed, structs as objects. Rows of orphaned blocks are deleted
    when the indexer rewinds after a reorg.
    """

    __tablename__ = "chain_events"
    __table_args__ = (
        UniqueConstraint("chain_id", "tx_hash", "log_index"),
        Index("ix_chain_events_stream_block", "chain_id", "stream", "block_number"),
        Index("ix_chain_events_contract_event", "chain_id", "contract_name", "event_name"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    chain_id: Mapped[int] = mapped_column(BigInteger)
    stream: Mapped[str] = mapped_column(String(64))
    contract_name: Mapped[str] = mapped_column(String(128))
    contract_address: Mapped[str] = mapped_column(String(ADDRESS_LENGTH))
    event_name: Mapped[str] = mapped_column(String(128))
    block_number: Mapped[int] = mapped_column(BigInteger)
    block_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))
    tx_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))
    tx_index: Mapped[int] = mapped_column(Integer)
    log_index: Mapped[int] = mapped_column(Integer)
    args: Mapped[dict[str, Any]] = mapped_column(JSON)


class IndexedBlock(Base):
    """A block the indexer relied on: the last block of every indexed range and every block
    with events. Comparing these hashes with the chain's finds the fork point of a reorg."""

    __tablename__ = "indexed_blocks"

    chain_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    stream: Mapped[str] = mapped_column(String(64), primary_key=True)
    number: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    hash: Mapped[str] = mapped_column(String(HASH_LENGTH))
    parent_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))
    # Block time (Unix seconds), so projections can date events; null for rows stored before it was kept.
    timestamp: Mapped[int | None] = mapped_column(BigInteger)


class IndexerCursor(Base):
    """How far a stream (one indexer following a set of contracts) has indexed a chain."""

    __tablename__ = "indexer_cursors"

    chain_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    stream: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_block: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
