"""Who is calling: the signed-in address (session cookie or `Authorization: Bearer`), rate
limits per client IP and per address, and the deployment the API serves.

Routes use them as one-liners: `address: CurrentAddressDep`, `dependencies=[WriteRateLimit]`.
"""

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from backend.api.deps import EngineDep, SettingsDep
from backend.api.errors import ApiError, RateLimitedError, UnauthorizedError
from backend.core.config import Settings
from backend.errors import ConfigurationError
from backend.services.auth import SignedIn, hit, resolve_session
from backend.services.deployments import Deployments, load_deployments


class ServiceUnavailableError(ApiError):
    status_code = 503


def session_token(request: Request, settings: SettingsDep) -> str | None:
    """The session token of the request: a Bearer token wins over the cookie."""
    authorization = request.headers.get("authorization", "")
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return request.cookies.get(settings.session_cookie_name) or None


SessionTokenDep = Annotated[str | None, Depends(session_token)]


def optional_signed_in(token: SessionTokenDep, engine: EngineDep) -> SignedIn | None:
    """The caller's session, or None when it sent none or an unknown or expired one."""
    if token is None:
        return None
    with Session(engine) as session:
        return resolve_session(session, token)


def signed_in(found: Annotated[SignedIn | None, Depends(optional_signed_in)], token: SessionTokenDep) -> SignedIn:
    if found is None:
        reason = "sign in first (POST /api/auth/nonce, then /api/auth/login)"
        if token is not None:
            reason = "the session is unknown or has expired; sign in again"
        raise UnauthorizedError(reason, headers={"WWW-Authenticate": "Bearer"})
    return found


def current_address(found: Annotated[SignedIn, Depends(signed_in)]) -> str:
    return found.address


def optional_address(found: Annotated[SignedIn | None, Depends(optional_signed_in)]) -> str | None:
    return found.address if found else None


SignedInDep = Annotated[SignedIn, Depends(signed_in)]
CurrentAddressDep = Annotated[str, Depends(current_address)]
"""The signed-in address (checksummed); 401 without a valid session."""
OptionalAddressDep = Annotated[str | None, Depends(optional_address)]
"""The signed-in address, or None for an anonymous caller."""


def deployments(settings: SettingsDep) -> Deployments:
    """The deployments file: the chain id and the contracts this API serves."""
    try:
        return load_deployments(settings.deployments_file)
    except ConfigurationError as error:
        raise ServiceUnavailableError(str(error)) from error


DeploymentsDep = Annotated[Deployments, Depends(deployments)]


def rate_limit(
    scope: str, per_ip: Callable[[Settings], int], per_address: Callable[[Settings], int] | None = None
) -> Callable[..., None]:
    """A dependency counting requests per client IP (and per signed-in address when
    `per_address` is given) in fixed windows of `rate_limit_window_s`; 429 with Retry-After."""

    def check(request: Request, settings: SettingsDep, engine: EngineDep, address: OptionalAddressDep) -> None:
        client = request.client.host if request.client else "unknown"
        buckets = [(f"{scope}:ip:{client}", per_ip(settings))]
        if per_address is not None and address is not None:
            buckets.append((f"{scope}:address:{address}", per_address(settings)))
        with Session(engine) as session, session.begin():
            verdicts = [hit(session, bucket, limit, settings.rate_limit_window_s) for bucket, limit in buckets]
        for verdict in verdicts:
            if not verdict.allowed:
                raise RateLimitedError(
                    f"too many requests; retry in {verdict.retry_after_s} s",
                    headers={"Retry-After": str(verdict.retry_after_s)},
                )

    return check


AuthRateLimit = Depends(rate_limit("auth", lambda settings: settings.rate_limit_auth_per_ip))
"""For `dependencies=[...]` of the sign-in routes: per client IP."""
WriteRateLimit = Depends(
    rate_limit(
        "write",
        lambda settings: settings.rate_limit_write_per_ip,
        lambda settings: settings.rate_limit_write_per_address,
    )
)
"""For `dependencies=[...]` of write routes: per client IP and per signed-in address."""
