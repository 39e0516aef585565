"""IPFS for browsers: POST /api/ipfs (raw bytes), GET /api/ipfs/{cid}, POST /api/metadata.

A browser cannot reach the IPFS node's API (no CORS, and it must not be exposed), so the
dApp adds content through these routes. Adding needs a session (the node pins what it is
given, so anonymous callers could fill its disk); reading is public, like any gateway, and
every block read is verified against its CID by the client.
"""

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from multiformats import CID
from starlette.concurrency import run_in_threadpool

from backend.api.deps import IpfsDep, SettingsDep
from backend.api.errors import ApiError, BadRequestError, NotFoundError
from backend.api.multipart import PayloadTooLargeError, read_body
from backend.api.responses import RATE_LIMITED, UNAUTHORIZED, errors
from backend.api.security import CurrentAddressDep, ServiceUnavailableError, WriteRateLimit
from backend.schemas.uploads import AddedOut, PublishedMetadataOut
from backend.services.storage.errors import ContentNotFoundError, ObjectTooLargeError, StorageError
from backend.services.storage.ipfs import AddedObject
from backend.services.storage.metadata import AnyMetadata, canonical_json, publish_metadata

router = APIRouter(prefix="/api", tags=["ipfs"])

CidPath = Annotated[str, Path(min_length=8, max_length=200, pattern=r"^[A-Za-z0-9]+$", description="A CID as text")]


def storage_error(error: StorageError) -> ApiError:
    """The HTTP error for a failure of IPFS or of the stored content (routes that publish share it)."""
    if isinstance(error, ContentNotFoundError):
        return NotFoundError(str(error))
    if isinstance(error, ObjectTooLargeError):
        return PayloadTooLargeError(str(error))
    return ServiceUnavailableError(f"IPFS: {error}")


def _added(added: AddedObject) -> AddedOut:
    return AddedOut(cid=str(added.cid), cid_bytes="0x" + bytes(added.cid).hex(), size=added.size)


@router.post(
    "/ipfs",
    summary="Add and pin bytes on the platform's IPFS node",
    response_model=AddedOut,
    status_code=201,
    dependencies=[WriteRateLimit],
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
    responses={
        **UNAUTHORIZED,
        **errors(s413="Over `web_upload_max_bytes`.", s503="The IPFS node did not answer."),
        **RATE_LIMITED,
    },
)
async def add_content(request: Request, _address: CurrentAddressDep, settings: SettingsDep, ipfs: IpfsDep) -> AddedOut:
    """The body as is (an agreement, an encrypted envelope, a task result): its CID is what the
    browser then commits to on chain."""
    content = await read_body(request, settings.web_upload_max_bytes)
    try:
        return _added(await run_in_threadpool(ipfs.add_bytes, content))
    except StorageError as error:
        raise storage_error(error) from error


@router.get(
    "/ipfs/{cid}",
    summary="Read content from IPFS",
    response_class=Response,
    responses={
        200: {"content": {"application/octet-stream": {}}, "description": "The content"},
        **errors(
            s400="Not a CID.",
            s404="The node does not have it and could not find it in time.",
            s413="Larger than the node's object limit.",
            s503="The IPFS node did not answer.",
        ),
    },
)
def get_content(cid: CidPath, ipfs: IpfsDep) -> Response:
    """Every block is checked against the CID before it is returned; content never changes
    under a CID, so browsers may cache it for good."""
    try:
        CID.decode(cid)
    except (ValueError, KeyError) as error:
        raise BadRequestError(f"not a CID: {cid}") from error
    try:
        content = ipfs.fetch_bytes(cid)
    except StorageError as error:
        raise storage_error(error) from error
    return Response(
        content,
        media_type="application/octet-stream",
        headers={"Cache-Control": "public, max-age=31536000, immutable"},
    )


@router.post(
    "/metadata",
    summary="Publish challenge or task-batch metadata in canonical form",
    response_model=PublishedMetadataOut,
    status_code=201,
    dependencies=[WriteRateLimit],
    responses={
        **UNAUTHORIZED,
        **errors(s400="The body is not JSON.", s503="The IPFS node did not answer."),
        **RATE_LIMITED,
    },
)
def add_metadata(metadata: AnyMetadata, _address: CurrentAddressDep, ipfs: IpfsDep) -> PublishedMetadataOut:
    """Validated against the metadata schema (a 422 names the field), serialised canonically and
    pinned; the browser puts the CID and `metadata_hash` into its create transaction."""
    try:
        cid, digest = publish_metadata(ipfs, metadata)
    except StorageError as error:
        raise storage_error(error) from error
    return PublishedMetadataOut(
        cid=str(cid),
        cid_bytes="0x" + bytes(cid).hex(),
        size=len(canonical_json(metadata)),
        metadata_hash="0x" + digest.hex(),
    )
