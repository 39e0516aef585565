"""Challenge routes: lists, details, timelines and submissions of indexed challenges, and teams.

Thin: validation by the schemas, reads in `backend.services.challenges.queries` (run by
`backend.api.reads.read`).
"""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from backend.api.deps import EngineDep
from backend.api.reads import read
from backend.api.responses import json_response
from backend.schemas.challenges import (
    ChallengeDetailOut,
    ChallengeListIn,
    ChallengeSummaryOut,
    ErrorOut,
    PageIn,
    SubmissionOut,
    TeamOut,
    TimelineEventOut,
)
from backend.schemas.common import Page
from backend.services.challenges import queries

router = APIRouter(prefix="/api", tags=["challenges"])

ChallengeIdPath = Annotated[int, Path(ge=1, lt=2**63, description="The challenge's on-chain id")]
TeamIdPath = Annotated[int, Path(ge=1, lt=2**63, description="The team's id in ChallengeTeams")]

_BAD_REQUEST: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "A filter or page cursor that cannot be used"}
}
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorOut, "description": "No such challenge (or not indexed yet)"}
}


@router.get(
    "/challenges",
    response_model=Page[ChallengeSummaryOut],
    summary="List challenges",
    responses=_BAD_REQUEST,
)
async def list_challenges(engine: EngineDep, query: Annotated[ChallengeListIn, Query()]) -> Response:
    """Challenges, filtered, full-text searched (`q`: title, description and tags of verified
    metadata) and sorted; pass `next_cursor` back as `cursor` for the next page."""
    return json_response(await read(engine, lambda session: queries.list_challenges(session, query)))


@router.get(
    "/challenges/{challenge_id}",
    response_model=ChallengeDetailOut,
    summary="A challenge in detail",
    responses=_NOT_FOUND,
)
async def get_challenge(engine: EngineDep, challenge_id: ChallengeIdPath) -> Response:
    """Chain state, award slots, contributions, awards, refusals, teams, counters, and the
    metadata when (and only when) it matched the hash committed on chain."""
    return json_response(await read(engine, lambda session: queries.get_challenge(session, challenge_id)))


@router.get(
    "/challenges/{challenge_id}/timeline",
    response_model=Page[TimelineEventOut],
    summary="A challenge's events",
    responses={**_BAD_REQUEST, **_NOT_FOUND},
)
async def challenge_timeline(
    engine: EngineDep, challenge_id: ChallengeIdPath, page: Annotated[PageIn, Query()]
) -> Response:
    """The chain events of the challenge and of its teams, in chain order."""
    return json_response(await read(engine, lambda session: queries.challenge_timeline(session, challenge_id, page)))


@router.get(
    "/challenges/{challenge_id}/submissions",
    response_model=Page[SubmissionOut],
    summary="A challenge's submissions",
    responses={**_BAD_REQUEST, **_NOT_FOUND},
)
async def challenge_submissions(
    engine: EngineDep, challenge_id: ChallengeIdPath, page: Annotated[PageIn, Query()]
) -> Response:
    """Who submitted, when, in which order, and where each submission stands; never the
    content (it is encrypted to the seeker, and only its CID is public)."""
    return json_response(await read(engine, lambda session: queries.challenge_submissions(session, challenge_id, page)))


@router.get(
    "/teams/{team_id}",
    response_model=TeamOut,
    summary="A team",
    responses={404: {"model": ErrorOut, "description": "No such team (or not indexed yet)"}},
)
async def get_team(engine: EngineDep, team_id: TeamIdPath) -> Response:
    """Members (leader first) and their confirmations, the split in force and a pending proposal."""
    return json_response(await read(engine, lambda session: queries.get_team(session, team_id)))
