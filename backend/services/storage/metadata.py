"""Challenge and task-batch metadata: versioned models, one canonical byte form, a stable hash.

The contract stores `metadata_hash` (keccak256 of the canonical JSON, as bytes32) next to
the metadata's CID, so anyone can detect substituted metadata. The canonical form is
JSON with sorted keys, no insignificant whitespace, UTF-8 (not \\u-escaped), every field
present, and no floats (amounts are display strings, times are integer Unix seconds),
so every implementation that follows the schema produces the same bytes.
"""

import json
from pathlib import Path
from typing import Annotated, Any, Literal

from eth_utils.crypto import keccak
from multiformats import CID
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter, ValidationError

from backend.services.storage.errors import MetadataError, ObjectTooLargeError
from backend.services.storage.ipfs import IpfsClient

SCHEMA_VERSION = 1
# Metadata is text; the cap keeps a hostile CID from making a reader fetch megabytes.
MAX_METADATA_BYTES = 1024 * 1024

ShortText = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=False)]
Markdown = Annotated[str, StringConstraints(max_length=100_000)]
Tag = Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=r"^[a-z0-9][a-z0-9-]*$")]
CidText = Annotated[str, StringConstraints(min_length=1, max_length=200)]
UnixSeconds = Annotated[int, Field(ge=0, lt=2**64)]


class _Metadata(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


class ChallengeMetadata(_Metadata):
    """What a seeker publishes about a challenge; the prize itself is escrowed on chain."""

    schema_version: Literal[1] = 1
    kind: Literal["challenge"] = "challenge"
    title: ShortText
    description: Markdown = Field(description="Markdown")
    challenge_type: Literal["ideation", "theoretical", "reduction-to-practice", "software", "other"]
    prize_display: ShortText = Field(description='How the prize is shown, e.g. "5,000 USDC"; informative only')
    submission_deadline: UnixSeconds
    review_deadline: UnixSeconds
    agreement_cid: CidText | None = Field(description="CID of the agreement solvers accept, if any")
    tags: list[Tag] = Field(default_factory=list, max_length=20)
    attachments: list[CidText] = Field(default_factory=list, max_length=50)
    seeker_display_name: ShortText | None = None


class TaskBatchMetadata(_Metadata):
    """What a requester publishes about a batch of micro-tasks."""

    schema_version: Literal[1] = 1
    kind: Literal["task-batch"] = "task-batch"
    title: ShortText
    instructions: Markdown = Field(description="Markdown")
    reward_display: ShortText = Field(description='Reward per task as shown, e.g. "0.50 DAI"; informative only')
    task_schema: dict[str, Any] = Field(description="JSON Schema of one task's input and answer")
    task_count: int = Field(ge=1)
    deadline: UnixSeconds
    tags: list[Tag] = Field(default_factory=list, max_length=20)


AnyMetadata = Annotated[ChallengeMetadata | TaskBatchMetadata, Field(discriminator="kind")]
_ANY_METADATA: TypeAdapter[ChallengeMetadata | TaskBatchMetadata] = TypeAdapter(AnyMetadata)


def _reject_floats(value: str) -> float:
    raise ValueError(f"floats are not canonical: {value}")


def canonical_json(metadata: ChallengeMetadata | TaskBatchMetadata) -> bytes:
    """The one byte form of `metadata` that is hashed and stored."""
    return canonical_document(metadata.model_dump(mode="json"))


def canonical_document(document: Any) -> bytes:
    """The one byte form of a JSON document (sorted keys, compact, UTF-8, no floats)."""
    # json.dumps would write floats in Python's own spelling; the schema has none, and a
    # float hidden in `task_schema` is refused rather than hashed in a fragile form.
    try:
        json.loads(json.dumps(document), parse_float=_reject_floats)
    except ValueError as error:
        raise MetadataError(str(error)) from error
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def metadata_hash(metadata: ChallengeMetadata | TaskBatchMetadata) -> bytes:
    """keccak256 of the canonical JSON: the bytes32 stored on chain."""
    return keccak(canonical_json(metadata))


def verify_metadata(raw: bytes, expected_hash: bytes) -> ChallengeMetadata | TaskBatchMetadata:
    """Parse metadata fetched from IPFS after checking it against the on-chain hash.

    The hash is checked over the raw bytes first, so nothing unverified is parsed; the
    bytes must also be the canonical form, so one metadata has exactly one hash.
    """
    if len(expected_hash) != 32:
        raise MetadataError(f"an on-chain metadata hash has 32 bytes, got {len(expected_hash)}")
    if keccak(raw) != expected_hash:
        raise MetadataError("metadata does not match its on-chain hash (substituted or altered)")
    try:
        metadata = _ANY_METADATA.validate_json(raw)
    except ValidationError as error:
        raise MetadataError(f"metadata does not follow schema version {SCHEMA_VERSION}: {error}") from error
    if canonical_json(metadata) != raw:
        raise MetadataError("metadata is not in canonical form")
    return metadata


def publish_metadata(client: IpfsClient, metadata: ChallengeMetadata | TaskBatchMetadata) -> tuple[CID, bytes]:
    """Add and pin the canonical JSON; returns its CID and the hash to store on chain."""
    raw = canonical_json(metadata)
    if len(raw) > MAX_METADATA_BYTES:
        raise ObjectTooLargeError(f"metadata has {len(raw)} bytes, over {MAX_METADATA_BYTES}")
    return client.add_bytes(raw, name="metadata.json").cid, keccak(raw)


def fetch_metadata(client: IpfsClient, cid: CID | str, expected_hash: bytes) -> ChallengeMetadata | TaskBatchMetadata:
    """Fetch metadata (every block verified against the CID) and check it against the chain."""
    raw = bytearray()
    for piece in client.iter_content(cid):
        raw += piece
        if len(raw) > MAX_METADATA_BYTES:
            raise ObjectTooLargeError(f"metadata at {cid} exceeds {MAX_METADATA_BYTES} bytes")
    return verify_metadata(bytes(raw), expected_hash)


def json_schemas() -> dict[str, dict[str, Any]]:
    """The JSON Schemas of the metadata documents, by file name (exported to schemas/)."""
    return {
        "challenge-metadata.v1.schema.json": ChallengeMetadata.model_json_schema(),
        "task-batch-metadata.v1.schema.json": TaskBatchMetadata.model_json_schema(),
    }


def export_json_schemas(directory: Path) -> list[Path]:
    """Write the schemas as pretty JSON files; run `python -m backend.services.storage.metadata`."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in json_schemas().items():
        path = directory / name
        path.write_text(json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
        written.append(path)
    return written


if __name__ == "__main__":
    from backend.core.config import PROJECT_ROOT

    for exported in export_json_schemas(PROJECT_ROOT / "schemas"):
        print(exported)
