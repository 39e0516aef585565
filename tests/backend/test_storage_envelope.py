"""Envelope format v1: round trips, and every kind of tampering is refused (no node needed)."""

import hashlib
import io
import struct
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from hypothesis import given, settings
from hypothesis import strategies as st
from nacl.public import PrivateKey

from backend.errors import CrowdbountyError
from backend.services.storage.envelope import (
    DEFAULT_CHUNK_SIZE,
    MAX_CHUNK_SIZE,
    MAX_FILES,
    EnvelopeContext,
    EnvelopeError,
    EnvelopeHeader,
    envelope_typed_data,
    open_bytes,
    open_envelope,
    read_header,
    seal_bytes,
    seal_files,
)
from backend.services.storage.errors import (
    ContextMismatchError,
    NotARecipientError,
    SignatureMismatchError,
)

CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
CONTEXT = EnvelopeContext(chain_id=1337, contract=CONTRACT, challenge_id=7)
SMALL_CHUNK = 64
_PREAMBLE = struct.Struct(">5sBI")

SOLVER = Account.from_key(b"\x01" * 32)
COPIER = Account.from_key(b"\x02" * 32)
SEEKER_KEY = PrivateKey(b"\x03" * 32)
ARBITER_KEY = PrivateKey(b"\x04" * 32)


def _seal(files: dict[str, bytes], author: LocalAccount = SOLVER, chunk_size: int = SMALL_CHUNK) -> bytes:
    return seal_bytes(
        files,
        context=CONTEXT,
        recipients=[SEEKER_KEY.public_key, ARBITER_KEY.public_key],
        author=author,
        chunk_size=chunk_size,
    )


def _split(envelope: bytes) -> tuple[bytes, bytes, bytes]:
    """(preamble, header JSON, body)."""
    length = _PREAMBLE.unpack(envelope[: _PREAMBLE.size])[2]
    end = _PREAMBLE.size + length
    return envelope[: _PREAMBLE.size], envelope[_PREAMBLE.size : end], envelope[end:]


def _with_header(envelope: bytes, header: EnvelopeHeader) -> bytes:
    header_json = header.model_dump_json().encode()
    _, _, body = _split(envelope)
    return _PREAMBLE.pack(b"CBENV", 1, len(header_json)) + header_json + body


def _open(envelope: bytes, key: PrivateKey = SEEKER_KEY, **kwargs: object) -> dict[str, bytes]:
    _, files = open_bytes(envelope, private_key=key, expected=kwargs.pop("expected", CONTEXT), **kwargs)  # type: ignore[arg-type]
    return files


def test_round_trip_multi_file_for_seeker_and_arbiter() -> None:
    files = {"solution.py": b"print('42')\n", "empty.txt": b"", "data.bin": bytes(range(256)) * 3}
    envelope = _seal(files)
    assert _open(envelope, SEEKER_KEY) == files
    assert _open(envelope, ARBITER_KEY) == files


def test_round_trip_empty_content() -> None:
    assert _open(_seal({"nothing": b""})) == {"nothing": b""}


def test_header_names_author_context_and_content_hash() -> None:
    content = b"the answer"
    header = read_header(io.BytesIO(_seal({"a": content})))
    assert header.author == SOLVER.address
    assert header.context == CONTEXT
    assert header.content_sha256 == hashlib.sha256(content).digest()
    assert [(f.name, f.size) for f in header.files] == [("a", len(content))]


def test_typed_data_for_external_wallets_recovers_the_author() -> None:
    header = read_header(io.BytesIO(_seal({"a": b"x"})))
    typed = envelope_typed_data(header)
    assert typed["domain"]["name"] == "Crowdbounty Envelope"
    assert typed["domain"]["verifyingContract"] == CONTRACT
    signer = Account.recover_message(encode_typed_data(full_message=typed), signature=header.signature)
    assert signer == SOLVER.address


def test_errors_derive_from_the_package_root() -> None:
    with pytest.raises(CrowdbountyError):
        _open(b"not an envelope at all")


def test_flipped_ciphertext_byte_is_refused() -> None:
    envelope = bytearray(_seal({"a": b"x" * 300}))
    envelope[-40] ^= 0x01
    with pytest.raises(EnvelopeError, match="does not authenticate"):
        _open(bytes(envelope))


