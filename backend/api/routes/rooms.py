"""Project rooms of challenges: GET /api/challenges/{challenge_id}/room,
POST /api/challenges/{challenge_id}/room/documents, GET .../room/documents/{document_id}."""

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Path, Request, Response
from sqlalchemy.orm import Session

from backend.api.deps import EngineDep, SettingsDep
from backend.api.errors import ForbiddenError, NotFoundError
from backend.api.multipart import read_file_field
from backend.api.responses import RATE_LIMITED, UNAUTHORIZED, errors
from backend.api.security import CurrentAddressDep, DeploymentsDep, WriteRateLimit
from backend.schemas.rooms import RoomDocumentOut, RoomOut
from backend.services import rooms
from backend.services.challenge_facts import ESCROW_CONTRACT, ChallengeRef
from backend.services.deployments import Deployments

router = APIRouter(prefix="/api/challenges/{challenge_id}/room", tags=["project rooms"])

ChallengeIdPath = Annotated[int, Path(ge=1, le=2**63 - 1, description="The challenge's id in ChallengeEscrow.")]

_ACCESS = {
    **UNAUTHORIZED,
    **errors(
        s403="Neither the seeker nor a solver who accepted the agreement on chain.",
        s404="The challenge (or the document) is not indexed or does not exist.",
    ),
}


def _ref(deployments: Deployments, challenge_id: int) -> ChallengeRef:
    return ChallengeRef(deployments.chain_id, deployments.contract(ESCROW_CONTRACT).address, challenge_id)


def _translate(error: rooms.RoomError) -> Exception:
    if isinstance(error, rooms.RoomAccessDeniedError):
        return ForbiddenError(str(error))
    return NotFoundError(str(error))


@router.get("", summary="List a project room's documents", response_model=RoomOut, responses=_ACCESS)
def get_room(
    challenge_id: ChallengeIdPath, address: CurrentAddressDep, engine: EngineDep, deployments: DeploymentsDep
) -> RoomOut:
    ref = _ref(deployments, challenge_id)
    with Session(engine) as session:
        try:
            seeker = rooms.check_member(session, ref, address)
        except rooms.RoomError as error:
            raise _translate(error) from error
        documents = [
            RoomDocumentOut.model_validate(row, from_attributes=True) for row in rooms.list_documents(session, ref)
        ]
    return RoomOut(challenge_id=challenge_id, escrow=ref.escrow, seeker=seeker, documents=documents)


@router.post(
    "/documents",
    summary="Add a document to a project room (seeker only)",
    response_model=RoomDocumentOut,
    status_code=201,
    dependencies=[WriteRateLimit],
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {"file": {"type": "string", "format": "binary"}},
                    }
                }
            },
        }
    },
    responses={
        **_ACCESS,
        **errors(
            s400="The form has no `file` field.",
            s413="The document exceeds `room_max_document_bytes`.",
            s415="Not multipart/form-data.",
        ),
        **RATE_LIMITED,
    },
)
async def upload_document(
    challenge_id: ChallengeIdPath,
    request: Request,
    *,
    address: CurrentAddressDep,
    engine: EngineDep,
    settings: SettingsDep,
    deployments: DeploymentsDep,
) -> RoomDocumentOut:
    """Stored by the backend in its database, never on IPFS; only the seeker may upload."""
    ref = _ref(deployments, challenge_id)
    with Session(engine) as session:  # refuse before reading a large body
        try:
            rooms.check_seeker(session, ref, address)
        except rooms.RoomError as error:
            raise _translate(error) from error
    upload = await read_file_field(request, "file", settings.room_max_document_bytes)
    with Session(engine) as session, session.begin():
        document = rooms.add_document(
            session,
            ref,
            address,
            filename=upload.filename or "",
            content_type=upload.content_type,
            content=upload.content,
        )
        return RoomDocumentOut.model_validate(document, from_attributes=True)


@router.get(
    "/documents/{document_id}",
    summary="Download a project-room document",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}, "description": "The document."}, **_ACCESS},
)
def download_document(
    challenge_id: ChallengeIdPath,
    document_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
    address: CurrentAddressDep,
    engine: EngineDep,
    deployments: DeploymentsDep,
) -> Response:
    ref = _ref(deployments, challenge_id)
    with Session(engine) as session:
        try:
            rooms.check_member(session, ref, address)
        except rooms.RoomError as error:
            raise _translate(error) from error
        document = rooms.get_document(session, ref, document_id)
        if document is None:
            raise NotFoundError(f"challenge {challenge_id}'s room has no document {document_id}")
        headers = {
            # Always a download: a confidential HTML file must not run in the API's origin.
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(document.filename)}",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
            "ETag": f'"{document.sha256}"',
        }
        return Response(document.content, media_type=document.content_type, headers=headers)
