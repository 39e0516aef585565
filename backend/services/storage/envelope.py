"""Envelope format v1: content encrypted for its recipients and signed by its author.

Layout (docs/envelope.md is the reference):

    b"CBENV" | format version (1 byte) | header length (uint32, big-endian) | header | body

The header is canonical JSON of `EnvelopeHeader`. Its fields, except the signature, are
an EIP-712 message (domain "Crowdbounty Envelope" v1, the chain and the contract) signed
by the author's wallet. The body is a libsodium secretstream (XChaCha20-Poly1305) of the
concatenated files in `chunk_size` pieces, each authenticated with the EIP-712 digest as
associated data, the last one tagged FINAL: a flipped, truncated, reordered or re-wrapped
(same ciphertext under another author's header) body does not open. The stream key is
sealed (X25519 `crypto_box_seal`) to every recipient.

Memory use is bounded by the chunk size: sealing reads the files twice (hash, then
encrypt) and opening writes into a staging folder that is renamed only once every chunk
and every hash has been checked.
"""

import hashlib
import io
import os
import shutil
import struct
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, BinaryIO, Literal

import nacl.bindings as sodium
import nacl.exceptions
from eth_account import Account
from eth_account.messages import SignableMessage, encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from nacl.public import PrivateKey, PublicKey, SealedBox
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from backend.services.storage.errors import (
    ContextMismatchError,
    EnvelopeError,
    NotARecipientError,
    SignatureMismatchError,
)

FORMAT_VERSION = 1
MAGIC = b"CBENV"
_PREAMBLE = struct.Struct(">5sBI")
MAX_HEADER_BYTES = 1024 * 1024
DEFAULT_CHUNK_SIZE = 64 * 1024
MIN_CHUNK_SIZE = 64
# The opener holds one chunk in memory: a hostile header must not choose a huge one.
MAX_CHUNK_SIZE = 4 * 1024 * 1024
MAX_FILES = 1000
MAX_RECIPIENTS = 100
_FILE_NAME_MAX_BYTES = 255
_TAG_MESSAGE = sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
_TAG_FINAL = sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL
_CHUNK_OVERHEAD = sodium.crypto_secretstream_xchacha20poly1305_ABYTES
_STREAM_HEADER_BYTES = sodium.crypto_secretstream_xchacha20poly1305_HEADERBYTES
_SEALED_KEY_BYTES = sodium.crypto_secretstream_xchacha20poly1305_KEYBYTES + sodium.crypto_box_SEALBYTES
_COPY_BUFFER_BYTES = 1024 * 1024

EnvelopeKind = Literal["submission", "room-document"]

EIP712_DOMAIN_NAME = "Crowdbounty Envelope"
EIP712_DOMAIN_VERSION = "1"
EIP712_TYPES: dict[str, list[dict[str, str]]] = {
    "EIP712Domain": [
        {"name": "name", "type": "string"},
        {"name": "version", "type": "string"},
        {"name": "chainId", "type": "uint256"},
        {"name": "verifyingContract", "type": "address"},
    ],
    "Envelope": [
        {"name": "kind", "type": "string"},
        {"name": "challengeId", "type": "uint256"},
        {"name": "author", "type": "address"},
        {"name": "contentSha256", "type": "bytes32"},
        {"name": "totalSize", "type": "uint64"},
        {"name": "chunkSize", "type": "uint32"},
        {"name": "files", "type": "FileEntry[]"},
        {"name": "recipients", "type": "Recipient[]"},
        {"name": "streamHeader", "type": "bytes"},
    ],
    "FileEntry": [
        {"name": "name", "type": "string"},
        {"name": "size", "type": "uint64"},
        {"name": "sha256", "type": "bytes32"},
    ],
    "Recipient": [
        {"name": "publicKey", "type": "bytes32"},
        {"name": "sealedKey", "type": "bytes"},
    ],
}


def _checksum_address(value: str) -> str:
    try:
        return to_checksum_address(value)
    except ValueError as error:
        raise ValueError(f"not an address: {value!r}") from error


def _file_name(value: str) -> str:
    # A file name, never a path: an envelope must not write outside the output folder.
    if (
        not value
        or value in {".", ".."}
        or "/" in value
        or "\\" in value
        or any(ord(char) < 0x20 or ord(char) == 0x7F for char in value)  # no terminal tricks
        or len(value.encode()) > _FILE_NAME_MAX_BYTES
    ):
        raise ValueError(f"not a plain file name: {value!r}")
    return value


