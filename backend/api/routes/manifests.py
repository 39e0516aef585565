"""POST /api/manifests: publish a micro-task batch's metadata and task manifest for a browser.

The browser then funds the batch itself (`fundBatch`, with the user's wallet) with the
returned `task_root` and `manifest_cid`. The manifest (tasks with Merkle proofs) is built
here by backend/services/microtasks/manifest.py, the code the CLI and the indexer use, so
the dApp does not carry a second Merkle-tree implementation that could disagree with it.
"""

from fastapi import APIRouter

from backend.api.deps import IpfsDep
from backend.api.responses import RATE_LIMITED, UNAUTHORIZED, errors
from backend.api.routes.uploads import storage_error
from backend.api.security import CurrentAddressDep, WriteRateLimit
from backend.schemas.manifests import ManifestIn, PublishedManifestOut
from backend.services.microtasks.publishing import publish_batch
from backend.services.storage.errors import StorageError

router = APIRouter(prefix="/api", tags=["micro-tasks"])


@router.post(
    "/manifests",
    summary="Publish a batch's metadata and task manifest (before funding it)",
    response_model=PublishedManifestOut,
    status_code=201,
    dependencies=[WriteRateLimit],
    responses={
        **UNAUTHORIZED,
        **errors(
            s400="The body is not JSON.",
            s413="The manifest would exceed what the backend loads.",
            s503="The IPFS node did not answer.",
        ),
        **RATE_LIMITED,
    },
)
def publish_manifest(body: ManifestIn, _address: CurrentAddressDep, ipfs: IpfsDep) -> PublishedManifestOut:
    """Pins the canonical metadata, then the manifest naming it (task i = `tasks[i]`, with its
    Merkle proof); returns the `taskRoot`, `manifestCid` and `taskCount` for `fundBatch`. A 422
    names the offending field (a float in task 3, a `task_count` that is not the number of tasks)."""
    try:
        published = publish_batch(ipfs, body.metadata, body.tasks)
    except StorageError as error:
        raise storage_error(error) from error
    return PublishedManifestOut.model_validate(published, from_attributes=True)
