"""Notifications per address, produced by the indexer's projection and by domain services."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import ADDRESS_LENGTH, Base, BigId


class Notification(Base):
    """One notification of `address`. `dedupe_key` makes producing it again a no-op;
    `block_number` is the block of the chain fact it stems from (null: none), so a reorg
    rewind deletes the notifications of orphaned blocks."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_address_id", "address", "id"),
        Index("ix_notifications_block_number", "block_number"),
        # AUTOINCREMENT: ids are never reused after a rewind deletes the newest rows, so an
        # SSE client resuming from Last-Event-ID cannot skip a new notification.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    chain_id: Mapped[int] = mapped_column(BigInteger)
    address: Mapped[str] = mapped_column(String(ADDRESS_LENGTH))
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    dedupe_key: Mapped[str] = mapped_column(String(255), unique=True)
    block_number: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