Address = Annotated[str, AfterValidator(_checksum_address)]
FileName = Annotated[str, AfterValidator(_file_name)]
Bytes32 = Annotated[bytes, Field(min_length=32, max_length=32)]


class _WireModel(BaseModel):
    # Bytes travel as lowercase hex in the JSON header.
    model_config = ConfigDict(frozen=True, extra="forbid", ser_json_bytes="hex", val_json_bytes="hex")


class FileEntry(_WireModel):
    """One file of the envelope's content, in the order the body concatenates them."""

    name: FileName
    size: int = Field(ge=0, lt=2**64)
    sha256: Bytes32


class Recipient(_WireModel):
    """A recipient's X25519 public key and the stream key sealed to it."""

    public_key: Bytes32
    sealed_key: Annotated[bytes, Field(min_length=_SEALED_KEY_BYTES, max_length=_SEALED_KEY_BYTES)]


class EnvelopeHeader(_WireModel):
    """The signed header of an envelope (everything but `signature` is signed)."""

    version: Literal[1] = 1
    kind: EnvelopeKind
    chain_id: int = Field(gt=0)
    contract: Address
    challenge_id: int = Field(ge=0, lt=2**256)
    author: Address
    content_sha256: Bytes32
    total_size: int = Field(ge=0, lt=2**64)
    chunk_size: int = Field(ge=MIN_CHUNK_SIZE, le=MAX_CHUNK_SIZE)
    files: list[FileEntry] = Field(min_length=1, max_length=MAX_FILES)
    recipients: list[Recipient] = Field(min_length=1, max_length=MAX_RECIPIENTS)
    stream_header: Annotated[bytes, Field(min_length=_STREAM_HEADER_BYTES, max_length=_STREAM_HEADER_BYTES)]
    signature: Annotated[bytes, Field(min_length=65, max_length=65)]

    @property
    def context(self) -> "EnvelopeContext":
        return EnvelopeContext(self.chain_id, self.contract, self.challenge_id, self.kind)


@dataclass(frozen=True)
class EnvelopeContext:
    """What an envelope is for: the opener states it and the header must match it."""

    chain_id: int
    contract: str
    challenge_id: int
    kind: EnvelopeKind = "submission"

    def normalized(self) -> "EnvelopeContext":
        try:
            contract = _checksum_address(self.contract)
        except ValueError as error:
            raise EnvelopeError(str(error)) from error
        return EnvelopeContext(self.chain_id, contract, self.challenge_id, self.kind)


@dataclass(frozen=True)
class OpenedEnvelope:
    """A verified, decrypted envelope: its header and the files written, in header order."""

    header: EnvelopeHeader
    paths: list[Path]


def envelope_typed_data(header: EnvelopeHeader) -> dict[str, Any]:
    """The EIP-712 message of `header` (its signature excluded), for any wallet to sign."""
    return {
        "types": EIP712_TYPES,
        "primaryType": "Envelope",
        "domain": {
            "name": EIP712_DOMAIN_NAME,
            "version": EIP712_DOMAIN_VERSION,
            "chainId": header.chain_id,
            "verifyingContract": header.contract,
        },
        "message": {
            "kind": header.kind,
            "challengeId": header.challenge_id,
            "author": header.author,
            "contentSha256": header.content_sha256,
            "totalSize": header.total_size,
            "chunkSize": header.chunk_size,
            "files": [{"name": f.name, "size": f.size, "sha256": f.sha256} for f in header.files],
            "recipients": [{"publicKey": r.public_key, "sealedKey": r.sealed_key} for r in header.recipients],
            "streamHeader": header.stream_header,
        },
    }


def _signable(header: EnvelopeHeader) -> SignableMessage:
    return encode_typed_data(full_message=envelope_typed_data(header))


def _digest(signable: SignableMessage) -> bytes:
    # The EIP-712 hash; it is also the associated data of every body chunk.
    return keccak(b"\x19" + signable.version + signable.header + signable.body)


# -- sealing -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _PlainSource:
    name: str
    size: int
    path: Path | None = None
    data: bytes | None = None

    def open(self) -> BinaryIO:
        if self.path is not None:
            return self.path.open("rb")
        return io.BytesIO(self.data or b"")


def _iter_source_blocks(sources: Sequence[_PlainSource], block_size: int) -> Iterator[tuple[int, bytes]]:
    """(source index, block) pairs, each block at most `block_size` bytes."""
    for index, source in enumerate(sources):
        with source.open() as reader:
            while block := reader.read(block_size):
                yield index, block


