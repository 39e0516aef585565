"""The task manifest of a batch: its tasks, each proven against the on-chain task root.

The manifest's CID is in `BatchFunded` (the CID itself verifies the bytes); every task's
`proof` must lead from its leaf `(index, keccak256(canonical JSON of input))` to the batch's
`taskRoot`, and the indices must be exactly 0..taskCount-1. Proofs are checked like
OpenZeppelin's `MerkleProof` (sorted pairs), so any StandardMerkleTree-compatible builder
works; `build_manifest` is the one requesters (and tests) can use.
"""

from collections.abc import Sequence
from typing import Annotated, Any, Literal

from eth_abi.abi import encode
from eth_utils.crypto import keccak
from eth_utils.hexadecimal import encode_hex
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from backend.errors import CrowdbountyError
from backend.services.storage.metadata import canonical_document

MAX_MANIFEST_BYTES = 32 * 1024 * 1024
_Hash = Annotated[str, StringConstraints(pattern=r"^0x[0-9a-f]{64}$")]


class ManifestError(CrowdbountyError):
    """A manifest that does not parse or does not match its batch's on-chain terms."""


class ManifestTask(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    index: int = Field(ge=0)
    input: Any = Field(description="The task's input, any JSON without floats; hashed canonically")
    proof: list[_Hash] = Field(max_length=64, description="Merkle proof of (index, task hash) to task_root")


class TaskManifest(BaseModel):
    """Version 1 of the task manifest (docs/microtask.md, "Task manifest")."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal[1] = 1
    kind: Literal["task-manifest"] = "task-manifest"
    metadata_cid: str = Field(min_length=1, max_length=200, description="CID of the batch's TaskBatchMetadata")
    metadata_hash: _Hash = Field(description="keccak256 of the metadata's canonical JSON")
    task_root: _Hash
    tasks: list[ManifestTask]


def task_hash(task_input: Any) -> bytes:
    """The `taskHash` of a task: keccak256 of the canonical JSON of its input."""
    return keccak(canonical_document(task_input))


def task_leaf(index: int, hash_: bytes) -> bytes:
    """The contract's task leaf: keccak256(bytes.concat(keccak256(abi.encode(index, taskHash))))."""
    return keccak(keccak(encode(["uint256", "bytes32"], [index, hash_])))


def _hash_pair(a: bytes, b: bytes) -> bytes:
    return keccak(a + b) if a < b else keccak(b + a)


def verify_proof(leaf: bytes, proof: Sequence[bytes], root: bytes) -> bool:
    """OpenZeppelin `MerkleProof.verify`: fold the proof with sorted-pair hashing."""
    node = leaf
    for sibling in proof:
        node = _hash_pair(node, sibling)
    return node == root


def allowlist_leaf(worker: str) -> bytes:
    """The contract's allowlist leaf: keccak256(bytes.concat(keccak256(abi.encode(worker))))."""
    return keccak(keccak(encode(["address"], [worker])))


def merkle_proofs(leaves: Sequence[bytes]) -> tuple[bytes, list[list[bytes]]]:
    """The root of `leaves` (in this order, sorted pairs, an odd node carried up) and each leaf's proof."""
    layers = [list(leaves)]
    while len(layers[-1]) > 1:
        below = layers[-1]
        layers.append(
            [_hash_pair(*below[i : i + 2]) if i + 1 < len(below) else below[i] for i in range(0, len(below), 2)]
        )
    proofs = []
    for index in range(len(leaves)):
        proof, position = [], index
        for layer in layers[:-1]:
            if position ^ 1 < len(layer):
                proof.append(layer[position ^ 1])
            position //= 2
        proofs.append(proof)
    return layers[-1][0], proofs


def build_manifest(metadata_cid: str, metadata_hash: bytes, inputs: Sequence[Any]) -> TaskManifest:
    """A manifest of `inputs` (task i = inputs[i]) with its root and every task's proof."""
    if not inputs:
        raise ManifestError("a manifest needs at least one task")
    root, proofs = merkle_proofs([task_leaf(i, task_hash(item)) for i, item in enumerate(inputs)])
    tasks = [
        ManifestTask(index=index, input=item, proof=[encode_hex(node) for node in proofs[index]])
        for index, item in enumerate(inputs)
    ]
    return TaskManifest(
        metadata_cid=metadata_cid, metadata_hash=encode_hex(metadata_hash), task_root=encode_hex(root), tasks=tasks
    )


def manifest_bytes(manifest: TaskManifest) -> bytes:
    """The canonical bytes a requester adds to IPFS."""
    return canonical_document(manifest.model_dump(mode="json"))


def parse_manifest(raw: bytes, task_root: str, task_count: int) -> TaskManifest:
    """The manifest in `raw`, checked against the batch's on-chain root and task count."""
    try:
        manifest = TaskManifest.model_validate_json(raw)
    except ValidationError as error:
        raise ManifestError(f"the manifest does not follow schema version 1: {error.errors()[0]['msg']}") from error
    if manifest.task_root != task_root:
        raise ManifestError(f"the manifest's task_root {manifest.task_root} is not the batch's {task_root}")
    if [task.index for task in manifest.tasks] != list(range(task_count)):
        raise ManifestError(f"the manifest must list tasks 0..{task_count - 1} in order, once each")
    root = bytes.fromhex(task_root[2:])
    for task in manifest.tasks:
        try:
            leaf = task_leaf(task.index, task_hash(task.input))
        except CrowdbountyError as error:
            raise ManifestError(f"task {task.index}: {error}") from error
        if not verify_proof(leaf, [bytes.fromhex(p[2:]) for p in task.proof], root):
            raise ManifestError(f"task {task.index} is not in the batch's task root")
    return manifest
