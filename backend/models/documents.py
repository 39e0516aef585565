"""Local copies of IPFS documents the backend relies on (challenge and batch metadata,
task manifests), so they outlive the loss of their pins and can be added back."""

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, LargeBinary, String, func
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import HASH_LENGTH, Base


class IpfsDocument(Base):
    """The verified bytes of one CID (every byte was checked against the CID when fetched)."""

    __tablename__ = "ipfs_documents"

    cid: Mapped[str] = mapped_column(String(200), primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(BigInteger)
    keccak: Mapped[str] = mapped_column(String(HASH_LENGTH))
    kept_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
