"""Project rooms: confidential documents of a challenge, kept in the database (never on IPFS)."""

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import ADDRESS_LENGTH, Base, BigId


class RoomDocument(Base):
    """A document the seeker put in the project room of challenge `challenge_id` of `escrow`."""

    __tablename__ = "room_documents"
    __table_args__ = (Index("ix_room_documents_challenge", "chain_id", "escrow", "challenge_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    chain_id: Mapped[int] = mapped_column(BigInteger)
    escrow: Mapped[str] = mapped_column(String(ADDRESS_LENGTH))
    challenge_id: Mapped[int] = mapped_column(BigInteger)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[str] = mapped_column(String(ADDRESS_LENGTH))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    content: Mapped[bytes] = mapped_column(LargeBinary)
