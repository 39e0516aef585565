"""Local copies of IPFS documents: kept once verified, served after the pin is lost, restored;
metadata resolved against the on-chain hash (mismatch flagged, never returned as genuine)."""

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from eth_utils.crypto import keccak
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from backend.models import IpfsDocument
from backend.services.documents import (
    DocumentUnavailableError,
    MetadataStatus,
    get_document,
    resolve_metadata,
    restore_to_ipfs,
)
from backend.services.storage.errors import ContentNotFoundError
from backend.services.storage.ipfs import IpfsClient
from backend.services.storage.metadata import ChallengeMetadata, metadata_hash, publish_metadata
from devstack.services import LocalIpfsNode

METADATA = ChallengeMetadata(
    title="Kept copies",
    description="Metadata that must survive a lost pin.",
    challenge_type="software",
    prize_display="1 ETH",
    submission_deadline=1_800_000_000,
    review_deadline=1_800_600_000,
    agreement_cid=None,
)
# The CID of content that was never added anywhere (sha-256 of b"never added 7c1a").
UNKNOWN_CID = "bafkreieschjszuyzlvbeyzzipsvmwa5z22y2aiqz2dnnmhr3gccwuapg34"


@pytest.fixture
def ipfs(running_ipfs_node: LocalIpfsNode) -> IpfsClient:
    return IpfsClient(running_ipfs_node.api_url, fetch_timeout_s=2)


def _lose_pin(node: LocalIpfsNode, cid: str) -> None:
    """Unpin and garbage-collect, as when a pinning service drops the content."""
    with httpx.Client(base_url=node.api_url, timeout=30) as http:
        http.post("/api/v0/pin/rm", params={"arg": cid}).raise_for_status()
        http.post("/api/v0/repo/gc").raise_for_status()


def test_document_is_kept_and_served_after_its_pin_is_lost(
    engine: Engine, ipfs: IpfsClient, running_ipfs_node: LocalIpfsNode
) -> None:
    content = b"task manifest " + bytes(range(256)) * 40
    cid = str(ipfs.add_bytes(content).cid)
    with Session(engine) as session, session.begin():
        assert get_document(session, ipfs, cid) == content
    _lose_pin(running_ipfs_node, cid)
    with pytest.raises(ContentNotFoundError):
        ipfs.fetch_bytes(cid)
    with Session(engine) as session:
        assert get_document(session, ipfs, cid) == content
        kept = session.get(IpfsDocument, cid)
        assert kept is not None
        assert (kept.size, kept.keccak) == (len(content), "0x" + keccak(content).hex())
        restore_to_ipfs(session, ipfs, cid)
    assert ipfs.fetch_bytes(cid) == content


class _FetchesThatMeet:
    """An IPFS client whose fetches end only once both have started, so that neither request
    has kept the document yet when both keep it (the indexer and an API worker at once)."""

    def __init__(self, ipfs: IpfsClient) -> None:
        self.ipfs = ipfs
        self.max_object_bytes = ipfs.max_object_bytes
        self.meeting = threading.Barrier(2, timeout=30)

    def iter_content(self, cid: str) -> Iterator[bytes]:
        yield from self.ipfs.iter_content(cid)
        self.meeting.wait()


def test_two_requests_keeping_the_same_document_at_once_both_succeed(engine: Engine, ipfs: IpfsClient) -> None:
    content = b"a manifest two processes load at once"
    cid = str(ipfs.add_bytes(content).cid)
    meeting = _FetchesThatMeet(ipfs)
    fetched: list[bytes] = []

    def keep() -> None:
        with Session(engine) as session, session.begin():
            fetched.append(get_document(session, meeting, cid))  # type: ignore[arg-type]

    with ThreadPoolExecutor(2) as pool:
        for future in [pool.submit(keep), pool.submit(keep)]:
            future.result()  # neither raises (it was a UNIQUE violation: a 500 from the API)
    assert fetched == [content, content]
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(IpfsDocument)) == 1


def test_missing_document_fails_clearly_and_keeps_nothing(engine: Engine, ipfs: IpfsClient) -> None:
    with Session(engine) as session, session.begin():
        with pytest.raises(DocumentUnavailableError, match=UNKNOWN_CID[:20]):
            get_document(session, ipfs, UNKNOWN_CID)
        assert session.scalar(select(func.count()).select_from(IpfsDocument)) == 0
        with pytest.raises(DocumentUnavailableError, match="no local copy"):
            restore_to_ipfs(session, ipfs, UNKNOWN_CID)


def test_metadata_is_verified_against_the_onchain_hash(engine: Engine, ipfs: IpfsClient) -> None:
    cid, onchain_hash = publish_metadata(ipfs, METADATA)
    with Session(engine) as session, session.begin():
        resolution = resolve_metadata(session, ipfs, str(cid), onchain_hash)
    assert resolution.status is MetadataStatus.VERIFIED
    assert resolution.metadata == METADATA


def test_substituted_metadata_is_flagged_and_not_returned(engine: Engine, ipfs: IpfsClient) -> None:
    cid, _ = publish_metadata(ipfs, METADATA)
    other = METADATA.model_copy(update={"title": "What the seeker committed to"})
    with Session(engine) as session, session.begin():
        resolution = resolve_metadata(session, ipfs, str(cid), metadata_hash(other))
    assert resolution.status is MetadataStatus.MISMATCH
    assert resolution.metadata is None
    assert "on-chain hash" in (resolution.detail or "")


def test_unreachable_and_malformed_metadata_cids(engine: Engine, ipfs: IpfsClient) -> None:
    with Session(engine) as session:
        missing = resolve_metadata(session, ipfs, UNKNOWN_CID, metadata_hash(METADATA))
        malformed = resolve_metadata(session, ipfs, "not-a-cid", metadata_hash(METADATA))
    assert (missing.status, missing.metadata) == (MetadataStatus.UNAVAILABLE, None)
    assert (malformed.status, malformed.metadata) == (MetadataStatus.MISMATCH, None)
    assert "not a CID" in (malformed.detail or "")
