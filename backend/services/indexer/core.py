"""The indexer: follows contracts' events into `chain_events`, one transaction per block range.

Each range [cursor + 1, to] is fetched with one `eth_getLogs`, then written together with
the hashes of the blocks it relied on and the new cursor in ONE transaction (the domain
handlers run inside it too). A process killed at any moment therefore resumes at the last
committed cursor, and the unique key (chain_id, tx_hash, log_index) makes a re-insert a no-op.

Reorgs: every range must start on top of the stored hash of the cursor block. When it does
not (or the cursor block itself changed), the indexer walks its stored blocks down to the
highest one the chain still has, deletes everything above it and indexes again from there.
"""

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from tenacity import RetryCallState, Retrying, retry_if_exception_type, wait_exponential
from web3 import Web3

from backend.db import upsert_insert
from backend.models import ChainEvent, IndexedBlock, IndexerCursor
from backend.services.indexer._decode import DecodedEvent, FollowedContract, LogDecoder
from backend.services.indexer._rpc import BlockHeader, IndexerError, Rpc, RpcRequestError, RpcUnavailableError
from backend.services.indexer.projections import EventHandler, Projection

log = logging.getLogger(__name__)

# A node whose blocks keep changing under a fetch is treated as unavailable for a while.
_MAX_UNSETTLED_FETCHES = 10
# Failures worth waiting out: the node or the database is down, busy or refusing requests.
TRANSIENT_ERRORS: tuple[type[Exception], ...] = (RpcUnavailableError, RpcRequestError, OperationalError)


class ChainMismatchError(IndexerError):
    """The RPC node serves another chain than the one the contracts were deployed on."""


class ConcurrentIndexerError(IndexerError):
    """The cursor moved under this indexer: another process indexes the same stream."""


@dataclass(frozen=True)
class IndexerConfig:
    stream: str = "main"
    confirmations: int = 0
    initial_block_range: int = 100
    max_block_range: int = 2000
    poll_interval_s: float = 1.0
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 30.0
    # Stored block hashes examined per RPC batch while looking for a reorg's fork point.
    rewind_batch: int = 64


@dataclass
class RunStats:
    """What one `run_once()` did."""

    ranges: int = 0
    events: int = 0
    shrinks: int = 0
    rewinds: int = 0
    orphaned_events: int = 0
    cursor: int = -1
    safe_head: int = -1

    @property
    def caught_up(self) -> bool:
        return self.cursor >= self.safe_head


class _ReorgDetectedError(Exception):
    """The range does not build on the stored cursor block."""


class _ChainMovedError(Exception):
    """The chain changed while a range was fetched; fetch it again."""


@dataclass
class _Range:
    first: int
    last: int
    events: list[DecodedEvent] = field(default_factory=list)
    blocks: dict[int, BlockHeader] = field(default_factory=dict)


