"""/api/profiles/{address}: an address's two-sided reputation. Logic: services/profiles."""

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from backend.api.deps import EngineDep
from backend.api.reads import read
from backend.api.responses import json_response
from backend.schemas.common import EthAddress
from backend.schemas.profiles import ProfileOut
from backend.services import profiles

router = APIRouter(prefix="/api", tags=["profiles"])


@router.get(
    "/profiles/{address}",
    response_model=ProfileOut,
    summary="An address's reputation",
)
async def get_profile(
    request: Request, engine: EngineDep, address: Annotated[EthAddress, Path(description="Any address, in any case")]
) -> Response:
    """What the address did as a seeker and a solver of challenges, and as a requester and a
    worker of micro-tasks: counts, amounts per token, on-time evaluation, paid and approval
    ratios, refusals, disputes. Computed from the indexed chain history (and the off-chain
    micro-task reviews and vouchers the backend holds); an address without history gets zeros,
    never a 404. At most `profile_cache_ttl_s` (2 s) old."""
    cache: profiles.ProfileCache = request.app.state.profile_cache
    return json_response(await read(engine, lambda session: cache.get(session, address)))
