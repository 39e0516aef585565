"""Fixtures shared by every Python test suite: real local services, never mocks."""

from collections.abc import Iterator

import pytest

from devstack.services import LocalChain, LocalIpfsNode


@pytest.fixture(scope="session")
def ipfs_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalIpfsNode]:
    """A real js-ipfs node on free ports, private to this test session.

    Tests may `stop()` and `start()` it (same repo and port, content kept); it is
    running again when the session ends.
    """
    with LocalIpfsNode(tmp_path_factory.mktemp("ipfs-node")) as node:
        yield node


@pytest.fixture
def running_ipfs_node(ipfs_node: LocalIpfsNode) -> LocalIpfsNode:
    """The session's node, started again if an earlier test stopped it."""
    if not ipfs_node.process.is_running():
        ipfs_node.start()
    return ipfs_node


@pytest.fixture(scope="session")
def local_chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalChain]:
    """A real Ganache (dev mnemonic, chain id 1337) on a free port, private to this session.

    Tests may `stop()` and `start()` it; the chain is kept on disk across restarts.
    """
    with LocalChain(tmp_path_factory.mktemp("chain")) as chain:
        yield chain


@pytest.fixture
def running_chain(local_chain: LocalChain) -> LocalChain:
    """The session's chain, started again if an earlier test stopped it."""
    if not local_chain.process.is_running():
        local_chain.start()
    return local_chain
