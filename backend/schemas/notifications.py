"""Notifications of the signed-in address."""

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field, field_validator


class NotificationOut(BaseModel):
    """`kind` says what happened; `payload` carries its facts (amounts as decimal strings)."""

    id: int
    chain_id: int
    kind: str
    payload: dict[str, Any]
    created_at: datetime
    read: bool

    @field_validator("created_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        # SQLite returns naive datetimes; every stored time is UTC.
        return value if value.tzinfo else value.replace(tzinfo=UTC)


class MarkReadIn(BaseModel):
    up_to_id: int = Field(ge=0, description="Every notification with an id up to this one becomes read.")


class MarkReadOut(BaseModel):
    marked: int