@pytest.mark.parametrize("position", [0, 5, 9, 30, 100, 250, 400, 600, -200, -3])
def test_flipped_header_byte_is_refused(position: int) -> None:
    envelope = _seal({"a": b"x" * 300})
    preamble, header_json, body = _split(envelope)
    prefix = bytearray(preamble + header_json)
    prefix[position] ^= 0x20  # flips the case of hex letters too: not canonical, refused
    with pytest.raises(EnvelopeError):
        _open(bytes(prefix) + body)


def test_claimed_author_that_did_not_sign_is_refused() -> None:
    envelope = _seal({"a": b"x"})
    header = read_header(io.BytesIO(envelope))
    forged = _with_header(envelope, header.model_copy(update={"author": COPIER.address}))
    with pytest.raises(SignatureMismatchError, match="signed by"):
        _open(forged)


def test_copied_ciphertext_re_signed_by_another_author_does_not_open() -> None:
    # A copier cannot decrypt, but can wrap the same body in a header signed by themselves.
    envelope = _seal({"a": b"my solution" * 20})
    header = read_header(io.BytesIO(envelope))
    unsigned = header.model_copy(update={"author": COPIER.address})
    copier_message = encode_typed_data(full_message=envelope_typed_data(unsigned))
    signature = bytes(COPIER.sign_message(copier_message).signature)
    copied = _with_header(envelope, unsigned.model_copy(update={"signature": signature}))
    assert read_header(io.BytesIO(copied)).author == COPIER.address  # signature itself is valid
    with pytest.raises(EnvelopeError, match="does not authenticate"):
        _open(copied)


def test_unexpected_author_is_refused() -> None:
    with pytest.raises(SignatureMismatchError):
        _open(_seal({"a": b"x"}), expected_author=COPIER.address)
    assert _open(_seal({"a": b"x"}), expected_author=SOLVER.address.lower()) == {"a": b"x"}


@pytest.mark.parametrize(
    "expected",
    [
        EnvelopeContext(chain_id=1, contract=CONTRACT, challenge_id=7),
        EnvelopeContext(chain_id=1337, contract="0x" + "11" * 20, challenge_id=7),
        EnvelopeContext(chain_id=1337, contract=CONTRACT, challenge_id=8),
        EnvelopeContext(chain_id=1337, contract=CONTRACT, challenge_id=7, kind="room-document"),
    ],
    ids=["other-chain", "other-contract", "other-challenge", "other-kind"],
)
def test_envelope_for_another_context_is_refused(expected: EnvelopeContext) -> None:
    with pytest.raises(ContextMismatchError):
        _open(_seal({"a": b"x"}), expected=expected)


def test_wrong_key_is_refused() -> None:
    with pytest.raises(NotARecipientError):
        _open(_seal({"a": b"x"}), PrivateKey.generate())


@pytest.mark.parametrize("cut", [1, 17, SMALL_CHUNK + 17])
def test_truncated_stream_is_refused(cut: int) -> None:
    envelope = _seal({"a": b"x" * (SMALL_CHUNK * 3)})
    with pytest.raises(EnvelopeError, match="truncated"):
        _open(envelope[:-cut])


def test_trailing_data_is_refused() -> None:
    with pytest.raises(EnvelopeError, match="after its final chunk"):
        _open(_seal({"a": b"x" * 10}) + b"\x00")


def test_reordered_chunks_are_refused() -> None:
    envelope = _seal({"a": bytes(range(SMALL_CHUNK)) * 3})
    preamble, header_json, body = _split(envelope)
    size = SMALL_CHUNK + 17
    chunks = [body[i : i + size] for i in range(0, len(body), size)]
    chunks[0], chunks[1] = chunks[1], chunks[0]
    with pytest.raises(EnvelopeError, match="chunk 0 does not authenticate"):
        _open(preamble + header_json + b"".join(chunks))


def test_dropped_final_chunk_with_adjusted_size_is_refused() -> None:
    # Even a header claiming fewer bytes cannot be re-signed by anyone but the author.
    envelope = _seal({"a": b"x" * (SMALL_CHUNK * 2)})
    header = read_header(io.BytesIO(envelope))
    shorter = header.model_copy(
        update={
            "total_size": SMALL_CHUNK,
            "files": [header.files[0].model_copy(update={"size": SMALL_CHUNK})],
        }
    )
    with pytest.raises(SignatureMismatchError):
        _open(_with_header(envelope, shorter)[: -(SMALL_CHUNK + 17)])