def _iter_plain_chunks(sources: Sequence[_PlainSource], chunk_size: int) -> Iterator[bytes]:
    """The concatenated sources in chunks of exactly `chunk_size` bytes (the last may be short)."""
    pending = bytearray()
    yielded_any = False
    for _, block in _iter_source_blocks(sources, chunk_size):
        pending += block
        while len(pending) >= chunk_size:
            yield bytes(pending[:chunk_size])
            del pending[:chunk_size]
            yielded_any = True
    if pending or not yielded_any:
        yield bytes(pending)


def _chunk_count(total_size: int, chunk_size: int) -> int:
    # An empty content is one empty FINAL chunk, so the end of the stream is always signed.
    return max(1, -(-total_size // chunk_size))


def _hash_sources(sources: Sequence[_PlainSource]) -> tuple[bytes, list[FileEntry]]:
    content_hash = hashlib.sha256()
    file_hashes = [hashlib.sha256() for _ in sources]
    sizes = [0] * len(sources)
    for index, block in _iter_source_blocks(sources, _COPY_BUFFER_BYTES):
        content_hash.update(block)
        file_hashes[index].update(block)
        sizes[index] += len(block)
    for source, size in zip(sources, sizes, strict=True):
        if size != source.size:
            raise EnvelopeError(f"{source.name} changed size while being sealed")
    entries = [
        FileEntry(name=s.name, size=size, sha256=h.digest())
        for s, size, h in zip(sources, sizes, file_hashes, strict=True)
    ]
    return content_hash.digest(), entries


def _seal(
    sources: Sequence[_PlainSource],
    out: BinaryIO,
    *,
    context: EnvelopeContext,
    recipients: Sequence[PublicKey],
    author: LocalAccount,
    chunk_size: int,
) -> EnvelopeHeader:
    names = [s.name for s in sources]
    for name in names:
        try:
            _file_name(name)
        except ValueError as error:
            raise EnvelopeError(f"cannot seal: {error}") from error
    if len(set(names)) != len(names):
        raise EnvelopeError(f"file names must be unique: {names}")
    if not recipients:
        raise EnvelopeError("an envelope needs at least one recipient")
    context = context.normalized()
    content_sha256, files = _hash_sources(sources)
    stream_key = sodium.crypto_secretstream_xchacha20poly1305_keygen()
    state = sodium.crypto_secretstream_xchacha20poly1305_state()
    stream_header = sodium.crypto_secretstream_xchacha20poly1305_init_push(state, stream_key)
    try:
        unsigned = EnvelopeHeader(
            kind=context.kind,
            chain_id=context.chain_id,
            contract=context.contract,
            challenge_id=context.challenge_id,
            author=author.address,
            content_sha256=content_sha256,
            total_size=sum(f.size for f in files),
            chunk_size=chunk_size,
            files=files,
            recipients=[
                Recipient(public_key=bytes(key), sealed_key=SealedBox(key).encrypt(stream_key)) for key in recipients
            ],
            stream_header=stream_header,
            signature=bytes(65),
        )
    except ValidationError as error:
        raise EnvelopeError(f"cannot seal: {error}") from error
    signable = _signable(unsigned)
    header = unsigned.model_copy(update={"signature": bytes(author.sign_message(signable).signature)})
    associated_data = _digest(signable)

    header_json = header.model_dump_json().encode()
    if len(header_json) > MAX_HEADER_BYTES:
        raise EnvelopeError(f"envelope header of {len(header_json)} bytes exceeds {MAX_HEADER_BYTES}")
    out.write(_PREAMBLE.pack(MAGIC, FORMAT_VERSION, len(header_json)))
    out.write(header_json)
    count = _chunk_count(header.total_size, chunk_size)
    encrypted_hash = hashlib.sha256()
    for index, chunk in enumerate(_iter_plain_chunks(sources, chunk_size)):
        if index >= count:
            raise EnvelopeError("content grew while being sealed")
        encrypted_hash.update(chunk)
        tag = _TAG_FINAL if index == count - 1 else _TAG_MESSAGE
        out.write(sodium.crypto_secretstream_xchacha20poly1305_push(state, chunk, associated_data, tag))
    # The files are read twice; an edit in between would make an envelope nobody can open.
    if encrypted_hash.digest() != content_sha256:
        raise EnvelopeError("content changed while being sealed; seal it again")
    return header


def seal_files(
    paths: Sequence[Path],
    out: BinaryIO,
    *,
    context: EnvelopeContext,
    recipients: Sequence[PublicKey],
    author: LocalAccount,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> EnvelopeHeader:
    """Encrypt `paths` (named by their base names) for `recipients`, signed by `author`.

    Writes the envelope to `out` and returns its header. Memory use is one chunk.
    """
    sources = [_PlainSource(name=p.name, size=p.stat().st_size, path=p) for p in paths]
    return _seal(sources, out, context=context, recipients=recipients, author=author, chunk_size=chunk_size)


def seal_bytes(
    files: Mapping[str, bytes],
    *,
    context: EnvelopeContext,
    recipients: Sequence[PublicKey],
    author: LocalAccount,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> bytes:
    """`seal_files` for contents already in memory (small documents, tests); returns the envelope."""
    sources = [_PlainSource(name=name, size=len(data), data=data) for name, data in files.items()]
    out = io.BytesIO()
    _seal(sources, out, context=context, recipients=recipients, author=author, chunk_size=chunk_size)
    return out.getvalue()


# -- opening -------------------------------------------------------------------------------


def _read_exactly(stream: BinaryIO, size: int, what: str) -> bytes:
    data = stream.read(size)
    if len(data) != size:
        raise EnvelopeError(f"envelope truncated in its {what}")
    return data


def read_header(stream: BinaryIO) -> EnvelopeHeader:
    """Read and check an envelope's header: format, schema, and that the author signed it.

    Needs no key, so the backend can check who wrote a submission without reading it.
    Leaves `stream` at the start of the body.
    """
    magic, version, length = _PREAMBLE.unpack(_read_exactly(stream, _PREAMBLE.size, "preamble"))
    if magic != MAGIC:
        raise EnvelopeError("not a Crowdbounty envelope (bad magic bytes)")
    if version != FORMAT_VERSION:
        raise EnvelopeError(f"envelope format version {version} is not supported (only {FORMAT_VERSION})")
    if length > MAX_HEADER_BYTES:
        raise EnvelopeError(f"envelope header of {length} bytes exceeds {MAX_HEADER_BYTES}")
    header_json = _read_exactly(stream, length, "header")
    try:
        header = EnvelopeHeader.model_validate_json(header_json)
    except ValidationError as error:
        raise EnvelopeError(f"malformed envelope header: {error}") from error
    # Only the canonical spelling is accepted, so the header bytes (and thus the CID) have
    # exactly one form: "ab" and "AB" in a hex field, or reordered keys, are refused.
    if header.model_dump_json().encode() != header_json:
        raise EnvelopeError("envelope header is not in canonical form")
    try:
        signer = Account.recover_message(_signable(header), signature=header.signature)
    except Exception as error:  # eth-keys raises several unrelated types for a bad signature
        raise SignatureMismatchError(f"envelope signature is invalid: {error}") from error
    if signer != header.author:
        raise SignatureMismatchError(f"envelope claims author {header.author} but was signed by {signer}")
    if sum(f.size for f in header.files) != header.total_size:
        raise EnvelopeError("envelope file sizes do not add up to its total size")
    return header


def check_context(header: EnvelopeHeader, expected: EnvelopeContext) -> None:
    """Refuse an envelope made for another challenge, chain, contract or kind."""
    if header.context != expected.normalized():
        raise ContextMismatchError(f"envelope is for {header.context}, expected {expected.normalized()}")


def _stream_key(header: EnvelopeHeader, private_key: PrivateKey) -> bytes:
    own_public_key = bytes(private_key.public_key)
    for recipient in header.recipients:
        if recipient.public_key == own_public_key:
            try:
                return SealedBox(private_key).decrypt(recipient.sealed_key)
            except nacl.exceptions.CryptoError as error:
                raise EnvelopeError("the stream key sealed to this recipient does not open") from error
    raise NotARecipientError("this key is not a recipient of the envelope")


def _decrypt_body(stream: BinaryIO, header: EnvelopeHeader, private_key: PrivateKey) -> Iterator[bytes]:
    """The authenticated plaintext chunks; raises at the end if the content hash differs.

    Callers must not commit anything before the iterator is exhausted.
    """
    state = sodium.crypto_secretstream_xchacha20poly1305_state()
    sodium.crypto_secretstream_xchacha20poly1305_init_pull(
        state, header.stream_header, _stream_key(header, private_key)
    )
    associated_data = _digest(_signable(header))
    count = _chunk_count(header.total_size, header.chunk_size)
    content_hash = hashlib.sha256()
    for index in range(count):
        plain_size = min(header.chunk_size, header.total_size - index * header.chunk_size)
        ciphertext = _read_exactly(stream, plain_size + _CHUNK_OVERHEAD, f"chunk {index}")
        try:
            chunk, tag = sodium.crypto_secretstream_xchacha20poly1305_pull(state, ciphertext, associated_data)
        except nacl.exceptions.CryptoError as error:
            raise EnvelopeError(f"chunk {index} does not authenticate (tampered or reordered)") from error
        if tag != (_TAG_FINAL if index == count - 1 else _TAG_MESSAGE):
            raise EnvelopeError(f"chunk {index} has an unexpected tag {tag}")
        content_hash.update(chunk)
        yield chunk
    if stream.read(1):
        raise EnvelopeError("envelope has data after its final chunk")
    if content_hash.digest() != header.content_sha256:
        raise EnvelopeError("decrypted content does not match the signed content hash")


def _split_into_files(chunks: Iterator[bytes], files: Sequence[FileEntry]) -> Iterator[tuple[int, bytes]]:
    """(file index, piece) pairs that cut the plaintext stream at the file boundaries."""
    index = 0
    remaining = files[0].size
    for chunk in chunks:
        view = memoryview(chunk)
        while True:
            while remaining == 0 and index + 1 < len(files):
                index += 1
                remaining = files[index].size
            if not view:
                break
            piece = view[:remaining]
            yield index, bytes(piece)
            remaining -= len(piece)
            view = view[len(piece) :]


def _opened_pieces(
    stream: BinaryIO, private_key: PrivateKey, expected: EnvelopeContext, expected_author: str | None
) -> tuple[EnvelopeHeader, Iterator[tuple[int, bytes]]]:
    header = read_header(stream)
    check_context(header, expected)
    if expected_author is not None and header.author != _checksum_address(expected_author):
        raise SignatureMismatchError(f"envelope was written by {header.author}, not by {expected_author}")
    return header, _split_into_files(_decrypt_body(stream, header, private_key), header.files)


def open_envelope(
    stream: BinaryIO,
    output_dir: Path,
    *,
    private_key: PrivateKey,
    expected: EnvelopeContext,
    expected_author: str | None = None,
) -> OpenedEnvelope:
    """Verify and decrypt an envelope into `output_dir`; nothing appears there unless all checks pass.

    Checks, in order: format, signature recovers the header's author (and `expected_author`
    if given), the header is for `expected`, every chunk authenticates in order, the
    stream ends with the FINAL chunk and nothing after it, every file's hash and the
    content hash match.
    """
    header, pieces = _opened_pieces(stream, private_key, expected, expected_author)
    targets = [output_dir / f.name for f in header.files]
    if existing := [t for t in targets if t.exists()]:
        raise EnvelopeError(f"refusing to overwrite {existing[0]}")
    output_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".opening-", dir=output_dir))
    try:
        hashes = [hashlib.sha256() for _ in header.files]
        handles = [(staging / f.name).open("wb") for f in header.files]
        try:
            for index, piece in pieces:
                handles[index].write(piece)
                hashes[index].update(piece)
            for handle in handles:
                handle.flush()
                os.fsync(handle.fileno())
        finally:
            for handle in handles:
                handle.close()
        for entry, file_hash in zip(header.files, hashes, strict=True):
            if file_hash.digest() != entry.sha256:
                raise EnvelopeError(f"{entry.name} does not match its signed hash")
        for entry, target in zip(header.files, targets, strict=True):
            (staging / entry.name).replace(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return OpenedEnvelope(header=header, paths=targets)


def open_bytes(
    envelope: bytes,
    *,
    private_key: PrivateKey,
    expected: EnvelopeContext,
    expected_author: str | None = None,
) -> tuple[EnvelopeHeader, dict[str, bytes]]:
    """`open_envelope` for an envelope in memory; returns the header and the files by name."""
    header, pieces = _opened_pieces(io.BytesIO(envelope), private_key, expected, expected_author)
    contents = [bytearray() for _ in header.files]
    for index, piece in pieces:
        contents[index] += piece
    for entry, content in zip(header.files, contents, strict=True):
        if hashlib.sha256(content).digest() != entry.sha256:
            raise EnvelopeError(f"{entry.name} does not match its signed hash")
    return header, {entry.name: bytes(c) for entry, c in zip(header.files, contents, strict=True)}
