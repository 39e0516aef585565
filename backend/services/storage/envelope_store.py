"""Envelopes on IPFS: seal and upload in one step; fetch, verify and open in one step.

This is what the CLI (solvers, seekers) and the backend (checking a submission's author)
call. Both directions stream: sealing writes the envelope to a temporary file next to
the upload queue, and opening decrypts the verified blocks as they arrive.
"""

import io
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address
from multiformats import CID
from nacl.public import PrivateKey, PublicKey

from backend.services.storage.envelope import (
    DEFAULT_CHUNK_SIZE,
    EnvelopeContext,
    EnvelopeHeader,
    OpenedEnvelope,
    check_context,
    open_envelope,
    read_header,
    seal_files,
)
from backend.services.storage.errors import SignatureMismatchError
from backend.services.storage.ipfs import IpfsClient
from backend.services.storage.queue import UploadQueue


@dataclass(frozen=True)
class SealedUpload:
    """The envelope's CID (always known, see `UploadQueue`), its header, and whether it is queued."""

    cid: CID
    header: EnvelopeHeader
    size: int
    queued: bool


class _VerifiedContentReader(io.RawIOBase):
    """A file-like view of `IpfsClient.iter_content`: only verified blocks are ever read."""

    def __init__(self, pieces: Iterator[bytes]) -> None:
        self._pieces = pieces
        self._current = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: "memoryview | bytearray") -> int:  # type: ignore[override]
        while not self._current:
            piece = next(self._pieces, None)
            if piece is None:
                return 0
            self._current = memoryview(piece)
        size = min(len(buffer), len(self._current))
        buffer[:size] = self._current[:size]
        self._current = self._current[size:]
        return size


def _open_remote(client: IpfsClient, cid: CID | str) -> io.BufferedReader:
    return io.BufferedReader(_VerifiedContentReader(client.iter_content(cid)), buffer_size=256 * 1024)


def seal_and_upload(
    paths: Sequence[Path],
    *,
    context: EnvelopeContext,
    recipients: Sequence[PublicKey],
    author: LocalAccount,
    queue: UploadQueue,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> SealedUpload:
    """Seal `paths` for `recipients`, signed by `author`, and add and pin the envelope.

    If the node is unavailable the envelope waits in the queue and `queued` is True; the
    CID is the same either way, so it can be committed on chain at once.
    """
    with tempfile.TemporaryDirectory(prefix=".sealing-", dir=queue.directory) as folder:
        sealed_path = Path(folder) / "envelope.cbenv"
        with sealed_path.open("wb") as out:
            header = seal_files(
                paths, out, context=context, recipients=recipients, author=author, chunk_size=chunk_size
            )
        outcome = queue.upload_file(sealed_path)
    return SealedUpload(cid=outcome.cid, header=header, size=outcome.size, queued=outcome.queued)


def fetch_header(
    client: IpfsClient,
    cid: CID | str,
    *,
    expected: EnvelopeContext | None = None,
    expected_author: str | None = None,
) -> EnvelopeHeader:
    """The verified, signature-checked header of the envelope at `cid`; needs no key.

    Only the first blocks are fetched. The backend calls it with the on-chain commitment
    (`expected` challenge, `expected_author` = committing solver) to refuse a copied CID.
    """
    with _open_remote(client, cid) as stream:
        header = read_header(stream)
    if expected is not None:
        check_context(header, expected)
    if expected_author is not None and header.author != to_checksum_address(expected_author):
        raise SignatureMismatchError(f"envelope was written by {header.author}, not by {expected_author}")
    return header


def fetch_and_open(
    client: IpfsClient,
    cid: CID | str,
    output_dir: Path,
    *,
    private_key: PrivateKey,
    expected: EnvelopeContext,
    expected_author: str | None = None,
) -> OpenedEnvelope:
    """Fetch (verifying every block), check and decrypt the envelope at `cid` into `output_dir`."""
    with _open_remote(client, cid) as stream:
        return open_envelope(
            stream, output_dir, private_key=private_key, expected=expected, expected_author=expected_author
        )
