"""Durable file writes shared by the storage layer: temp file, fsync, rename, fsync the folder."""

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path


def _fsync_directory(directory: Path) -> None:
    # A rename is durable only once the directory entry itself reaches the disk.
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def write_durably(destination: Path, chunks: Iterable[bytes]) -> int:
    """Write `chunks` to `destination` so it is whole or absent after a crash; returns the size."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{destination.name}.", dir=destination.parent)
    size = 0
    try:
        with os.fdopen(handle, "wb") as out:
            for chunk in chunks:
                out.write(chunk)
                size += len(chunk)
            out.flush()
            os.fsync(out.fileno())
        Path(temporary).replace(destination)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _fsync_directory(destination.parent)
    return size
