"""IPFS documents the backend depends on, kept locally once verified.

Fetching goes through the storage layer (every byte verified against its CID), so a kept
copy is exactly the content of its CID: it may be served when the network has lost the
pin, and added back (`restore_to_ipfs`) to heal it. Metadata is further checked against the
hash committed on chain; a document that fails that check is kept (it is what the CID
holds) but never returned as the challenge's or batch's genuine metadata.
"""

import enum
from dataclasses import dataclass

from eth_utils.crypto import keccak
from multiformats import CID
from sqlalchemy.orm import Session

from backend.db import upsert_insert
from backend.models.documents import IpfsDocument
from backend.services.storage.errors import (
    ContentNotFoundError,
    IntegrityError,
    IpfsUnavailableError,
    MetadataError,
    ObjectTooLargeError,
    StorageError,
)
from backend.services.storage.ipfs import IpfsClient
from backend.services.storage.metadata import MAX_METADATA_BYTES, ChallengeMetadata, TaskBatchMetadata, verify_metadata


class DocumentUnavailableError(StorageError):
    """Neither the local copies nor the IPFS node have the document (or the node is down)."""


class MetadataStatus(enum.StrEnum):
    PENDING = "pending"  # not resolved yet
    VERIFIED = "verified"  # fetched, matches the on-chain hash, valid schema
    MISMATCH = "mismatch"  # the CID's content is not what the chain committed to
    UNAVAILABLE = "unavailable"  # could not be fetched this time; retried later


@dataclass(frozen=True)
class MetadataResolution:
    status: MetadataStatus
    metadata: ChallengeMetadata | TaskBatchMetadata | None = None
    detail: str | None = None


def canonical_cid(cid: str) -> str:
    """The CID in its canonical string form (the key of the local copies)."""
    try:
        return str(CID.decode(cid))
    except (ValueError, KeyError) as error:
        raise IntegrityError(f"not a CID: {cid!r}") from error


def get_document(session: Session, ipfs: IpfsClient, cid: str, max_bytes: int | None = None) -> bytes:
    """The content of `cid`: the local copy if kept, else fetched (verified) from IPFS and kept.

    The copy is written in the session's transaction; it is stored when the caller commits.
    """
    key = canonical_cid(cid)
    kept = session.get(IpfsDocument, key)
    if kept is not None:
        return kept.content
    limit = max_bytes if max_bytes is not None else ipfs.max_object_bytes
    content = bytearray()
    try:
        for piece in ipfs.iter_content(key):
            content += piece
            if len(content) > limit:
                raise ObjectTooLargeError(f"document {key} exceeds {limit} bytes")
    except (ContentNotFoundError, IpfsUnavailableError) as error:
        raise DocumentUnavailableError(f"document {key} is not available: {error}") from error
    data = bytes(content)
    # Another process (the indexer, a second API worker) may keep the same document at the same
    # moment: content-addressed, so either copy will do.
    insert = upsert_insert(session.get_bind().engine)
    session.execute(
        insert(IpfsDocument)
        .values(cid=key, content=data, size=len(data), keccak="0x" + keccak(data).hex())
        .on_conflict_do_nothing(index_elements=["cid"])
    )
    return data


def resolve_metadata(session: Session, ipfs: IpfsClient, cid: str, expected_hash: bytes) -> MetadataResolution:
    """Challenge or batch metadata at `cid`, checked against the hash committed on chain."""
    try:
        raw = get_document(session, ipfs, cid, MAX_METADATA_BYTES)
    except DocumentUnavailableError as error:
        return MetadataResolution(MetadataStatus.UNAVAILABLE, detail=str(error))
    except (IntegrityError, ObjectTooLargeError) as error:  # not a CID, content not matching it, oversized
        return MetadataResolution(MetadataStatus.MISMATCH, detail=str(error))
    try:
        return MetadataResolution(MetadataStatus.VERIFIED, verify_metadata(raw, expected_hash))
    except MetadataError as error:
        return MetadataResolution(MetadataStatus.MISMATCH, detail=str(error))


def restore_to_ipfs(session: Session, ipfs: IpfsClient, cid: str) -> None:
    """Add a kept copy back to the node and pin it (the node refuses a CID that differs)."""
    key = canonical_cid(cid)
    kept = session.get(IpfsDocument, key)
    if kept is None:
        raise DocumentUnavailableError(f"no local copy of {key} to restore")
    added = ipfs.add_bytes(kept.content, pin=True)
    if str(added.cid) != key:
        raise IntegrityError(f"the kept copy of {key} was added as {added.cid}: different import settings")
