"""The few JSON-RPC calls the indexer makes, raw (no web3 result formatters: they cost more
than the decoding), with node failures sorted into "unreachable" and "refused the request"."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import requests
from web3 import Web3
from web3.exceptions import ProviderConnectionError
from web3.providers.base import JSONBaseProvider
from web3.types import RPCEndpoint

from backend.errors import CrowdbountyError

# What a node that is down, restarting or overloaded raises.
_UNREACHABLE = (requests.RequestException, ProviderConnectionError, ConnectionError, TimeoutError)


class IndexerError(CrowdbountyError):
    """Root of the indexer's errors."""


class RpcUnavailableError(IndexerError):
    """The RPC node cannot be reached (down, restarting, timing out); try again later."""


class RpcRequestError(IndexerError):
    """The RPC node answered a request with a JSON-RPC error."""

    def __init__(self, method: str, error: Any) -> None:
        super().__init__(f"{method} failed: {error}")
        self.method = method
        self.error = error


@dataclass(frozen=True)
class BlockHeader:
    number: int
    hash: str
    parent_hash: str
    timestamp: int


def _unwrap(method: str, response: Any) -> Any:
    if not isinstance(response, dict):
        raise RpcRequestError(method, f"unexpected response {response!r}")
    if response.get("error") is not None:
        raise RpcRequestError(method, response["error"])
    return response.get("result")


def _header(raw: Any) -> BlockHeader | None:
    if raw is None:
        return None
    return BlockHeader(
        int(raw["number"], 16), raw["hash"].lower(), raw["parentHash"].lower(), int(raw["timestamp"], 16)
    )


class Rpc:
    """Raw calls through `w3`'s provider (so tests can wrap the provider to inject faults)."""

    def __init__(self, w3: Web3) -> None:
        self._w3 = w3

    @property
    def endpoint(self) -> str:
        return str(getattr(self._w3.provider, "endpoint_uri", self._w3.provider))

    def call(self, method: str, params: Sequence[Any]) -> Any:
        try:
            response = self._w3.provider.make_request(RPCEndpoint(method), list(params))
        except _UNREACHABLE as error:
            raise RpcUnavailableError(f"RPC node {self.endpoint} unreachable ({type(error).__name__})") from error
        return _unwrap(method, response)

    def chain_id(self) -> int:
        return int(self.call("eth_chainId", []), 16)

    def block_number(self) -> int:
        return int(self.call("eth_blockNumber", []), 16)

    def headers(self, numbers: Sequence[int]) -> dict[int, BlockHeader | None]:
        """Headers of the blocks `numbers` in one batch; None for a block the chain does not have."""
        if not numbers:
            return {}
        requests_ = [(RPCEndpoint("eth_getBlockByNumber"), [hex(number), False]) for number in numbers]
        try:
            responses = cast(JSONBaseProvider, self._w3.provider).make_batch_request(requests_)
        except _UNREACHABLE as error:
            raise RpcUnavailableError(f"RPC node {self.endpoint} unreachable ({type(error).__name__})") from error
        if not isinstance(responses, list):
            _unwrap("eth_getBlockByNumber", responses)
            raise RpcRequestError("eth_getBlockByNumber", f"unexpected batch response {responses!r}")
        return {
            number: _header(_unwrap("eth_getBlockByNumber", response))
            for number, response in zip(numbers, responses, strict=True)
        }

    def logs(self, from_block: int, to_block: int, addresses: Sequence[str]) -> list[dict[str, Any]]:
        query = {"fromBlock": hex(from_block), "toBlock": hex(to_block), "address": list(addresses)}
        return cast(list[dict[str, Any]], self.call("eth_getLogs", [query]))
