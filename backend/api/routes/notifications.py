"""Notifications of the signed-in address: GET /api/notifications, GET /api/notifications/stream
(Server-Sent Events), POST /api/notifications/read."""

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from backend.api.deps import EngineDep, SettingsDep
from backend.api.errors import BadRequestError
from backend.api.pagination import decode_cursor, encode_cursor
from backend.api.responses import RATE_LIMITED, UNAUTHORIZED, errors
from backend.api.security import CurrentAddressDep, SessionTokenDep, SignedInDep, WriteRateLimit
from backend.models import Notification
from backend.schemas.common import Page, PageLimit
from backend.schemas.notifications import MarkReadIn, MarkReadOut, NotificationOut
from backend.services import notifications
from backend.services.auth import resolve_session

router = APIRouter(prefix="/api/notifications", tags=["notifications"])

_BATCH = 100


def _out(row: Notification) -> NotificationOut:
    return NotificationOut(
        id=row.id,
        chain_id=row.chain_id,
        kind=row.kind,
        payload=row.payload,
        created_at=row.created_at,
        read=row.read_at is not None,
    )


@router.get(
    "",
    summary="The signed-in address's notifications, newest first",
    response_model=Page[NotificationOut],
    responses={**UNAUTHORIZED, **errors(s400="A cursor this API did not issue.")},
)
def list_notifications(
    address: CurrentAddressDep, engine: EngineDep, cursor: str | None = None, limit: PageLimit = 20
) -> Page[NotificationOut]:
    before = int(decode_cursor(cursor, [int])[0]) if cursor else None
    with Session(engine) as session:
        rows = notifications.list_notifications(session, address, before, limit + 1)
        items = [_out(row) for row in rows[:limit]]
    next_cursor = encode_cursor([items[-1].id]) if len(rows) > limit else None
    return Page(items=items, next_cursor=next_cursor)


@router.post(
    "/read",
    summary="Mark notifications read up to an id",
    response_model=MarkReadOut,
    dependencies=[WriteRateLimit],
    responses={**UNAUTHORIZED, **RATE_LIMITED, **errors(s400="The body is not JSON.")},
)
def mark_read(body: MarkReadIn, address: CurrentAddressDep, engine: EngineDep) -> MarkReadOut:
    with Session(engine) as session, session.begin():
        return MarkReadOut(marked=notifications.mark_read(session, address, body.up_to_id))


def _sse(row: Notification) -> str:
    data = _out(row).model_dump_json()
    return f"id: {row.id}\nevent: notification\ndata: {data}\n\n"


def _fetch(engine: Engine, token: str, address: str, after_id: int) -> list[str] | None:
    """The next events, or None once the session is gone (logout, expiry)."""
    with Session(engine) as session:
        if resolve_session(session, token) is None:
            return None
        return [_sse(row) for row in notifications.notifications_after(session, address, after_id, _BATCH)]


def _latest(engine: Engine, address: str) -> int:
    with Session(engine) as session:
        return notifications.latest_id(session, address)


async def _stream(
    request: Request,
    engine: Engine,
    token: str,
    address: str,
    *,
    after_id: int,
    ends_at: float,
    poll_s: float,
    heartbeat_s: float,
) -> AsyncIterator[str]:
    stopping: asyncio.Event = request.app.state.stopping
    yield f"retry: {int(poll_s * 1000) + 1000}\n\n"
    last_sent = time.monotonic()
    while not stopping.is_set() and time.monotonic() < ends_at and not await request.is_disconnected():
        # The indexer is another process: poll the database; ids are visible in increasing order.
        events = await run_in_threadpool(_fetch, engine, token, address, after_id)
        if events is None:
            break
        for event in events:
            yield event
        if events:
            after_id = int(events[-1].split("\n", 1)[0].removeprefix("id: "))
            last_sent = time.monotonic()
            if len(events) == _BATCH:
                continue
        if time.monotonic() - last_sent >= heartbeat_s:
            yield ": heartbeat\n\n"
            last_sent = time.monotonic()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), timeout=poll_s)


@router.get(
    "/stream",
    summary="Live notifications (Server-Sent Events)",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"text/event-stream": {}},
            "description": "`event: notification` per notification, `id:` its id.",
        },
        **UNAUTHORIZED,
        **errors(s400="Last-Event-ID is not a notification id."),
    },
)
async def stream(
    request: Request,
    *,
    signed_in: SignedInDep,
    token: SessionTokenDep,
    engine: EngineDep,
    settings: SettingsDep,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
    after: Annotated[int | None, Query(ge=0, description="Start after this id (when no Last-Event-ID).")] = None,
) -> StreamingResponse:
    """Sends the notifications after `Last-Event-ID` (or `after`; by default only new ones), then
    each new one as it is stored, with heartbeat comments. It ends when the session expires or is logged out,
    after `notifications_stream_max_s`, or on shutdown; EventSource then resumes by itself."""
    if last_event_id is not None:
        if not last_event_id.isdigit():
            raise BadRequestError(f"Last-Event-ID {last_event_id[:40]!r} is not a notification id")
        after_id = int(last_event_id)
    elif after is not None:
        after_id = after
    else:
        after_id = await run_in_threadpool(_latest, engine, signed_in.address)
    ends_at = time.monotonic() + min(settings.notifications_stream_max_s, signed_in.expires_at - time.time())
    assert token is not None  # signed_in resolved it
    body = _stream(
        request,
        engine,
        token,
        signed_in.address,
        after_id=after_id,
        ends_at=ends_at,
        poll_s=settings.notifications_stream_poll_s,
        heartbeat_s=settings.notifications_stream_heartbeat_s,
    )
    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(body, media_type="text/event-stream", headers=headers)
