"""Many chain reads in one round trip: one `eth_call` to the test-only ReadAggregator.

Each Brownie view call is its own HTTP request (two, with web3's chain-id check) and
Ganache spends ~15 ms on each, so a check that reads dozens of values per step is slow.
A JSON-RPC batch does not help here: Ganache answered a batch of 21 calls in 0.27-0.44 s,
slower than the same calls one by one. `read_batch` encodes the calls with each contract's
own ABI (Brownie's `encode_input` / `decode_output`, so results look exactly like a normal
call's) and has the aggregator make them all inside one `eth_call`.
"""

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Call:
    """`contract.<fn>(*args)`, a view."""

    contract: Any
    fn: str
    args: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Balance:
    """The ether balance of `address` (an account, a contract or an address string)."""

    address: Any


def read_batch(aggregator: Any, reads: Mapping[K, Call | Balance]) -> dict[K, Any]:
    """Each read's result under its key, all made inside one call to `aggregator`
    (a deployed ReadAggregator). A reverting read makes the whole call revert."""
    calls = [Call(aggregator, "ethBalance", (r.address,)) if isinstance(r, Balance) else r for r in reads.values()]
    encoded = [(c.contract.address, getattr(c.contract, c.fn).encode_input(*c.args)) for c in calls]
    results = aggregator.readAll(encoded) if encoded else []
    return {
        key: getattr(c.contract, c.fn).decode_output(result)
        for key, c, result in zip(reads, calls, results, strict=True)
    }
