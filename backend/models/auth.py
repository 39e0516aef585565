"""Sign-in state: single-use SIWE nonces, sessions (only a hash of the token) and rate-limit counters.

Times that are compared in queries are Unix seconds (BigInteger), so SQLite and PostgreSQL
compare them the same way.
"""

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import ADDRESS_LENGTH, Base


class AuthNonce(Base):
    """A nonce the server issued for one SIWE message; `used_at` is set when a login consumes it."""

    __tablename__ = "auth_nonces"

    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    issued_at: Mapped[int] = mapped_column(BigInteger)
    expires_at: Mapped[int] = mapped_column(BigInteger, index=True)
    used_at: Mapped[int | None] = mapped_column(BigInteger)


class AuthSession(Base):
    """A signed-in session; the bearer token itself is never stored, only its SHA-256."""

    __tablename__ = "auth_sessions"
    __table_args__ = (Index("ix_auth_sessions_address", "address"),)

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    address: Mapped[str] = mapped_column(String(ADDRESS_LENGTH))
    created_at: Mapped[int] = mapped_column(BigInteger)
    expires_at: Mapped[int] = mapped_column(BigInteger, index=True)


class RateLimitCounter(Base):
    """Requests of one bucket ("scope:ip:1.2.3.4", "scope:address:0x...") in one fixed window."""

    __tablename__ = "rate_limit_counters"

    bucket: Mapped[str] = mapped_column(String(128), primary_key=True)
    window_start: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
