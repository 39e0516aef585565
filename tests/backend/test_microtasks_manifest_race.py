"""Two readers load the same batch's manifest at once (an API request and the indexer's
manifest job, say): the later one uses the first one's rows instead of failing."""

from microtask_support import TASK_COUNT, Market
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.models import MicrotaskBatch, MicrotaskTask
from backend.services.microtasks.service import ensure_manifest


def test_a_manifest_loaded_meanwhile_by_another_session_is_used(market: Market) -> None:
    batch_id = market.fund()
    market.index()
    with Session(market.engine) as late:
        batch = late.scalars(select(MicrotaskBatch).where(MicrotaskBatch.batch_id == batch_id)).one()
        assert batch.manifest_status == "pending"
        with Session(market.engine) as first:
            ensure_manifest(first, market.ipfs, first.get_one(MicrotaskBatch, batch.id))
        # The late reader inserts the same tasks: their rows collide at the first autoflush.
        ensure_manifest(late, market.ipfs, batch)
        assert batch.manifest_status == "verified"
        tasks = late.scalar(select(func.count()).select_from(MicrotaskTask).where(MicrotaskTask.batch_pk == batch.id))
        assert tasks == TASK_COUNT
