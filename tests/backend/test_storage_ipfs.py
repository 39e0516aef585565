"""The IPFS layer against a real js-ipfs node: local CIDs, verified fetches, bounded failures."""

import hashlib
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from multiformats import CID

from backend.core.config import Settings
from backend.services.storage.cid import CHUNK_BYTES, MAX_LINKS_PER_NODE, bytes_cid, file_cid, raw_block_cid
from backend.services.storage.dagpb import PbLink, encode_file_node
from backend.services.storage.errors import (
    ContentNotFoundError,
    IntegrityError,
    IpfsUnavailableError,
    ObjectTooLargeError,
    StorageError,
)
from backend.services.storage.ipfs import IpfsClient
from devstack.services import LocalIpfsNode

FETCH_TIMEOUT_S = 1.0


@pytest.fixture
def client(running_ipfs_node: LocalIpfsNode) -> Iterator[IpfsClient]:
    with IpfsClient(running_ipfs_node.api_url, fetch_timeout_s=FETCH_TIMEOUT_S) as ipfs:
        yield ipfs


def _put_block(api_url: str, block: bytes, codec: str) -> CID:
    response = httpx.post(
        f"{api_url}/api/v0/block/put",
        params={"format": codec, "mhtype": "sha2-256", "version": "1"},
        files={"file": ("block", block)},
        timeout=10,
    )
    response.raise_for_status()
    return CID.decode(response.json()["Key"])


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    "size",
    [0, 1, CHUNK_BYTES - 1, CHUNK_BYTES, CHUNK_BYTES + 1, MAX_LINKS_PER_NODE * CHUNK_BYTES + 1],
    ids=["empty", "1B", "chunk-1", "chunk", "chunk+1", "two-level-tree"],
)
def test_add_gives_the_local_cid_and_fetch_returns_the_content(client: IpfsClient, size: int) -> None:
    content = os.urandom(size)
    added = client.add_bytes(content)
    assert added.cid == bytes_cid(content)
    assert added.size == size
    assert client.fetch_bytes(added.cid) == content
    assert client.fetch_bytes(str(added.cid)) == content  # string in any base: decoded, not compared


def test_small_content_is_one_raw_block(client: IpfsClient) -> None:
    content = b"metadata document"
    assert client.add_bytes(content).cid == raw_block_cid(content)


