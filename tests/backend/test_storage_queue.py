"""The durable upload queue: nothing is lost when the node is down, even across restarts."""

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.services.storage.cid import file_cid
from backend.services.storage.errors import IpfsUnavailableError
from backend.services.storage.ipfs import IpfsClient
from backend.services.storage.queue import UploadOutcome, UploadQueue
from devstack.services import LocalIpfsNode


@pytest.fixture
def stopped_node(running_ipfs_node: LocalIpfsNode) -> Iterator[LocalIpfsNode]:
    """The session's node, stopped for the test and running again after it."""
    running_ipfs_node.stop()
    try:
        yield running_ipfs_node
    finally:
        if not running_ipfs_node.process.is_running():
            running_ipfs_node.start()


def _file(folder: Path, name: str, size: int) -> Path:
    path = folder / name
    path.write_bytes(os.urandom(size))
    return path


def test_upload_to_a_running_node_is_not_queued(running_ipfs_node: LocalIpfsNode, tmp_path: Path) -> None:
    source = _file(tmp_path, "doc", 1000)
    with IpfsClient(running_ipfs_node.api_url) as client:
        queue = UploadQueue(tmp_path / "queue", client)
        outcome = queue.upload_file(source)
        assert outcome == UploadOutcome(cid=file_cid(source), size=1000, queued=False)
        assert queue.pending() == []


def test_upload_while_node_is_down_is_queued_and_delivered_after_restart(
    stopped_node: LocalIpfsNode, tmp_path: Path
) -> None:
    small = _file(tmp_path, "small", 100)
    large = _file(tmp_path, "large", 3 * 262_144 + 1)
    queue_dir = tmp_path / "queue"
    with IpfsClient(stopped_node.api_url) as client:
        queue = UploadQueue(queue_dir, client)
        outcomes = [queue.upload_file(small), queue.upload_file(large)]
        assert all(o.queued for o in outcomes)
        # The caller can commit the CID at once: it is the one the node will compute.
        assert [o.cid for o in outcomes] == [file_cid(small), file_cid(large)]
        assert queue.deliver_pending().delivered == []  # node still down: nothing lost

    stopped_node.start()
    # A new process: only the queue folder carries the items over.
    with IpfsClient(stopped_node.api_url) as client:
        restarted = UploadQueue(queue_dir, client)
        assert [p.cid for p in restarted.pending()] == [o.cid for o in outcomes]
        report = restarted.deliver_pending()
        assert report.delivered == [o.cid for o in outcomes]
        assert report.pending == 0
        assert client.fetch_bytes(outcomes[1].cid) == large.read_bytes()
    assert sorted(p.name for p in queue_dir.iterdir()) == [".lock"]


def test_node_stopped_during_an_upload_gives_a_clear_error_then_queues(
    running_ipfs_node: LocalIpfsNode, tmp_path: Path
) -> None:
    source = _file(tmp_path, "big", 96 * 1024 * 1024)
    stopper = threading.Timer(0.3, running_ipfs_node.stop)
    try:
        with IpfsClient(running_ipfs_node.api_url) as client:
            stopper.start()
            with pytest.raises(IpfsUnavailableError, match="make up"):
                client.add_file(source)
            stopper.join()
            queue = UploadQueue(tmp_path / "queue", client)
            outcome = queue.upload_file(source)
            assert outcome.queued
    finally:
        stopper.join()
        running_ipfs_node.start()
    with IpfsClient(running_ipfs_node.api_url) as client:
        assert UploadQueue(tmp_path / "queue", client).deliver_pending().delivered == [outcome.cid]
        client.pin(outcome.cid)


def test_unacknowledged_leftovers_are_discarded(running_ipfs_node: LocalIpfsNode, tmp_path: Path) -> None:
    queue_dir = tmp_path / "queue"
    queue_dir.mkdir()
    # What a crash between writing the data and the manifest leaves behind.
    (queue_dir / "bafkreiorphan.data").write_bytes(b"never acknowledged")
    (queue_dir / ".bafkreiorphan.json.tmp123").write_bytes(b"{")
    with IpfsClient(running_ipfs_node.api_url) as client:
        report = UploadQueue(queue_dir, client).deliver_pending()
    assert report.delivered == []
    assert report.pending == 0
    assert sorted(p.name for p in queue_dir.iterdir()) == [".lock"]


def test_queue_writes_are_durable_files(stopped_node: LocalIpfsNode, tmp_path: Path) -> None:
    source = _file(tmp_path, "doc", 10)
    with IpfsClient(stopped_node.api_url) as client:
        started = time.monotonic()
        pending = UploadQueue(tmp_path / "queue", client).upload_file(source)
        assert time.monotonic() - started < 5  # retries are short when the node is down
    data = tmp_path / "queue" / f"{pending.cid}.data"
    assert data.read_bytes() == source.read_bytes()
    assert (tmp_path / "queue" / f"{pending.cid}.json").exists()
