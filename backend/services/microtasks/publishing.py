"""Publishing a batch before it is funded: its metadata and its task manifest on IPFS.

What `fundBatch` needs from IPFS is the manifest's CID and its Merkle root; the manifest in
turn names the metadata, so the metadata goes first. Browsers cannot reach the IPFS node's
API, so the backend does this for them (POST /api/manifests) with the same functions the
CLI uses, and both produce the same bytes for the same batch.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from backend.services.microtasks.manifest import MAX_MANIFEST_BYTES, build_manifest, manifest_bytes
from backend.services.storage.errors import ObjectTooLargeError
from backend.services.storage.ipfs import IpfsClient
from backend.services.storage.metadata import TaskBatchMetadata, publish_metadata


@dataclass(frozen=True)
class PublishedBatch:
    """The CIDs and hashes of a published batch; `task_root` and `manifest_cid` go into `fundBatch`."""

    metadata_cid: str
    metadata_hash: str
    manifest_cid: str
    manifest_size: int
    task_root: str
    task_count: int


def publish_batch(ipfs: IpfsClient, metadata: TaskBatchMetadata, inputs: Sequence[Any]) -> PublishedBatch:
    """Pin the metadata, then the manifest of `inputs` (task i = inputs[i]) naming it.

    Raises `ManifestError` for no tasks, `StorageError` for a float in an input, an
    oversized manifest or an unreachable node.
    """
    metadata_cid, metadata_digest = publish_metadata(ipfs, metadata)
    manifest = build_manifest(str(metadata_cid), metadata_digest, inputs)
    raw = manifest_bytes(manifest)
    # The backend refuses to load larger manifests (MAX_MANIFEST_BYTES): never fund one.
    if len(raw) > MAX_MANIFEST_BYTES:
        raise ObjectTooLargeError(f"the manifest has {len(raw)} bytes, over {MAX_MANIFEST_BYTES}; split the batch")
    added = ipfs.add_bytes(raw, name="manifest.json")
    return PublishedBatch(
        metadata_cid=str(metadata_cid),
        metadata_hash="0x" + metadata_digest.hex(),
        manifest_cid=str(added.cid),
        manifest_size=len(raw),
        task_root=manifest.task_root,
        task_count=len(manifest.tasks),
    )
