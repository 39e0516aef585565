"""GET /health: is the backend able to serve (chain, contracts, IPFS, database, indexer)?"""

from fastapi import APIRouter, Response, status

from backend.api.deps import EngineDep, SettingsDep
from backend.schemas.health import HealthOut
from backend.services.health import check_health

router = APIRouter(tags=["health"])


@router.get(
    "/health",
    response_model=HealthOut,
    responses={503: {"model": HealthOut, "description": "A dependency is down; its `detail` says which and why."}},
)
async def health(settings: SettingsDep, engine: EngineDep, response: Response) -> HealthOut:
    """Report the chain, the deployed contracts, IPFS, the database and the indexer; 503 unless all are fine."""
    report = await check_health(settings, engine)
    if report.status != "ok":
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return report