@pytest.mark.parametrize("name", ["../escape", "a/b", "..", "", "bell\x07", "nul\x00", "back\\slash"])
def test_path_like_or_control_file_names_are_refused_when_sealing(name: str) -> None:
    with pytest.raises(EnvelopeError):
        _seal({name: b"x"})


def test_open_to_disk_round_trip_and_nothing_written_when_tampered(tmp_path: Path) -> None:
    sources = tmp_path / "in"
    sources.mkdir()
    (sources / "a.txt").write_bytes(b"alpha" * 1000)
    (sources / "b.bin").write_bytes(b"")
    sealed = tmp_path / "submission.cbenv"
    with sealed.open("wb") as out:
        seal_files(
            [sources / "a.txt", sources / "b.bin"],
            out,
            context=CONTEXT,
            recipients=[SEEKER_KEY.public_key],
            author=SOLVER,
            chunk_size=1024,
        )
    with sealed.open("rb") as stream:
        opened = open_envelope(stream, tmp_path / "out", private_key=SEEKER_KEY, expected=CONTEXT)
    assert [p.read_bytes() for p in opened.paths] == [b"alpha" * 1000, b""]

    tampered = bytearray(sealed.read_bytes())
    tampered[-5] ^= 0xFF
    with pytest.raises(EnvelopeError):
        open_envelope(io.BytesIO(bytes(tampered)), tmp_path / "bad", private_key=SEEKER_KEY, expected=CONTEXT)
    assert list((tmp_path / "bad").iterdir()) == []


def test_default_chunk_size_is_64_kib() -> None:
    assert DEFAULT_CHUNK_SIZE == 65536


_SIZES_NEAR_BOUNDARIES = st.sampled_from([0, 1, 65535, 65536, 65537, 131072, 262143, 262144, 262145])


@settings(max_examples=25, deadline=None)
@given(
    size=_SIZES_NEAR_BOUNDARIES,
    pattern=st.binary(min_size=1, max_size=64),
)
def test_round_trip_at_chunk_and_block_boundaries(size: int, pattern: bytes) -> None:
    content = (pattern * (size // len(pattern) + 1))[:size]
    envelope = _seal({"f": content}, chunk_size=DEFAULT_CHUNK_SIZE)
    assert _open(envelope) == {"f": content}


@settings(max_examples=60, deadline=None)
@given(
    contents=st.lists(st.binary(max_size=600), min_size=1, max_size=4),
    chunk_size=st.integers(min_value=64, max_value=300),
)
def test_round_trip_random_files_and_chunk_sizes(contents: list[bytes], chunk_size: int) -> None:
    files = {f"file-{i}": content for i, content in enumerate(contents)}
    assert _open(_seal(files, chunk_size=chunk_size)) == files


def test_file_edited_between_the_two_reads_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "draft.txt"
    source.write_bytes(b"a" * 1000)

    class _EditingWriter(io.BytesIO):
        """Edits the source right after the header is written, i.e. between the two reads."""

        def write(self, data: bytes) -> int:  # type: ignore[override]
            if self.tell() == 0:
                source.write_bytes(b"b" * 1000)
            return super().write(data)

    with pytest.raises(EnvelopeError, match="changed while being sealed"):
        seal_files([source], _EditingWriter(), context=CONTEXT, recipients=[SEEKER_KEY.public_key], author=SOLVER)


def test_limits_are_enforced_when_sealing() -> None:
    at_the_limit = {f"{i:04d}{'n' * 250}": b"" for i in range(MAX_FILES)}
    assert _open(_seal(at_the_limit)) == at_the_limit
    with pytest.raises(EnvelopeError):
        _seal({f"f{i}": b"" for i in range(MAX_FILES + 1)})
    with pytest.raises(EnvelopeError):
        _seal({"a": b"x"}, chunk_size=MAX_CHUNK_SIZE + 1)
    with pytest.raises(EnvelopeError, match="recipient"):
        seal_bytes({"a": b""}, context=CONTEXT, recipients=[], author=SOLVER)
