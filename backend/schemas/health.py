"""Output schemas of GET /health."""

from typing import Literal

from pydantic import BaseModel


class ComponentHealth(BaseModel):
    ok: bool
    detail: str | None = None


class ChainHealth(ComponentHealth):
    chain_id: int | None = None
    block_number: int | None = None


class ContractsHealth(ComponentHealth):
    addresses: dict[str, str] = {}


class IpfsHealth(ComponentHealth):
    version: str | None = None


class IndexerHealth(ComponentHealth):
    last_block: int | None = None
    lag_blocks: int | None = None


class HealthOut(BaseModel):
    status: Literal["ok", "degraded"]
    chain: ChainHealth
    contracts: ContractsHealth
    ipfs: IpfsHealth
    database: ComponentHealth
    indexer: IndexerHealth
