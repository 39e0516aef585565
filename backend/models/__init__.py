"""The database tables, as SQLAlchemy 2 typed declarative models, one module per domain.

Every schema change comes with an Alembic revision in `backend/migrations/versions/`;
`tests/backend/test_models_migrations.py` fails when the two disagree. Every model module
is imported here, so that `Base.metadata` (which Alembic compares) knows all tables.
"""

from backend.models.auth import AuthNonce, AuthSession, RateLimitCounter
from backend.models.base import ADDRESS_LENGTH, HASH_LENGTH, Base, BigId
from backend.models.chain import ChainEvent, IndexedBlock, IndexerCursor
from backend.models.challenges import (
    Challenge,
    ChallengeAcceptance,
    ChallengeAward,
    ChallengeContribution,
    ChallengeEventLink,
    ChallengeRefusal,
    ChallengeSubmission,
    ChallengeTeam,
    ChallengeTeamPayout,
)
from backend.models.documents import IpfsDocument
from backend.models.microtasks import (
    MicrotaskBatch,
    MicrotaskClaim,
    MicrotaskOnchainResult,
    MicrotaskRedemption,
    MicrotaskResult,
    MicrotaskReview,
    MicrotaskSettlementRoot,
    MicrotaskTask,
    MicrotaskVoucher,
)
from backend.models.notifications import Notification
from backend.models.rooms import RoomDocument

__all__ = [
    "ADDRESS_LENGTH",
    "HASH_LENGTH",
    "AuthNonce",
    "AuthSession",
    "Base",
    "BigId",
    "ChainEvent",
    "Challenge",
    "ChallengeAcceptance",
    "ChallengeAward",
    "ChallengeContribution",
    "ChallengeEventLink",
    "ChallengeRefusal",
    "ChallengeSubmission",
    "ChallengeTeam",
    "ChallengeTeamPayout",
    "IndexedBlock",
    "IndexerCursor",
    "IpfsDocument",
    "MicrotaskBatch",
    "MicrotaskClaim",
    "MicrotaskOnchainResult",
    "MicrotaskRedemption",
    "MicrotaskResult",
    "MicrotaskReview",
    "MicrotaskSettlementRoot",
    "MicrotaskTask",
    "MicrotaskVoucher",
    "Notification",
    "RateLimitCounter",
    "RoomDocument",
]
