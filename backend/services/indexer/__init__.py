"""The chain indexer: contract events into the database, safe across reorgs, restarts and
RPC outages. Run it as its own process: `python -m backend.services.indexer`."""

from collections.abc import Sequence

from backend.core.config import Settings
from backend.services.deployments import Deployments
from backend.services.indexer._decode import DecodedEvent, FollowedContract, JsonValue, LogDecoder
from backend.services.indexer._rpc import IndexerError, RpcRequestError, RpcUnavailableError
from backend.services.indexer.core import ChainMismatchError, ConcurrentIndexerError, Indexer, IndexerConfig, RunStats
from backend.services.indexer.projections import PROJECTIONS, EventHandler, Projection, RewindHandler

__all__ = [
    "PROJECTIONS",
    "ChainMismatchError",
    "ConcurrentIndexerError",
    "DecodedEvent",
    "EventHandler",
    "FollowedContract",
    "Indexer",
    "IndexerConfig",
    "IndexerError",
    "JsonValue",
    "LogDecoder",
    "Projection",
    "RewindHandler",
    "RpcRequestError",
    "RpcUnavailableError",
    "RunStats",
    "config_from_settings",
    "contracts_from_deployments",
]


def contracts_from_deployments(deployments: Deployments, names: Sequence[str] | None = None) -> list[FollowedContract]:
    """The deployed contracts to follow: `names`, or all of them."""
    chosen = names if names is not None else sorted(deployments.contracts)
    return [
        FollowedContract(
            name, deployments.contract(name).address, deployments.contract(name).abi, deployments.contract(name).block
        )
        for name in chosen
    ]


def config_from_settings(settings: Settings) -> IndexerConfig:
    return IndexerConfig(
        stream=settings.indexer_stream,
        confirmations=settings.indexer_confirmations,
        initial_block_range=settings.indexer_initial_block_range,
        max_block_range=settings.indexer_max_block_range,
        poll_interval_s=settings.indexer_poll_interval_s,
        backoff_max_s=settings.indexer_backoff_max_s,
    )
