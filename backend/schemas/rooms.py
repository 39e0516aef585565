"""Project rooms: the documents of a challenge, for its seeker and the solvers who accepted."""

from datetime import UTC, datetime

from pydantic import BaseModel, field_validator

from backend.schemas.common import EthAddress


class RoomDocumentOut(BaseModel):
    id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: EthAddress
    created_at: datetime

    @field_validator("created_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return value if value.tzinfo else value.replace(tzinfo=UTC)


class RoomOut(BaseModel):
    challenge_id: int
    escrow: EthAddress
    seeker: EthAddress
    documents: list[RoomDocumentOut]
