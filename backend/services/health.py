"""Health of what the backend depends on: the chain, the deployed contracts, IPFS, the database
and the indexer (how far it has come)."""

import asyncio

import httpx
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from web3 import AsyncHTTPProvider, AsyncWeb3

from backend.core.config import Settings
from backend.errors import CrowdbountyError
from backend.models import IndexerCursor
from backend.schemas.health import ChainHealth, ComponentHealth, ContractsHealth, HealthOut, IndexerHealth, IpfsHealth
from backend.services.deployments import load_deployments


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:300]


async def _chain_and_contracts(settings: Settings) -> tuple[ChainHealth, ContractsHealth]:
    w3 = AsyncWeb3(AsyncHTTPProvider(settings.rpc_url, request_kwargs={"timeout": settings.health_timeout_s}))
    try:
        chain_id, block_number = await asyncio.gather(w3.eth.chain_id, w3.eth.block_number)
    except Exception as error:  # noqa: BLE001 - any failure of the node means "unhealthy", with its reason
        detail = f"{settings.rpc_url} does not answer: {_describe(error)}"
        return ChainHealth(ok=False, detail=detail), ContractsHealth(ok=False, detail="chain unavailable")
    chain = ChainHealth(ok=True, chain_id=chain_id, block_number=block_number)
    try:
        deployments = load_deployments(settings.deployments_file)
    except CrowdbountyError as error:
        return chain, ContractsHealth(ok=False, detail=str(error))
    if deployments.chain_id != chain_id:
        detail = f"deployments are for chain {deployments.chain_id}, the node is chain {chain_id}"
        return chain, ContractsHealth(ok=False, detail=detail)
    addresses = {name: contract.address for name, contract in deployments.contracts.items()}
    codes = await asyncio.gather(*(w3.eth.get_code(w3.to_checksum_address(a)) for a in addresses.values()))
    missing = [name for name, code in zip(addresses, codes, strict=True) if len(code) == 0]
    if missing:
        detail = f"no code at the recorded address of {', '.join(missing)}; run `make up` to redeploy"
        return chain, ContractsHealth(ok=False, detail=detail, addresses=addresses)
    return chain, ContractsHealth(ok=True, addresses=addresses)


async def _ipfs(settings: Settings) -> IpfsHealth:
    try:
        async with httpx.AsyncClient(timeout=settings.health_timeout_s) as client:
            reply = await client.post(f"{settings.ipfs_api_url}/api/v0/version")
            reply.raise_for_status()
            return IpfsHealth(ok=True, version=reply.json().get("Version"))
    except (httpx.HTTPError, ValueError) as error:
        return IpfsHealth(ok=False, detail=f"{settings.ipfs_api_url} does not answer: {_describe(error)}")


def _database_and_indexer(
    engine: Engine, settings: Settings, chain: ChainHealth
) -> tuple[ComponentHealth, IndexerHealth]:
    try:
        with Session(engine) as session:
            cursor = session.get(IndexerCursor, (chain.chain_id, settings.indexer_stream)) if chain.ok else None
    except Exception as error:  # noqa: BLE001 - any database failure means "unhealthy", with its reason
        return ComponentHealth(ok=False, detail=_describe(error)), IndexerHealth(
            ok=False, detail="database unavailable"
        )
    if cursor is None:
        detail = "the indexer has not indexed any block of this chain yet" if chain.ok else "chain unavailable"
        return ComponentHealth(ok=True), IndexerHealth(ok=False, detail=detail)
    lag = max(0, (chain.block_number or 0) - cursor.last_block)
    return ComponentHealth(ok=True), IndexerHealth(ok=True, last_block=cursor.last_block, lag_blocks=lag)


async def check_health(settings: Settings, engine: Engine) -> HealthOut:
    """Check every dependency at once; each has its own short timeout."""
    (chain, contracts), ipfs = await asyncio.gather(_chain_and_contracts(settings), _ipfs(settings))
    database, indexer = await asyncio.to_thread(_database_and_indexer, engine, settings, chain)
    healthy = all(part.ok for part in (chain, contracts, ipfs, database, indexer))
    return HealthOut(
        status="ok" if healthy else "degraded",
        chain=chain,
        contracts=contracts,
        ipfs=ipfs,
        database=database,
        indexer=indexer,
    )
