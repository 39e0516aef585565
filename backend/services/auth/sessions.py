"""SIWE nonces and sessions: issue a nonce, turn a signed message into a session, resolve a
session token, end it. Session tokens are random; only their SHA-256 is stored."""

import hashlib
import secrets
import time
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from backend.core.config import Settings
from backend.models import AuthNonce, AuthSession
from backend.services.auth.siwe import SiweError, SiweMessage, parse_siwe_message, recover_signer


class LoginRefusedError(SiweError):
    """A well-formed message that does not sign in: wrong domain, chain, nonce, time or signer."""


@dataclass(frozen=True)
class IssuedNonce:
    nonce: str
    expires_at: int


@dataclass(frozen=True)
class NewSession:
    token: str
    address: str
    expires_at: int


@dataclass(frozen=True)
class SignedIn:
    address: str
    expires_at: int


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_nonce(session: Session, settings: Settings, now: int | None = None) -> IssuedNonce:
    """A new single-use nonce, valid for `siwe_nonce_ttl_s`; expired ones are purged."""
    now = int(time.time()) if now is None else now
    session.execute(delete(AuthNonce).where(AuthNonce.expires_at <= now))
    nonce = secrets.token_hex(16)  # EIP-4361 nonces are alphanumeric
    expires_at = now + settings.siwe_nonce_ttl_s
    session.add(AuthNonce(nonce=nonce, issued_at=now, expires_at=expires_at, used_at=None))
    return IssuedNonce(nonce, expires_at)


def _check_message(message: SiweMessage, settings: Settings, chain_id: int, now: float) -> None:
    if message.domain != settings.siwe_domain:
        raise LoginRefusedError(
            f"the message is for domain {message.domain!r}; this server is {settings.siwe_domain!r}"
        )
    if message.uri != settings.siwe_uri:
        raise LoginRefusedError(f"the message is for URI {message.uri!r}; this server is {settings.siwe_uri!r}")
    if message.chain_id != chain_id:
        raise LoginRefusedError(f"the message is for chain {message.chain_id}; the contracts are on chain {chain_id}")
    skew = settings.siwe_clock_skew_s
    if message.issued_at.timestamp() > now + skew:
        raise LoginRefusedError("the message is issued in the future")
    if message.expiration_time is not None and message.expiration_time.timestamp() <= now:
        raise LoginRefusedError("the message has expired")
    if message.not_before is not None and message.not_before.timestamp() > now + skew:
        raise LoginRefusedError("the message is not valid yet (Not Before)")


def login(session: Session, settings: Settings, chain_id: int, text: str, signature: str) -> NewSession:
    """Verify a signed SIWE message and open a session for its address.

    The nonce is consumed by one conditional UPDATE (unused and unexpired → used), so of two
    concurrent logins with the same message exactly one succeeds.
    """
    now = time.time()
    message = parse_siwe_message(text)
    _check_message(message, settings, chain_id, now)
    if recover_signer(text, signature) != message.address:
        raise LoginRefusedError(f"the signature is not by {message.address}")
    consumed = session.execute(
        update(AuthNonce)
        .where(AuthNonce.nonce == message.nonce, AuthNonce.used_at.is_(None), AuthNonce.expires_at > int(now))
        .values(used_at=int(now))
    )
    if consumed.rowcount != 1:  # type: ignore[attr-defined]
        known = session.get(AuthNonce, message.nonce)
        if known is None:
            raise LoginRefusedError("the nonce was not issued by this server")
        if known.used_at is not None:
            raise LoginRefusedError("the nonce was already used; request a new one")
        raise LoginRefusedError("the nonce has expired; request a new one")
    token = secrets.token_urlsafe(32)
    expires_at = int(now) + settings.session_ttl_s
    if message.expiration_time is not None:  # the signer limited the session
        expires_at = min(expires_at, int(message.expiration_time.timestamp()))
    session.execute(delete(AuthSession).where(AuthSession.expires_at <= int(now)))
    session.add(
        AuthSession(token_hash=hash_token(token), address=message.address, created_at=int(now), expires_at=expires_at)
    )
    return NewSession(token, message.address, expires_at)


def resolve_session(session: Session, token: str, now: int | None = None) -> SignedIn | None:
    """The signed-in address of `token`, or None if it is unknown or expired."""
    now = int(time.time()) if now is None else now
    row = session.execute(
        select(AuthSession.address, AuthSession.expires_at).where(
            AuthSession.token_hash == hash_token(token), AuthSession.expires_at > now
        )
    ).first()
    return SignedIn(row[0], row[1]) if row else None


def logout(session: Session, token: str) -> bool:
    """End the session of `token`; False if there was none."""
    result = session.execute(delete(AuthSession).where(AuthSession.token_hash == hash_token(token)))
    return bool(result.rowcount)  # type: ignore[attr-defined]
