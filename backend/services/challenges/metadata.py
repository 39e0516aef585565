"""The metadata join: challenges' IPFS metadata, checked against the chain, into the listing fields.

Runs in the indexer process after each indexing run, outside the indexer's transactions
(fetching from IPFS may take seconds). Each challenge is resolved in its own transaction:
VERIFIED fills the listing fields; MISMATCH flags the challenge and keeps every metadata
field empty (substituted metadata is never shown as genuine); UNAVAILABLE is retried with
capped exponential backoff.
"""

import logging
import time
from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from backend.models.challenges import Challenge
from backend.services.documents import MetadataStatus, resolve_metadata
from backend.services.storage.ipfs import IpfsClient
from backend.services.storage.metadata import ChallengeMetadata

log = logging.getLogger(__name__)

_UNRESOLVED = (MetadataStatus.PENDING.value, MetadataStatus.UNAVAILABLE.value)


@dataclass(frozen=True)
class RetryPolicy:
    initial_s: float = 30.0
    max_s: float = 3600.0

    def delay(self, attempts: int) -> int:
        """Seconds to wait after the `attempts`-th failed fetch."""
        return int(min(self.initial_s * 2 ** (attempts - 1), self.max_s))


@dataclass
class MetadataJobStats:
    verified: int = 0
    mismatched: int = 0
    unavailable: int = 0


def resolve_pending_metadata(
    engine: Engine,
    ipfs: IpfsClient,
    *,
    policy: RetryPolicy | None = None,
    batch: int = 20,
    now: int | None = None,
) -> MetadataJobStats:
    """Resolve up to `batch` challenges whose metadata is pending or due for a retry."""
    policy = policy or RetryPolicy()
    moment = int(time.time()) if now is None else now
    stats = MetadataJobStats()
    with Session(engine) as session:
        due = session.execute(
            select(Challenge.id, Challenge.metadata_cid, Challenge.metadata_hash)
            .where(Challenge.metadata_status.in_(_UNRESOLVED), Challenge.metadata_retry_at <= moment)
            .order_by(Challenge.metadata_retry_at, Challenge.id)
            .limit(batch)
        ).all()
    for challenge_pk, cid, hash_ in due:
        with Session(engine) as session, session.begin():
            resolution = resolve_metadata(session, ipfs, cid, bytes.fromhex(hash_[2:]))
            challenge = session.get(Challenge, challenge_pk)
            if challenge is None or (challenge.metadata_cid, challenge.metadata_hash) != (cid, hash_):
                continue  # rebuilt after a reorg meanwhile; resolved again on the next run
            status = resolution.status
            metadata = resolution.metadata
            if status is MetadataStatus.VERIFIED and not isinstance(metadata, ChallengeMetadata):
                status = MetadataStatus.MISMATCH  # a task batch's metadata is not a challenge's
            if status is MetadataStatus.VERIFIED:
                assert isinstance(metadata, ChallengeMetadata)
                _fill(challenge, metadata)
                stats.verified += 1
            elif status is MetadataStatus.MISMATCH:
                _clear(challenge, MetadataStatus.MISMATCH)
                stats.mismatched += 1
                log.warning("challenge %d: metadata %s flagged: %s", challenge.challenge_id, cid, resolution.detail)
            else:
                _clear(challenge, MetadataStatus.UNAVAILABLE)
                challenge.metadata_attempts += 1
                challenge.metadata_retry_at = moment + policy.delay(challenge.metadata_attempts)
                stats.unavailable += 1
                log.info(
                    "challenge %d: metadata %s unavailable (attempt %d): %s",
                    challenge.challenge_id, cid, challenge.metadata_attempts, resolution.detail,
                )  # fmt: skip
    return stats


def _fill(challenge: Challenge, metadata: ChallengeMetadata) -> None:
    challenge.metadata_status = MetadataStatus.VERIFIED.value
    challenge.title = metadata.title
    challenge.challenge_type = metadata.challenge_type
    challenge.tags = list(metadata.tags)
    challenge.description = metadata.description
    challenge.metadata_document = metadata.model_dump(mode="json")


def _clear(challenge: Challenge, status: MetadataStatus) -> None:
    challenge.metadata_status = status.value
    challenge.title = None
    challenge.challenge_type = None
    challenge.tags = None
    challenge.description = None
    challenge.metadata_document = None
