from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.models import IndexedBlock
from backend.services.indexer import Projection


def test_a_reorg_replaces_the_orphaned_events_with_the_new_ones(harness: Any) -> None:
    kept = [harness.ping(note="before the fork")]
    snapshot = harness.rpc("evm_snapshot")
    orphaned = [harness.emit_many(3), harness.emit_many(3)]
    indexer = harness.indexer()
    indexer.run_once()
    assert harness.events() == harness.expected(kept + orphaned)

    assert harness.rpc("evm_revert", snapshot) is True
    replacing = [harness.emit_many(2), harness.ping(note="after the fork", sender=2), harness.emit_many(1)]
    stats = indexer.run_once()

    assert stats.rewinds == 1
    assert stats.orphaned_events == 6
    assert harness.events() == harness.expected(kept + replacing)
    assert harness.cursor() == harness.head()
    with Session(harness.engine) as session:
        for block in session.scalars(select(IndexedBlock)):
            assert block.hash == "0x" + harness.w3.eth.get_block(block.number)["hash"].hex()


def test_a_chain_that_became_shorter_is_rewound_without_waiting_for_new_blocks(harness: Any) -> None:
    kept = [harness.emit_many(2)]
    snapshot = harness.rpc("evm_snapshot")
    harness.emit_many(2)
    harness.ping()
    rewound_to: list[int] = []
    projection = Projection("rewinds", on_rewind=lambda _session, block: rewound_to.append(block))
    indexer = harness.indexer(projections=[projection])
    indexer.run_once()

    harness.rpc("evm_revert", snapshot)
    stats = indexer.run_once()

    assert stats.rewinds == 1
    assert harness.events() == harness.expected(kept)
    assert harness.cursor() == harness.head()
    assert rewound_to == [harness.head()]


def test_a_reorg_below_many_indexed_ranges_finds_the_fork_point(harness: Any) -> None:
    kept = [harness.emit_many(1)]
    snapshot = harness.rpc("evm_snapshot")
    orphaned = [harness.emit_many(1) for _ in range(10)]
    indexer = harness.indexer(initial_block_range=1, max_block_range=1, rewind_batch=3)
    indexer.run_once()
    assert len(harness.events()) == 11

    harness.rpc("evm_revert", snapshot)
    replacing = [harness.ping(sender=3) for _ in range(12)]
    stats = indexer.run_once()

    assert stats.rewinds == 1
    assert stats.orphaned_events == len(orphaned)
    assert harness.events() == harness.expected(kept + replacing)