class Indexer:
    """Follows `contracts` on the chain of `w3` into the database of `engine`.

    `projections` consume the events inside the indexer's transactions (see `Projection`).
    """

    def __init__(
        self,
        w3: Web3,
        engine: Engine,
        contracts: Sequence[FollowedContract],
        *,
        config: IndexerConfig | None = None,
        projections: Sequence[Projection] = (),
        expected_chain_id: int | None = None,
    ) -> None:
        if not contracts:
            raise IndexerError("the indexer needs at least one contract to follow")
        self.config = config or IndexerConfig()
        self._rpc = Rpc(w3)
        self._sessions = sessionmaker(engine)
        self._decoder = LogDecoder(contracts)
        self._addresses = self._decoder.addresses
        self._start_block = min(contract.start_block for contract in contracts)
        self._projections = tuple(projections)
        self._dispatch: dict[tuple[str, str], list[EventHandler]] = {}
        self._expected_chain_id = expected_chain_id
        self._chain_id: int | None = None
        self._block_range = max(1, min(self.config.initial_block_range, self.config.max_block_range))
        self._insert = upsert_insert(engine)

    @property
    def block_range(self) -> int:
        """The current size of an `eth_getLogs` range: halved on errors, doubled when healthy."""
        return self._block_range

    def run_once(self, stop_event: threading.Event | None = None) -> RunStats:
        """Index every confirmed block available now (until `stop_event` is set); raises
        `RpcUnavailableError` when the node cannot be reached."""
        stats = RunStats()
        chain_id = self._get_chain_id()
        cursor = self._load_cursor(chain_id)
        unsettled = 0
        while stop_event is None or not stop_event.is_set():
            safe_head = self._rpc.block_number() - self.config.confirmations
            stats.safe_head = safe_head
            stored = self._stored_hash(chain_id, cursor)
            if cursor >= safe_head:
                # Nothing new to fetch, but the tip may have been replaced (or the chain shortened).
                if stored is not None and self._chain_differs_at(cursor, stored):
                    cursor = self._rewind(chain_id, cursor, stats)
                    continue
                break
            last = min(cursor + self._block_range, safe_head)
            try:
                fetched = self._fetch(chain_id, cursor + 1, last, stored)
            except _ReorgDetectedError:
                cursor = self._rewind(chain_id, cursor, stats)
                continue
            except _ChainMovedError:
                unsettled += 1
                if unsettled >= _MAX_UNSETTLED_FETCHES:
                    raise RpcUnavailableError(f"the chain changed during {unsettled} fetches in a row") from None
                log.info("the chain changed while blocks %d-%d were fetched; fetching again", cursor + 1, last)
                continue
            except RpcRequestError as error:
                if self._block_range == 1 or cursor + 1 == last:
                    raise RpcUnavailableError(f"{error}; even a one-block range fails") from error
                self._block_range = max(1, (last - cursor) // 2)
                stats.shrinks += 1
                log.info(
                    "eth_getLogs of blocks %d-%d failed (%s); range now %d blocks",
                    cursor + 1,
                    last,
                    error.error,
                    self._block_range,
                )
                continue
            self._store(chain_id, cursor, fetched)
            unsettled = 0
            cursor = last
            stats.ranges += 1
            stats.events += len(fetched.events)
            self._block_range = min(self._block_range * 2, self.config.max_block_range)
        stats.cursor = cursor
        return stats

    def run_forever(self, stop_event: threading.Event, after_run: Callable[[RunStats], None] | None = None) -> None:
        """Index, then poll for new blocks, until `stop_event` is set; waits out a node or
        database that is down with capped exponential backoff. Returns between transactions.

        `after_run` is called after each successful run, outside the indexer's transactions
        (for work that must not hold them, like fetching metadata from IPFS)."""

        def sleep(seconds: float) -> None:
            stop_event.wait(seconds)

        retrying = Retrying(
            retry=retry_if_exception_type(TRANSIENT_ERRORS),
            wait=wait_exponential(multiplier=self.config.backoff_initial_s, max=self.config.backoff_max_s),
            stop=lambda _state: stop_event.is_set(),
            sleep=sleep,
            before_sleep=self._log_backoff,
            reraise=True,
        )
        log.info(
            "indexing %s from block %d (stream %r)", ", ".join(self._addresses), self._start_block, self.config.stream
        )
        while not stop_event.is_set():
            try:
                stats = retrying(self.run_once, stop_event)
            except TRANSIENT_ERRORS:
                if stop_event.is_set():
                    break
                raise
            failed_attempts = retrying.statistics.get("attempt_number", 1) - 1
            if failed_attempts:
                log.warning("recovered after %d failed attempts; indexed up to block %d", failed_attempts, stats.cursor)
            if stats.events or stats.rewinds:
                log.info("indexed up to block %d: %d events, %d rewinds", stats.cursor, stats.events, stats.rewinds)
            if after_run is not None:
                after_run(stats)
            if stats.caught_up:
                stop_event.wait(self.config.poll_interval_s)
        log.info("stopped")

    @staticmethod
    def _log_backoff(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        delay = state.next_action.sleep if state.next_action else 0.0
        log.warning("indexing paused: %s; retrying in %.1f s (attempt %d)", error, delay, state.attempt_number)

    def _get_chain_id(self) -> int:
        if self._chain_id is None:
            chain_id = self._rpc.chain_id()
            if self._expected_chain_id is not None and chain_id != self._expected_chain_id:
                raise ChainMismatchError(
                    f"{self._rpc.endpoint} serves chain {chain_id}, the contracts are on chain {self._expected_chain_id}"
                )
            self._chain_id = chain_id
        return self._chain_id

    def _load_cursor(self, chain_id: int) -> int:
        stream = self.config.stream
        with self._sessions.begin() as session:
            cursor = session.get(IndexerCursor, (chain_id, stream))
            if cursor is not None:
                return cursor.last_block
            session.execute(
                self._insert(IndexerCursor)
                .values(chain_id=chain_id, stream=stream, last_block=self._start_block - 1)
                .on_conflict_do_nothing()
            )
        return self._load_cursor(chain_id)

    def _stored_hash(self, chain_id: int, number: int) -> str | None:
        with self._sessions() as session:
            block = session.get(IndexedBlock, (chain_id, self.config.stream, number))
            return block.hash if block else None

    def _chain_differs_at(self, number: int, stored_hash: str) -> bool:
        header = self._rpc.headers([number])[number]
        return header is None or header.hash != stored_hash

    def _fetch(self, chain_id: int, first: int, last: int, parent_hash: str | None) -> _Range:
        bounds = self._rpc.headers(sorted({first, last}))
        first_header, last_header = bounds[first], bounds[last]
        if first_header is None or last_header is None:
            raise _ChainMovedError
        if parent_hash is not None and first_header.parent_hash != parent_hash:
            raise _ReorgDetectedError
        raw_logs = self._rpc.logs(first, last, self._addresses)
        fetched = _Range(first, last)
        for raw in raw_logs:
            if raw.get("removed"):
                continue
            event = self._decoder.decode(chain_id, raw)
            if event is not None:
                fetched.events.append(event)
        fetched.events.sort(key=lambda event: (event.block_number, event.log_index))
        # Headers fetched after the logs, `last` again at the end: if `last` kept its hash,
        # the chain below it did not change meanwhile and every log must match its block.
        numbers = [*sorted({event.block_number for event in fetched.events} - {last}), last]
        headers = self._rpc.headers(numbers)
        if headers[last] != last_header:
            raise _ChainMovedError
        for event in fetched.events:
            header = headers[event.block_number]
            if header is None or header.hash != event.block_hash:
                raise _ChainMovedError
        fetched.blocks = {number: header for number, header in headers.items() if header is not None}
        fetched.events = [
            replace(event, block_timestamp=fetched.blocks[event.block_number].timestamp) for event in fetched.events
        ]
        return fetched

    def _move_cursor(self, session: Session, chain_id: int, expected: int, new: int) -> None:
        """Move the cursor from `expected` to `new`, or raise if another indexer moved it."""
        moved = session.execute(
            update(IndexerCursor)
            .where(
                IndexerCursor.chain_id == chain_id,
                IndexerCursor.stream == self.config.stream,
                IndexerCursor.last_block == expected,
            )
            .values(last_block=new)
        )
        if moved.rowcount != 1:  # type: ignore[attr-defined]
            raise ConcurrentIndexerError(
                f"the cursor of stream {self.config.stream!r} is no longer at block {expected}"
            )

    def _store(self, chain_id: int, cursor: int, fetched: _Range) -> None:
        stream = self.config.stream
        with self._sessions.begin() as session:
            self._move_cursor(session, chain_id, cursor, fetched.last)
            if fetched.events:
                session.execute(
                    self._insert(ChainEvent).on_conflict_do_nothing(),
                    [_event_row(event, stream) for event in fetched.events],
                )
            session.execute(
                self._insert(IndexedBlock).on_conflict_do_nothing(),
                [
                    {
                        "chain_id": chain_id,
                        "stream": stream,
                        "number": h.number,
                        "hash": h.hash,
                        "parent_hash": h.parent_hash,
                        "timestamp": h.timestamp,
                    }
                    for h in fetched.blocks.values()
                ],
            )
            for event in fetched.events:
                for handler in self._handlers_of(event):
                    handler(session, event)

    def _handlers_of(self, event: DecodedEvent) -> list[EventHandler]:
        key = (event.contract_name, event.event_name)
        if key not in self._dispatch:
            found = (projection.handler_for(*key) for projection in self._projections)
            self._dispatch[key] = [handler for handler in found if handler is not None]
        return self._dispatch[key]

    def _fork_point(self, chain_id: int, cursor: int) -> int:
        """The highest stored block the chain still has (everything below it is unchanged too)."""
        below = cursor + 1
        while True:
            with self._sessions() as session:
                stored = session.execute(
                    select(IndexedBlock.number, IndexedBlock.hash)
                    .where(
                        IndexedBlock.chain_id == chain_id,
                        IndexedBlock.stream == self.config.stream,
                        IndexedBlock.number < below,
                    )
                    .order_by(IndexedBlock.number.desc())
                    .limit(self.config.rewind_batch)
                ).all()
            if not stored:
                return self._start_block - 1
            canonical = self._rpc.headers([number for number, _ in stored])
            for number, stored_hash in stored:
                header = canonical[number]
                if header is not None and header.hash == stored_hash:
                    return number
            below = stored[-1][0]

    def _rewind(self, chain_id: int, cursor: int, stats: RunStats) -> int:
        fork = self._fork_point(chain_id, cursor)
        stream = self.config.stream
        with self._sessions.begin() as session:
            self._move_cursor(session, chain_id, cursor, fork)
            orphaned = session.execute(
                delete(ChainEvent).where(
                    ChainEvent.chain_id == chain_id, ChainEvent.stream == stream, ChainEvent.block_number > fork
                )
            )
            session.execute(
                delete(IndexedBlock).where(
                    IndexedBlock.chain_id == chain_id, IndexedBlock.stream == stream, IndexedBlock.number > fork
                )
            )
            for projection in self._projections:
                if projection.on_rewind is not None:
                    projection.on_rewind(session, fork)
        orphaned_events: int = orphaned.rowcount  # type: ignore[attr-defined]
        log.warning(
            "reorg: block %d changed; rewound stream %r from block %d to %d, %d orphaned events deleted",
            cursor, stream, cursor, fork, orphaned_events,
        )  # fmt: skip
        stats.rewinds += 1
        stats.orphaned_events += orphaned_events
        return fork


def _event_row(event: DecodedEvent, stream: str) -> dict[str, Any]:
    return {
        "chain_id": event.chain_id,
        "stream": stream,
        "contract_name": event.contract_name,
        "contract_address": event.contract_address,
        "event_name": event.event_name,
        "block_number": event.block_number,
        "block_hash": event.block_hash,
        "tx_hash": event.tx_hash,
        "tx_index": event.tx_index,
        "log_index": event.log_index,
        "args": event.args,
    }
