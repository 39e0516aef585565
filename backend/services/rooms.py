"""Project rooms: the seeker's confidential documents of a challenge, readable only by the
seeker and the solvers who accepted the challenge's agreement on chain.

Documents are kept in the database (one transaction per upload, so never half-written),
never on IPFS: the room is confidential and IPFS content is public to anyone with the CID.
"""

import hashlib
import unicodedata
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from backend.errors import CrowdbountyError
from backend.models import RoomDocument
from backend.services import challenge_facts as facts
from backend.services.challenge_facts import ChallengeRef


class RoomError(CrowdbountyError):
    """A project-room request that cannot be served."""


class ChallengeNotIndexedError(RoomError):
    """The challenge's creation is not indexed (yet)."""


class RoomAccessDeniedError(RoomError):
    """The caller is neither the seeker nor a solver who accepted the agreement on chain."""


def room_seeker(session: Session, ref: ChallengeRef) -> str:
    seeker = facts.challenge_seeker(session, ref)
    if seeker is None:
        raise ChallengeNotIndexedError(f"challenge {ref.challenge_id} is not indexed (yet)")
    return seeker


def check_member(session: Session, ref: ChallengeRef, address: str) -> str:
    """The seeker, if `address` may enter the room; raises `RoomAccessDeniedError` otherwise."""
    seeker = room_seeker(session, ref)
    if address != seeker and not facts.has_accepted_terms(session, ref, address):
        raise RoomAccessDeniedError(
            f"the project room of challenge {ref.challenge_id} is open to its seeker and to solvers who accepted "
            f"its agreement on chain (acceptTerms); {address} has not, or its acceptance is not indexed yet"
        )
    return seeker


def check_seeker(session: Session, ref: ChallengeRef, address: str) -> None:
    if address != room_seeker(session, ref):
        raise RoomAccessDeniedError(f"only the seeker of challenge {ref.challenge_id} may add documents to its room")


def clean_filename(name: str | None) -> str:
    """A display name without path or control characters, at most 255 characters."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip()
    return base[:255] or "document"


def add_document(
    session: Session, ref: ChallengeRef, uploader: str, *, filename: str, content_type: str, content: bytes
) -> RoomDocument:
    check_seeker(session, ref, uploader)
    document = RoomDocument(
        chain_id=ref.chain_id,
        escrow=ref.escrow,
        challenge_id=ref.challenge_id,
        filename=clean_filename(filename),
        content_type=content_type[:255] or "application/octet-stream",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by=uploader,
        created_at=datetime.now(UTC),
        content=content,
    )
    session.add(document)
    session.flush()
    return document


def list_documents(session: Session, ref: ChallengeRef) -> Sequence[RoomDocument]:
    """The room's documents, oldest first, without their content."""
    return session.scalars(
        select(RoomDocument)
        .options(defer(RoomDocument.content))
        .where(
            RoomDocument.chain_id == ref.chain_id,
            RoomDocument.escrow == ref.escrow,
            RoomDocument.challenge_id == ref.challenge_id,
        )
        .order_by(RoomDocument.id)
    ).all()


def get_document(session: Session, ref: ChallengeRef, document_id: int) -> RoomDocument | None:
    document = session.get(RoomDocument, document_id)
    if document is None or (document.chain_id, document.escrow, document.challenge_id) != (
        ref.chain_id,
        ref.escrow,
        ref.challenge_id,
    ):
        return None
    return document
