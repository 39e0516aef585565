"""Errors a request can end in: each maps to one HTTP status with a one-line `detail`.

Services raise these (or domain errors the routes translate); the handler installed by
`install_error_handlers` turns them into `{"detail": "..."}` responses like FastAPI's own.
"""

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from backend.errors import ConfigurationError, CrowdbountyError


class ApiError(CrowdbountyError):
    """A request that cannot be served as asked; `status_code` says why in HTTP terms."""

    status_code = 400

    def __init__(self, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers


class BadRequestError(ApiError):
    status_code = 400


class UnauthorizedError(ApiError):
    status_code = 401


class ForbiddenError(ApiError):
    status_code = 403


class NotFoundError(ApiError):
    status_code = 404


class ConflictError(ApiError):
    status_code = 409


class RateLimitedError(ApiError):
    status_code = 429


async def _api_error_response(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ApiError)  # registered for ApiError only
    return JSONResponse({"detail": error.detail}, status_code=error.status_code, headers=error.headers)


async def _configuration_error_response(_request: Request, error: Exception) -> JSONResponse:
    # The backend is up but not set up (no deployments file yet, say): the request may work later.
    return JSONResponse({"detail": str(error)}, status_code=503)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error_response)
    app.add_exception_handler(ConfigurationError, _configuration_error_response)
