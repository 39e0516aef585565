"""Sign-In with Ethereum: POST /api/auth/nonce, POST /api/auth/login, GET /api/auth/me, POST /api/auth/logout."""

from datetime import UTC, datetime

from fastapi import APIRouter, Response, status
from sqlalchemy.orm import Session

from backend.api.deps import EngineDep, SettingsDep
from backend.api.errors import BadRequestError, UnauthorizedError
from backend.api.responses import RATE_LIMITED, UNAUTHORIZED, errors
from backend.api.security import AuthRateLimit, DeploymentsDep, SessionTokenDep, SignedInDep
from backend.schemas.auth import LoginIn, MeOut, NonceOut, SessionOut
from backend.services import auth
from backend.services.auth import LoginRefusedError, SiweError, SiweMessageFormatError

router = APIRouter(prefix="/api/auth", tags=["auth"])


def _utc(timestamp: int) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)


@router.post(
    "/nonce",
    summary="Issue a single-use nonce for a SIWE message",
    response_model=NonceOut,
    dependencies=[AuthRateLimit],
    responses={**RATE_LIMITED, **errors(s503="No deployments file: the chain id is unknown.")},
)
def issue_nonce(settings: SettingsDep, engine: EngineDep, deployments: DeploymentsDep) -> NonceOut:
    """A nonce valid for `siwe_nonce_ttl_s` seconds, with the domain, URI and chain id the message must name."""
    with Session(engine) as session, session.begin():
        issued = auth.issue_nonce(session, settings)
    return NonceOut(
        nonce=issued.nonce,
        expires_at=_utc(issued.expires_at),
        domain=settings.siwe_domain,
        uri=settings.siwe_uri,
        chain_id=deployments.chain_id,
    )


@router.post(
    "/login",
    summary="Sign in with a signed EIP-4361 message",
    response_model=SessionOut,
    dependencies=[AuthRateLimit],
    responses={
        **errors(
            s400="The message is not an EIP-4361 message.",
            s401="Wrong domain, URI or chain; unknown, used or expired nonce; expired message; bad signature.",
        ),
        **RATE_LIMITED,
    },
)
def login(
    body: LoginIn, response: Response, settings: SettingsDep, engine: EngineDep, deployments: DeploymentsDep
) -> SessionOut:
    """Verifies the message and its signature, consumes the nonce and opens a session: the token
    is returned in the body (for `Authorization: Bearer`) and as an HttpOnly SameSite cookie."""
    try:
        with Session(engine) as session, session.begin():
            opened = auth.login(session, settings, deployments.chain_id, body.message, body.signature)
    except SiweMessageFormatError as error:
        raise BadRequestError(f"not a Sign-In with Ethereum message: {error}") from error
    except (LoginRefusedError, SiweError) as error:
        raise UnauthorizedError(f"sign-in refused: {error}") from error
    response.set_cookie(
        settings.session_cookie_name,
        opened.token,
        max_age=max(0, opened.expires_at - int(datetime.now(UTC).timestamp())),
        path="/api",
        httponly=True,
        samesite="lax",
        secure=settings.session_cookie_secure,
    )
    return SessionOut(address=opened.address, expires_at=_utc(opened.expires_at), token=opened.token)


@router.get(
    "/me",
    summary="The signed-in address",
    response_model=MeOut,
    responses=UNAUTHORIZED,
)
def me(signed_in: SignedInDep) -> MeOut:
    return MeOut(address=signed_in.address, expires_at=_utc(signed_in.expires_at))


@router.post(
    "/logout",
    summary="End the session",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=UNAUTHORIZED,
)
def logout(signed_in: SignedInDep, token: SessionTokenDep, settings: SettingsDep, engine: EngineDep) -> Response:
    """Deletes the session (its token stops working at once) and clears the cookie."""
    assert token is not None  # signed_in resolved it
    with Session(engine) as session, session.begin():
        auth.logout(session, token)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(settings.session_cookie_name, path="/api", httponly=True, samesite="lax")
    return response
