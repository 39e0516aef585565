"""Fixtures shared by the contract test suites."""

import gc
import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import brownie.test
import pytest
from brownie import ReadAggregator, accounts, web3


@pytest.fixture(scope="session")
def state_machine() -> Any:
    """Brownie's `state_machine`, from the pure-Python module shipped in the same wheel.

    Overrides Brownie's fixture: the mypyc-compiled `brownie.test.stateful` of eth-brownie
    1.22.2 fails every run with "_BrownieStateMachine object expected; got
    BrownieStateMachine" (a compiled class cannot be subclassed at run time).
    """
    source = Path(brownie.test.__file__).with_name("stateful.py")
    spec = importlib.util.spec_from_file_location("brownie_stateful_pure", source)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.state_machine


class _CallerFrameOnly:
    """Stands in for `inspect` in `brownie.network.rpc`, whose only use is
    `inspect.stack()[1].frame` (is the caller `chain`? if not, warn).

    `inspect.stack()` reads the source of every frame on the stack: ~0.15 s under
    Hypothesis's deep stack, paid on every snapshot and revert (each example starts with
    one, each transaction queues one). This answers the same question from the frame alone.
    """

    @staticmethod
    def stack() -> list[Any]:
        # Frame 0 here is stack() itself, 1 is Brownie's wrapper, 2 the wrapper's caller.
        return [None, SimpleNamespace(frame=sys._getframe(2))]


@pytest.fixture
def cheap_rpc_caller_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """Makes Brownie's snapshot/revert caller check cheap for one (long, stateful) test."""
    monkeypatch.setattr(sys.modules["brownie.network.rpc"], "inspect", _CallerFrameOnly)


@pytest.fixture
def frozen_heap() -> Iterator[None]:
    """Moves everything alive now out of the garbage collector's sight for one test.

    Brownie runs a full `gc.collect()` on every chain revert (each Hypothesis example
    starts with one): ~0.35 s with Brownie's and Hypothesis's heap, a few ms once that
    heap is frozen. Objects the test creates are still collected.
    """
    gc.collect()
    gc.freeze()
    yield
    gc.unfreeze()


@pytest.fixture(scope="module")
def read_aggregator() -> Any:
    """The test-only ReadAggregator, for `batch_reads.read_batch`."""
    return ReadAggregator.deploy({"from": accounts[0]})


@pytest.fixture
def cached_chain_id(monkeypatch: pytest.MonkeyPatch) -> None:
    """web3 asks for eth_chainId before every call and transaction (a round trip each);
    the local chain's id never changes, so let web3's own request cache answer."""
    monkeypatch.setattr(web3.provider, "cache_allowed_requests", True)
    monkeypatch.setattr(web3.provider, "cacheable_requests", {"eth_chainId"})
