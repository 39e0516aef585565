"""Sign-In with Ethereum (EIP-4361), sessions and rate limits."""

from backend.services.auth.rate_limit import RateLimitVerdict, hit
from backend.services.auth.sessions import (
    IssuedNonce,
    LoginRefusedError,
    NewSession,
    SignedIn,
    issue_nonce,
    login,
    logout,
    resolve_session,
)
from backend.services.auth.siwe import (
    SiweError,
    SiweMessage,
    SiweMessageFormatError,
    format_siwe_message,
    parse_siwe_message,
    recover_signer,
)

__all__ = [
    "IssuedNonce",
    "LoginRefusedError",
    "NewSession",
    "RateLimitVerdict",
    "SignedIn",
    "SiweError",
    "SiweMessage",
    "SiweMessageFormatError",
    "format_siwe_message",
    "hit",
    "issue_nonce",
    "login",
    "logout",
    "parse_siwe_message",
    "recover_signer",
    "resolve_session",
]
