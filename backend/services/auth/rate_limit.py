"""Fixed-window request counters in the database, so every API worker shares them."""

import time
from dataclasses import dataclass

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from backend.models import RateLimitCounter


@dataclass(frozen=True)
class RateLimitVerdict:
    allowed: bool
    count: int
    retry_after_s: int


def hit(session: Session, bucket: str, limit: int, window_s: int, now: float | None = None) -> RateLimitVerdict:
    """Count one request in `bucket`'s current window; not allowed beyond `limit` requests."""
    now = time.time() if now is None else now
    window_start = int(now // window_s * window_s)
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(RateLimitCounter).values(bucket=bucket, window_start=window_start, count=1)
    # One atomic upsert: concurrent requests never lose a count.
    count = session.execute(
        statement.on_conflict_do_update(
            index_elements=["bucket", "window_start"], set_={"count": RateLimitCounter.count + 1}
        ).returning(RateLimitCounter.count)
    ).scalar_one()
    session.execute(
        delete(RateLimitCounter).where(RateLimitCounter.bucket == bucket, RateLimitCounter.window_start < window_start)
    )
    retry_after = max(1, int(window_start + window_s - now + 0.999))
    return RateLimitVerdict(count <= limit, count, retry_after)
