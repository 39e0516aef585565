"""Input and output models of POST /api/manifests: a batch's metadata and task manifest,
published before the requester funds the batch."""

from typing import Any, Self

from pydantic import BaseModel, Field, field_validator, model_validator

from backend.schemas.common import Hex32
from backend.services.storage.errors import MetadataError
from backend.services.storage.metadata import TaskBatchMetadata, canonical_document

# Ten thousand tasks make a manifest of about 10 MB (each task carries a 14-hash proof),
# well under what the backend loads (MAX_MANIFEST_BYTES); larger work is split into batches.
MAX_TASKS = 10_000


class ManifestIn(BaseModel):
    """The batch's metadata as it will be published, and one input per task (task i = tasks[i])."""

    metadata: TaskBatchMetadata = Field(description="Its `task_count` must equal the number of tasks")
    tasks: list[Any] = Field(
        min_length=1,
        max_length=MAX_TASKS,
        description="Task inputs, any JSON without floats (a CSV row is an object of strings)",
    )

    @field_validator("tasks")
    @classmethod
    def _canonical(cls, tasks: list[Any]) -> list[Any]:
        # Each input is hashed in canonical JSON, which has no floats: refuse them here, by index.
        for index, task in enumerate(tasks):
            try:
                canonical_document(task)
            except MetadataError as error:
                raise ValueError(f"task {index}: {error}") from error
        return tasks

    @model_validator(mode="after")
    def _counted(self) -> Self:
        if self.metadata.task_count != len(self.tasks):
            raise ValueError(f"metadata.task_count is {self.metadata.task_count} but {len(self.tasks)} tasks were sent")
        return self


class PublishedManifestOut(BaseModel):
    """What `fundBatch` needs from IPFS (`taskRoot`, `manifestCid`, `taskCount`), and the metadata's CID and hash."""

    metadata_cid: str
    metadata_hash: Hex32 = Field(description="keccak-256 of the metadata's canonical JSON (named in the manifest)")
    manifest_cid: str = Field(description="BatchParams.manifestCid")
    manifest_size: int = Field(description="Bytes of the manifest")
    task_root: Hex32 = Field(description="BatchParams.taskRoot: the Merkle root of (index, taskHash) leaves")
    task_count: int = Field(description="BatchParams.taskCount")
