"""Many chain reads in one JSON-RPC round trip (a web3.py batch request).

Each Brownie view call is its own HTTP request (two, with web3's chain-id check), so a
check that reads dozens of values pays dozens of round trips. `read_batch` encodes the
calls with the contract's own ABI (Brownie's `encode_input` / `decode_output`, so results
look exactly like a normal call's) and sends them as one batch.
"""

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from brownie import web3

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


def read_batch(reads: Mapping[K, Call | Balance]) -> dict[K, Any]:
    """Each read's result under its key, all fetched in one batch request.

    A failing read (a reverting view) raises, as the single call would.
    """
    if not reads:
        return {}
    with web3.batch_requests() as batch:
        for read in reads.values():
            if isinstance(read, Balance):
                batch.add(web3.eth.get_balance(web3.to_checksum_address(str(read.address))))
            else:
                data = getattr(read.contract, read.fn).encode_input(*read.args)
                batch.add(web3.eth.call({"to": read.contract.address, "data": data}))
        results = batch.execute()
    return {
        key: result if isinstance(read, Balance) else getattr(read.contract, read.fn).decode_output(result)
        for (key, read), result in zip(reads.items(), results, strict=True)
    }