# The node fixture is safe to share between examples: each one only adds content.
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    size=st.sampled_from([CHUNK_BYTES - 1, CHUNK_BYTES, CHUNK_BYTES + 1, 2 * CHUNK_BYTES, 3 * CHUNK_BYTES - 7]),
    seed=st.binary(min_size=1, max_size=16),
)
def test_local_cid_equals_the_nodes_for_random_content(
    running_ipfs_node: LocalIpfsNode, size: int, seed: bytes
) -> None:
    content = (hashlib.sha256(seed).digest() * (size // 32 + 1))[:size]
    with IpfsClient(running_ipfs_node.api_url) as ipfs:
        assert ipfs.add_bytes(content, pin=False).cid == bytes_cid(content)


def test_fetch_to_file_streams_and_writes_atomically(client: IpfsClient, tmp_path: Path) -> None:
    source = tmp_path / "source.bin"
    source.write_bytes(os.urandom(3 * CHUNK_BYTES + 5))
    added = client.add_file(source)
    assert added.cid == file_cid(source)
    target = tmp_path / "out" / "copy.bin"
    assert client.fetch_to_file(added.cid, target) == source.stat().st_size
    assert target.read_bytes() == source.read_bytes()
    assert [p.name for p in target.parent.iterdir()] == ["copy.bin"]


def test_pin_of_present_content(client: IpfsClient) -> None:
    client.pin(client.add_bytes(b"pin me", pin=False).cid)


def test_missing_cid_fails_within_a_few_seconds(client: IpfsClient) -> None:
    missing = raw_block_cid(os.urandom(32))
    started = time.monotonic()
    with pytest.raises(ContentNotFoundError):
        client.fetch_bytes(missing)
    with pytest.raises(ContentNotFoundError):
        client.pin(missing)
    assert time.monotonic() - started < 4 * FETCH_TIMEOUT_S + 2


def test_unreachable_node_is_one_clear_error() -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    with IpfsClient(url) as ipfs, pytest.raises(IpfsUnavailableError) as raised:
        ipfs.version()
    assert url in str(raised.value)
    assert "make up" in str(raised.value)


def test_client_reads_its_limits_from_settings(running_ipfs_node: LocalIpfsNode) -> None:
    settings = Settings(ipfs_api_url=running_ipfs_node.api_url, ipfs_max_object_bytes=1234)
    with IpfsClient.from_settings(settings) as ipfs:
        assert ipfs.max_object_bytes == 1234
        assert ipfs.version()


def test_size_limit_applies_to_add_and_fetch(running_ipfs_node: LocalIpfsNode) -> None:
    content = os.urandom(CHUNK_BYTES + 10)
    with IpfsClient(running_ipfs_node.api_url) as ipfs:
        cid = ipfs.add_bytes(content).cid
    with IpfsClient(running_ipfs_node.api_url, max_object_bytes=CHUNK_BYTES) as small:
        with pytest.raises(ObjectTooLargeError):
            small.add_bytes(content)
        with pytest.raises(ObjectTooLargeError):
            small.fetch_bytes(cid)


class _LyingNode(httpx.BaseTransport):
    """Forwards to the real node but answers `block/get` for one CID with another's block."""

    def __init__(self, asked: CID, served: CID) -> None:
        self._real = httpx.HTTPTransport()
        self._asked = asked
        self._served = served

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/block/get") and CID.decode(request.url.params["arg"]) == self._asked:
            request.url = request.url.copy_set_param("arg", str(self._served))
        return self._real.handle_request(request)


def test_substituted_small_content_is_rejected(client: IpfsClient, running_ipfs_node: LocalIpfsNode) -> None:
    genuine = client.add_bytes(b"the real metadata").cid
    forged = client.add_bytes(b"substituted metadata").cid
    with (
        IpfsClient(running_ipfs_node.api_url, transport=_LyingNode(genuine, forged)) as lying,
        pytest.raises(IntegrityError, match="does not match its CID"),
    ):
        lying.fetch_bytes(genuine)


def test_substituted_leaf_inside_a_large_file_is_rejected(client: IpfsClient, running_ipfs_node: LocalIpfsNode) -> None:
    content = os.urandom(2 * CHUNK_BYTES)
    root = client.add_bytes(content).cid
    second_leaf = raw_block_cid(content[CHUNK_BYTES:])
    other = client.add_bytes(os.urandom(CHUNK_BYTES)).cid
    with IpfsClient(running_ipfs_node.api_url, transport=_LyingNode(second_leaf, other)) as lying:
        received = bytearray()
        with pytest.raises(IntegrityError):
            for piece in lying.iter_content(root):
                received += piece
    assert bytes(received) == content[:CHUNK_BYTES]  # the verified first leaf, nothing forged


def test_node_whose_sizes_lie_is_rejected(client: IpfsClient, running_ipfs_node: LocalIpfsNode) -> None:
    leaf = b"x" * 100
    leaf_cid = client.add_bytes(leaf).cid
    lying_node = encode_file_node([PbLink(cid=leaf_cid, name="", tsize=100)], [99])
    root = _put_block(running_ipfs_node.api_url, lying_node, "dag-pb")
    with pytest.raises(IntegrityError, match="its parent says 99"):
        client.fetch_bytes(root)


def test_non_file_blocks_are_rejected(client: IpfsClient, running_ipfs_node: LocalIpfsNode) -> None:
    garbage = _put_block(running_ipfs_node.api_url, b"\xff\xff\xff", "dag-pb")
    with pytest.raises(IntegrityError):
        client.fetch_bytes(garbage)


def test_not_a_cid_is_refused(client: IpfsClient) -> None:
    with pytest.raises(StorageError):
        client.fetch_bytes("definitely-not-a-cid")


def test_node_that_never_answers_fails_in_bounded_time() -> None:
    # A listening socket that never replies: what a wedged daemon looks like to a client.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        with IpfsClient(url, timeout_s=0.5, fetch_timeout_s=0.2) as ipfs:
            started = time.monotonic()
            with pytest.raises(IpfsUnavailableError, match="in time"):
                ipfs.version()
            with pytest.raises(ContentNotFoundError):
                ipfs.fetch_bytes(raw_block_cid(b"anything"))
            assert time.monotonic() - started < 15
