"""Challenges: the projection of ChallengeEscrow/ChallengeTeams events, the metadata join and
the queries the API serves."""

# The indexer package first: its PROJECTIONS imports this package's projection, which builds
# on the indexer's classes, so the indexer must be the one to start that import cycle.
import backend.services.indexer  # noqa: F401  # isort: skip
from backend.services.challenges.projection import PROJECTION

__all__ = ["PROJECTION"]
