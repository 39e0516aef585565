"""Projections: domain tables built from events, updated inside the indexer's transactions.

A projection's handlers run for each new event, in chain order, in the transaction that
stores the event and moves the cursor; its `on_rewind` runs in the transaction that deletes
the events of orphaned blocks. So a projection is always exactly as far as the cursor, even
after a crash or a reorg, without bookkeeping of its own.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from backend.models.chain import ChainEvent
from backend.services.indexer._decode import DecodedEvent

EventHandler = Callable[[Session, DecodedEvent], None]
"""Applies one new event to a projection's tables."""

RewindHandler = Callable[[Session, int], None]
"""Undoes a projection's changes from the blocks above the given one (the last block still valid)."""


@dataclass(frozen=True)
class Projection:
    """`handlers` maps "EventName" or "ContractName.EventName" (which wins) to a handler."""

    name: str
    handlers: Mapping[str, EventHandler] = field(default_factory=dict)
    on_rewind: RewindHandler | None = None

    def handler_for(self, contract_name: str, event_name: str) -> EventHandler | None:
        return self.handlers.get(f"{contract_name}.{event_name}") or self.handlers.get(event_name)


def replayed_event(row: ChainEvent, block_timestamp: int | None = None) -> DecodedEvent:
    """A stored `chain_events` row as the event its handlers received: what a projection
    replays when it rebuilds its rows after a reorg."""
    return DecodedEvent(
        chain_id=row.chain_id,
        contract_name=row.contract_name,
        contract_address=row.contract_address,
        event_name=row.event_name,
        block_number=row.block_number,
        block_hash=row.block_hash,
        tx_hash=row.tx_hash,
        tx_index=row.tx_index,
        log_index=row.log_index,
        args=row.args,
        block_timestamp=block_timestamp,
    )


# The projections `python -m backend.services.indexer` runs, in order. They are imported
# last: the domain modules import `Projection` from here (and the indexer only for type
# checking), so these imports see a complete module.
from backend.services import notifications  # noqa: E402
from backend.services.challenges.projection import PROJECTION as CHALLENGES  # noqa: E402
from backend.services.microtasks.projection import PROJECTION as MICROTASKS_PROJECTION  # noqa: E402

NOTIFICATIONS = Projection("notifications", handlers=notifications.HANDLERS, on_rewind=notifications.on_rewind)
PROJECTIONS: tuple[Projection, ...] = (CHALLENGES, MICROTASKS_PROJECTION, NOTIFICATIONS)
