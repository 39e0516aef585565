"""A durable local queue for uploads that could not reach the IPFS node.

`upload_file` tries the node first. If the node is unavailable, the content is copied
into `upload_queue_dir` and the caller still gets the CID: it is computed locally (the
same tree the node builds), so it can be committed on chain at once. `deliver_pending`
adds the queued items later (e.g. on start-up or from a periodic task) and removes
each one only after the node returned the expected CID and pinned it.

Each item is two files named by its CID: `<cid>.data` (the content) and `<cid>.json`
(its manifest), each written to a temporary file, fsync'ed and renamed, the manifest
last. An item without a manifest was never acknowledged and is discarded; an item with
both survives any crash or restart. Adding the same content twice is harmless (same CID).
"""

import fcntl
import json
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Self

from multiformats import CID

from backend.core.config import Settings, get_settings
from backend.services.storage._files import write_durably
from backend.services.storage.cid import file_cid
from backend.services.storage.errors import IpfsUnavailableError, ObjectTooLargeError, StorageError
from backend.services.storage.ipfs import IpfsClient

_MANIFEST_SUFFIX = ".json"
_DATA_SUFFIX = ".data"
_LOCK_NAME = ".lock"
_COPY_BUFFER_BYTES = 1024 * 1024


@dataclass(frozen=True)
class UploadOutcome:
    """What the caller gets: the CID always; `queued` says the node does not have it yet."""

    cid: CID
    size: int
    queued: bool


@dataclass(frozen=True)
class PendingUpload:
    cid: CID
    size: int
    queued_at: float
    data_path: Path


@dataclass(frozen=True)
class DeliveryReport:
    delivered: list[CID]
    pending: int


def _read_in_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as reader:
        while chunk := reader.read(_COPY_BUFFER_BYTES):
            yield chunk


class UploadQueue:
    """Uploads through `client`, keeping in `directory` what the node could not take yet."""

    def __init__(self, directory: Path, client: IpfsClient) -> None:
        self.directory = directory
        self.client = client
        directory.mkdir(parents=True, exist_ok=True)

    @classmethod
    def from_settings(cls, client: IpfsClient, settings: Settings | None = None) -> Self:
        return cls((settings or get_settings()).upload_queue_dir, client)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        # Two processes (backend and CLI) may share the queue: one mutator at a time.
        with (self.directory / _LOCK_NAME).open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def upload_file(self, path: Path) -> UploadOutcome:
        """Add and pin `path` now, or queue it if the node is unavailable."""
        try:
            added = self.client.add_file(path)
        except IpfsUnavailableError:
            pending = self.enqueue_file(path)
            return UploadOutcome(cid=pending.cid, size=pending.size, queued=True)
        return UploadOutcome(cid=added.cid, size=added.size, queued=False)

    def upload_bytes(self, data: bytes) -> UploadOutcome:
        with tempfile.TemporaryDirectory(prefix="cb-upload-") as folder:
            path = Path(folder) / "content"
            path.write_bytes(data)
            return self.upload_file(path)

    def enqueue_file(self, path: Path) -> PendingUpload:
        """Keep a durable copy of `path` for a later `deliver_pending`; returns its CID."""
        cid = file_cid(path)
        size = path.stat().st_size
        if size > self.client.max_object_bytes:
            raise ObjectTooLargeError(f"{path} has {size} bytes, over the limit of {self.client.max_object_bytes}")
        queued_at = time.time()
        with self._locked():
            data_path = self.directory / f"{cid}{_DATA_SUFFIX}"
            write_durably(data_path, _read_in_chunks(path))
            manifest = {"cid": str(cid), "size": size, "queued_at": queued_at}
            write_durably(self.directory / f"{cid}{_MANIFEST_SUFFIX}", iter([json.dumps(manifest).encode()]))
        return PendingUpload(cid=cid, size=size, queued_at=queued_at, data_path=data_path)

    def pending(self) -> list[PendingUpload]:
        """Queued items, oldest first."""
        items: list[PendingUpload] = []
        for manifest_path in self.directory.glob(f"*{_MANIFEST_SUFFIX}"):
            manifest = json.loads(manifest_path.read_text())
            cid = CID.decode(manifest["cid"])
            items.append(
                PendingUpload(
                    cid=cid,
                    size=int(manifest["size"]),
                    queued_at=float(manifest["queued_at"]),
                    data_path=self.directory / f"{cid}{_DATA_SUFFIX}",
                )
            )
        return sorted(items, key=lambda item: item.queued_at)

    def deliver_pending(self) -> DeliveryReport:
        """Add every queued item; stops at the first sign the node is still unavailable.

        Other errors (e.g. a CID mismatch) leave the item queued and are raised after the
        remaining items were tried, so one bad item does not block the others.
        """
        delivered: list[CID] = []
        failures: list[StorageError] = []
        with self._locked():
            self._discard_unacknowledged()
            for item in self.pending():
                try:
                    added = self.client.add_file(item.data_path)
                except IpfsUnavailableError:
                    break
                except StorageError as error:
                    failures.append(error)
                    continue
                if added.cid != item.cid:  # add_file checks this too; a queue item is named by it
                    failures.append(StorageError(f"queued {item.cid} was added as {added.cid}"))
                    continue
                # Manifest first: a crash in between leaves a data file that is discarded.
                (self.directory / f"{item.cid}{_MANIFEST_SUFFIX}").unlink()
                item.data_path.unlink(missing_ok=True)
                delivered.append(item.cid)
            remaining = len(list(self.directory.glob(f"*{_MANIFEST_SUFFIX}")))
        if failures:
            raise StorageError(f"{len(failures)} queued upload(s) failed: {failures[0]}") from failures[0]
        return DeliveryReport(delivered=delivered, pending=remaining)

    def _discard_unacknowledged(self) -> None:
        for data_path in self.directory.glob(f"*{_DATA_SUFFIX}"):
            if not data_path.with_suffix(_MANIFEST_SUFFIX).exists():
                data_path.unlink()
        for leftover in self.directory.glob(".*.*"):
            if leftover.name != _LOCK_NAME and leftover.is_file():
                leftover.unlink()
