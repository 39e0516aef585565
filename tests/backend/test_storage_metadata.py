"""Metadata: canonical bytes, a stable keccak256 hash, substitution detected, schemas exported."""

import json
from pathlib import Path

import pytest
from eth_utils.crypto import keccak
from pydantic import ValidationError

from backend.services.storage.errors import MetadataError, ObjectTooLargeError
from backend.services.storage.ipfs import IpfsClient
from backend.services.storage.metadata import (
    MAX_METADATA_BYTES,
    ChallengeMetadata,
    TaskBatchMetadata,
    canonical_json,
    fetch_metadata,
    json_schemas,
    metadata_hash,
    publish_metadata,
    verify_metadata,
)
from devstack.services import LocalIpfsNode

SCHEMAS_DIR = Path(__file__).resolve().parents[2] / "schemas"

CHALLENGE = ChallengeMetadata(
    title="Découvrir un catalyseur",
    description="# Goal\n\nFind a **cheaper** catalyst.",
    challenge_type="theoretical",
    prize_display="5,000 USDC",
    submission_deadline=1_800_000_000,
    review_deadline=1_800_600_000,
    agreement_cid="bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku",
    tags=["chemistry", "catalysis"],
)
BATCH = TaskBatchMetadata(
    title="Label 500 images",
    instructions="Pick the animal in each image.",
    reward_display="0.50 DAI",
    task_schema={"type": "object", "properties": {"image": {"type": "string"}}},
    task_count=500,
    deadline=1_800_000_000,
)


def test_canonical_json_is_sorted_compact_utf8() -> None:
    raw = canonical_json(CHALLENGE)
    document = json.loads(raw)
    assert raw == json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert "Découvrir".encode() in raw
    assert document["schema_version"] == 1
    assert document["kind"] == "challenge"


def test_hash_is_keccak_of_the_canonical_bytes_and_stable() -> None:
    assert metadata_hash(CHALLENGE) == keccak(canonical_json(CHALLENGE))
    rebuilt = ChallengeMetadata.model_validate_json(json.dumps(json.loads(canonical_json(CHALLENGE)), indent=4))
    assert metadata_hash(rebuilt) == metadata_hash(CHALLENGE)
    assert len(metadata_hash(BATCH)) == 32


@pytest.mark.parametrize("metadata", [CHALLENGE, BATCH], ids=["challenge", "batch"])
def test_verify_returns_the_model(metadata: ChallengeMetadata | TaskBatchMetadata) -> None:
    assert verify_metadata(canonical_json(metadata), metadata_hash(metadata)) == metadata


def test_substituted_metadata_is_refused() -> None:
    substituted = CHALLENGE.model_copy(update={"prize_display": "50,000 USDC"})
    with pytest.raises(MetadataError, match="on-chain hash"):
        verify_metadata(canonical_json(substituted), metadata_hash(CHALLENGE))


def test_non_canonical_bytes_are_refused_even_with_their_own_hash() -> None:
    pretty = json.dumps(json.loads(canonical_json(CHALLENGE)), indent=2).encode()
    with pytest.raises(MetadataError, match="canonical"):
        verify_metadata(pretty, keccak(pretty))


def test_unknown_schema_version_and_fields_are_refused() -> None:
    document = json.loads(canonical_json(BATCH))
    for change in ({"schema_version": 2}, {"surprise": True}):
        raw = json.dumps({**document, **change}, sort_keys=True, separators=(",", ":")).encode()
        with pytest.raises(MetadataError, match="schema"):
            verify_metadata(raw, keccak(raw))


def test_floats_are_refused_because_they_have_no_single_spelling() -> None:
    with pytest.raises(MetadataError):
        canonical_json(BATCH.model_copy(update={"task_schema": {"maximum": 0.1}}))


def test_models_refuse_bad_values() -> None:
    with pytest.raises(ValidationError):
        ChallengeMetadata.model_validate({**CHALLENGE.model_dump(), "tags": ["Not A Tag"]})
    with pytest.raises(ValidationError):
        TaskBatchMetadata.model_validate({**BATCH.model_dump(), "task_count": 0})


def test_exported_schemas_are_up_to_date() -> None:
    for name, schema in json_schemas().items():
        exported = json.loads((SCHEMAS_DIR / name).read_text())
        assert exported == schema, f"run `python -m backend.services.storage.metadata` to refresh {name}"


def test_publish_and_fetch_through_the_node(running_ipfs_node: LocalIpfsNode) -> None:
    with IpfsClient(running_ipfs_node.api_url) as client:
        cid, onchain_hash = publish_metadata(client, CHALLENGE)
        assert onchain_hash == metadata_hash(CHALLENGE)
        assert fetch_metadata(client, cid, onchain_hash) == CHALLENGE
        other_cid, _ = publish_metadata(client, BATCH)
        with pytest.raises(MetadataError, match="on-chain hash"):
            fetch_metadata(client, other_cid, onchain_hash)  # substituted CID
        big = client.add_bytes(b" " * (MAX_METADATA_BYTES + 1)).cid
        with pytest.raises(ObjectTooLargeError):
            fetch_metadata(client, big, onchain_hash)
