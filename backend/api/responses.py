"""OpenAPI descriptions of error responses (`{"detail": "..."}`), for the routes' `responses=`."""

from typing import Any

from pydantic import BaseModel

Responses = dict[int | str, dict[str, Any]]


class ErrorOut(BaseModel):
    detail: str


def errors(**by_status: str) -> Responses:
    """`errors(s401="Not signed in.")` → the `responses` entry of each status with its description."""
    return {int(key.removeprefix("s")): {"model": ErrorOut, "description": text} for key, text in by_status.items()}


UNAUTHORIZED = errors(s401="Not signed in, or the session expired (`WWW-Authenticate: Bearer`).")
RATE_LIMITED = errors(s429="Too many requests from this client or address; see Retry-After.")
