"""Responses shared by the routes: OpenAPI descriptions of error responses (`{"detail": "..."}`),
for the routes' `responses=`, and output models serialized once."""

from typing import Any

from fastapi import Response
from pydantic import BaseModel

Responses = dict[int | str, dict[str, Any]]


class ErrorOut(BaseModel):
    detail: str


def errors(**by_status: str) -> Responses:
    """`errors(s401="Not signed in.")` → the `responses` entry of each status with its description."""
    return {int(key.removeprefix("s")): {"model": ErrorOut, "description": text} for key, text in by_status.items()}


UNAUTHORIZED = errors(s401="Not signed in, or the session expired (`WWW-Authenticate: Bearer`).")
RATE_LIMITED = errors(s429="Too many requests from this client or address; see Retry-After.")


def json_response(model: BaseModel) -> Response:
    """`model` as the JSON FastAPI sends for a `response_model` of its type, serialized once.

    A route whose service already built (and so validated) its output model returns this, with
    `response_model=` kept in the decorator for the OpenAPI document: FastAPI then neither
    validates the model again nor, for a sync route, hops to a worker thread a second time to
    do it (a hop costs more than the serialization itself).
    """
    return Response(model.__pydantic_serializer__.to_json(model, by_alias=True), media_type="application/json")
