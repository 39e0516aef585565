"""After a reorg the challenge tables equal what indexing the new chain from scratch gives."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from challenges_support import ChallengeChain, index, indexer, sample_metadata, snapshot_tables
from sqlalchemy import Engine
from web3 import Web3

from backend.db import make_engine
from backend.services.challenges.metadata import resolve_pending_metadata
from backend.services.database import migrate
from backend.services.storage.cid import bytes_cid
from backend.services.storage.ipfs import IpfsClient
from devstack.services import LocalIpfsNode

# What the metadata job (not the chain) writes; the reference database never ran it.
METADATA_COLUMNS = (
    "metadata_status",
    "metadata_attempts",
    "metadata_retry_at",
    "title",
    "challenge_type",
    "tags",
    "description",
    "metadata_document",
)


@pytest.fixture
def ipfs(running_ipfs_node: LocalIpfsNode) -> Iterator[IpfsClient]:
    with IpfsClient(running_ipfs_node.api_url, fetch_timeout_s=2.0) as client:
        yield client


def _without_metadata(tables: dict[str, list[Any]]) -> dict[str, list[Any]]:
    return {
        **tables,
        "challenges": [
            {key: value for key, value in row.items() if key not in METADATA_COLUMNS} for row in tables["challenges"]
        ],
    }


def test_a_reorg_rebuilds_the_touched_challenges_exactly(
    w3: Web3, escrows: Any, engine: Engine, ipfs: IpfsClient, tmp_path: Path
) -> None:
    chain = ChallengeChain(w3, escrows)
    kept_id, _ = chain.create_with_metadata(ipfs, sample_metadata(), slots=(10**18, 5 * 10**17))
    chain.send(chain.escrow.functions.contribute(kept_id, 10**17), 1, 10**17)
    chain.accept(kept_id, 2)
    untouched_id = chain.create(sender=3)
    following = indexer(w3, engine, escrows)
    following.run_once()
    assert resolve_pending_metadata(engine, ipfs).verified == 1
    before = snapshot_tables(engine)

    snapshot = chain.rpc("evm_snapshot")
    for account in (3, 4):
        chain.accept(kept_id, account)
    chain.send(chain.teams.functions.createTeam(kept_id, [w3.eth.accounts[4]], 0, []), 3)
    chain.send(chain.teams.functions.confirmMembership(1), 4)
    chain.submit(kept_id, 2, bytes(bytes_cid(b"orphaned submission")))
    chain.send(chain.escrow.functions.contribute(kept_id, 10**17), 5, 10**17)
    orphaned_id = chain.create(sender=1)
    following.run_once()
    orphaned = snapshot_tables(engine)
    assert len(orphaned["challenges"]) == 3
    assert len(orphaned["challenge_teams"]) == 1
    assert len(orphaned["challenge_submissions"]) == 1

    # The chain falls back to the fork point: everything above it is undone.
    assert chain.rpc("evm_revert", snapshot) is True
    stats = following.run_once()
    assert stats.rewinds == 1
    assert snapshot_tables(engine) == before

    # A different future: other events on the same challenge, another new challenge.
    chain.accept(kept_id, 5)
    chain.send(chain.escrow.functions.contribute(kept_id, 3 * 10**17), 1, 3 * 10**17)
    replacing_id = chain.create(sender=2, slots=(7 * 10**17,))
    assert replacing_id == orphaned_id
    snapshot = chain.rpc("evm_snapshot")
    chain.submit(kept_id, 2, bytes(bytes_cid(b"second orphaned submission")))
    following.run_once()
    chain.rpc("evm_revert", snapshot)
    chain.submit(kept_id, 5, bytes(bytes_cid(b"kept submission")))
    stats = following.run_once()
    assert stats.rewinds == 1

    reference = make_engine(f"sqlite:///{tmp_path / 'reference.db'}")
    migrate(reference)
    index(w3, reference, escrows)
    rebuilt = snapshot_tables(engine)
    assert _without_metadata(rebuilt) == _without_metadata(snapshot_tables(reference))
    reference.dispose()
    # The verified metadata of the rebuilt challenge was carried over, not fetched again.
    kept = next(row for row in rebuilt["challenges"] if row["challenge_id"] == kept_id)
    assert (kept["metadata_status"], kept["title"]) == ("verified", sample_metadata().title)
    (submission,) = rebuilt["challenge_submissions"]
    assert (submission["entrant"], submission["arrival"]) == (w3.eth.accounts[5], 1)
    assert kept["funded"] == 10**18 + 5 * 10**17 + 10**17 + 3 * 10**17
    assert {row["challenge_id"] for row in rebuilt["challenges"]} == {kept_id, untouched_id, replacing_id}
