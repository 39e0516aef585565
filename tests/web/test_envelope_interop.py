"""The browser's crypto (client/web/js/crypto) is byte-compatible with the Python reference.

The JavaScript modules run in Node through tests/web/envelope_interop.mjs; envelopes and
keys cross between the two implementations in both directions, and the JavaScript opener
refuses what the Python one refuses, with the same messages.
"""

import hashlib
import io
import json
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_account.messages import encode_defunct, encode_typed_data
from eth_account.signers.local import LocalAccount
from nacl.public import PrivateKey

from backend.services.storage.envelope import (
    EnvelopeContext,
    EnvelopeHeader,
    envelope_typed_data,
    open_bytes,
    read_header,
    seal_bytes,
)
from backend.services.storage.errors import EnvelopeError
from backend.services.storage.keys import (
    challenge_key_message,
    challenge_private_key_from_signature,
    derive_challenge_private_key,
)
from client.wallets import dev_account

CLI = Path(__file__).with_name("envelope_interop.mjs")
REPO_ROOT = Path(__file__).resolve().parents[2]
NODE_TIMEOUT_S = 60
EXIT_REFUSED = 2  # the CLI's status when the modules raised an EnvelopeError

CHAIN_ID = 1337
CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
CHALLENGE_ID = 7
CONTEXT = EnvelopeContext(chain_id=CHAIN_ID, contract=CONTRACT, challenge_id=CHALLENGE_ID)
HUGE_CHALLENGE_ID = 2**255 + 12345  # beyond 2^53: JSON numbers must stay exact in JavaScript

SEEKER = dev_account(0)
SOLVER = dev_account(1)
COPIER = dev_account(2)
SEEKER_KEY = derive_challenge_private_key(SEEKER, CHAIN_ID, CONTRACT, CHALLENGE_ID)
ARBITER_KEY = PrivateKey(hashlib.sha256(b"crowdbounty test arbiter").digest())
OUTSIDER_KEY = derive_challenge_private_key(COPIER, CHAIN_ID, CONTRACT, CHALLENGE_ID)

# Two files across several 64-byte chunks, the boundary inside a chunk; the names need
# JSON escaping and UTF-8, which both serialisers must spell the same way.
SMALL_CHUNK = 64
FILES = {'solution "v2".py': bytes(range(256)) + b"print(42)\n" * 5, "résumé.txt": "données ✓\n".encode() * 12}
CIPHERTEXT_CHUNK = SMALL_CHUNK + 17  # secretstream adds 17 bytes per chunk
LAST_CHUNK = (sum(len(data) for data in FILES.values()) - 1) // SMALL_CHUNK

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
PREAMBLE = struct.Struct(">5sBI")


@dataclass(frozen=True)
class NodeResult:
    """What the CLI printed, and whether the modules accepted (0) or refused (2) the input."""

    returncode: int
    output: dict[str, Any]


def _node(command: str, argument: str) -> NodeResult:
    completed = subprocess.run(
        # package.json has no "type": "module": keep Node's re-parse notice out of stderr.
        ["node", "--disable-warning=MODULE_TYPELESS_PACKAGE_JSON", str(CLI), command, argument],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=NODE_TIMEOUT_S,
        check=False,
    )
    if completed.returncode not in {0, EXIT_REFUSED}:
        pytest.fail(f"node {command} crashed with status {completed.returncode}:\n{completed.stderr}")
    return NodeResult(completed.returncode, json.loads(completed.stdout))


def _node_request(command: str, workdir: Path, request: dict[str, Any]) -> NodeResult:
    path = workdir / f"{command}-request.json"
    path.write_text(json.dumps(request))
    return _node(command, str(path))


def _accepted(result: NodeResult) -> dict[str, Any]:
    assert result.returncode == 0, result.output
    return result.output


def _context_request(context: EnvelopeContext) -> dict[str, Any]:
    # Ids travel as decimal strings: JSON numbers would lose precision in JavaScript.
    return {
        "chain_id": str(context.chain_id),
        "contract": context.contract,
        "challenge_id": str(context.challenge_id),
        "kind": context.kind,
    }


def _private_key_hex(account: LocalAccount) -> str:
    return "0x" + bytes(account.key).hex()


def _js_seal(
    workdir: Path,
    files: dict[str, bytes] = FILES,
    context: EnvelopeContext = CONTEXT,
    author: LocalAccount = SOLVER,
) -> bytes:
    output = workdir / "js.cbenv"
    _accepted(
        _node_request(
            "seal",
            workdir,
            {
                **_context_request(context),
                "author_key": _private_key_hex(author),
                "files": [{"name": name, "hex": data.hex()} for name, data in files.items()],
                "recipients": [bytes(SEEKER_KEY.public_key).hex(), bytes(ARBITER_KEY.public_key).hex()],
                "chunk_size": SMALL_CHUNK,
                "output": str(output),
            },
        )
    )
    return output.read_bytes()


def _js_open(
    workdir: Path,
    envelope: bytes,
    key: PrivateKey = SEEKER_KEY,
    context: EnvelopeContext = CONTEXT,
    expected_author: str | None = None,
) -> NodeResult:
    path = workdir / "to-open.cbenv"
    path.write_bytes(envelope)
    request = {**_context_request(context), "envelope": str(path), "private_key": bytes(key).hex()}
    if expected_author is not None:
        request["expected_author"] = expected_author
    return _node_request("open", workdir, request)


def _js_refusal(result: NodeResult) -> tuple[str, str]:
    """(error class, message) of an envelope the JavaScript opener refused."""
    assert result.returncode == EXIT_REFUSED, f"JavaScript accepted the envelope: {result.output}"
    return result.output["error"], result.output["message"]


def _python_refusal(
    envelope: bytes,
    key: PrivateKey = SEEKER_KEY,
    context: EnvelopeContext = CONTEXT,
    expected_author: str | None = None,
) -> tuple[str, str]:
    """(error class, message) of the Python opener for the same envelope: JavaScript mirrors it."""
    with pytest.raises(EnvelopeError) as error:
        open_bytes(envelope, private_key=key, expected=context, expected_author=expected_author)
    return type(error.value).__name__, str(error.value)


def _opened_files(output: dict[str, Any]) -> dict[str, bytes]:
    return {entry["name"]: bytes.fromhex(entry["hex"]) for entry in output["files"]}


def _py_open(envelope: bytes, key: PrivateKey = SEEKER_KEY, context: EnvelopeContext = CONTEXT) -> dict[str, bytes]:
    _, files = open_bytes(envelope, private_key=key, expected=context)
    return files


def _read_header(envelope: bytes) -> EnvelopeHeader:
    """The header, checked by the Python reader (format, canonical form, signature)."""
    return read_header(io.BytesIO(envelope))


def _split(envelope: bytes) -> tuple[bytes, bytes]:
    """(header JSON, body)."""
    length = PREAMBLE.unpack(envelope[: PREAMBLE.size])[2]
    end = PREAMBLE.size + length
    return envelope[PREAMBLE.size : end], envelope[end:]


def _with_header(envelope: bytes, header: EnvelopeHeader) -> bytes:
    header_json = header.model_dump_json().encode()
    return PREAMBLE.pack(b"CBENV", 1, len(header_json)) + header_json + _split(envelope)[1]


def _with_body_byte_flipped(envelope: bytes, body_position: int) -> bytes:
    header_json, body = _split(envelope)
    flipped = bytearray(body)
    flipped[body_position] ^= 0x01
    return envelope[: PREAMBLE.size] + header_json + bytes(flipped)


def _key_signature(account: LocalAccount) -> bytes:
    message = encode_defunct(text=challenge_key_message(CHAIN_ID, CONTRACT, CHALLENGE_ID))
    return bytes(account.sign_message(message).signature)


def _v_as_parity(signature: bytes) -> bytes:
    return signature[:64] + bytes([signature[64] - 27])


def _high_s_twin(signature: bytes) -> bytes:
    s = int.from_bytes(signature[32:64], "big")
    return signature[:32] + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - signature[64]])


@pytest.fixture(scope="module")
def js_envelope(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """FILES sealed by the JavaScript code, by SOLVER, to the seeker and the arbiter."""
    envelope = _js_seal(tmp_path_factory.mktemp("js-envelope"))
    _, body = _split(envelope)
    assert len(body) > 3 * CIPHERTEXT_CHUNK  # several chunks, as intended
    return envelope


# -- challenge keys --------------------------------------------------------------------------


def test_key_message_is_pythons_text(tmp_path: Path) -> None:
    request = {"chain_id": CHAIN_ID, "contract": CONTRACT.lower(), "challenge_id": str(HUGE_CHALLENGE_ID)}
    output = _accepted(_node_request("message", tmp_path, request))
    assert output["message"] == challenge_key_message(CHAIN_ID, CONTRACT.lower(), HUGE_CHALLENGE_ID)


def test_key_pair_derived_with_a_wallet_is_pythons(tmp_path: Path) -> None:
    request = {**_context_request(CONTEXT), "wallet_key": _private_key_hex(SEEKER)}
    output = _accepted(_node_request("derive", tmp_path, request))
    assert bytes.fromhex(output["signature"]) == _key_signature(SEEKER)  # same text, same RFC 6979 signature
    assert bytes.fromhex(output["private_key"]) == bytes(SEEKER_KEY)
    assert bytes.fromhex(output["public_key"]) == bytes(SEEKER_KEY.public_key)


@pytest.mark.parametrize(
    "spelling",
    [
        pytest.param(lambda signature: signature, id="v-27-28"),
        pytest.param(_v_as_parity, id="v-0-1"),
        pytest.param(_high_s_twin, id="high-s-twin"),
        pytest.param(lambda signature: _v_as_parity(_high_s_twin(signature)), id="high-s-twin-v-0-1"),
    ],
)
def test_key_pair_from_any_spelling_of_the_signature_is_pythons(spelling: Any) -> None:
    signature: bytes = spelling(_key_signature(SEEKER))
    python_key = challenge_private_key_from_signature(signature)
    output = _accepted(_node("key", "0x" + signature.hex()))
    assert bytes.fromhex(output["private_key"]) == bytes(python_key) == bytes(SEEKER_KEY)
    assert bytes.fromhex(output["public_key"]) == bytes(python_key.public_key)


# -- envelopes across languages --------------------------------------------------------------


@pytest.mark.parametrize("key", [SEEKER_KEY, ARBITER_KEY], ids=["seeker", "arbiter"])
def test_js_envelope_opens_in_python(js_envelope: bytes, key: PrivateKey) -> None:
    header, files = open_bytes(js_envelope, private_key=key, expected=CONTEXT)
    assert files == FILES
    assert header.author == SOLVER.address


def test_python_envelope_opens_in_js(tmp_path: Path) -> None:
    envelope = seal_bytes(
        FILES,
        context=CONTEXT,
        recipients=[SEEKER_KEY.public_key, ARBITER_KEY.public_key],
        author=SOLVER,
        chunk_size=SMALL_CHUNK,
    )
    output = _accepted(_js_open(tmp_path, envelope, key=ARBITER_KEY))
    assert _opened_files(output) == FILES
    assert output["author"] == SOLVER.address
    assert output["header_json"].encode() == _split(envelope)[0]  # JavaScript re-serialises it byte for byte


def test_js_envelope_with_a_256_bit_challenge_id_opens_in_python(tmp_path: Path) -> None:
    context = EnvelopeContext(chain_id=CHAIN_ID, contract=CONTRACT, challenge_id=HUGE_CHALLENGE_ID)
    envelope = _js_seal(tmp_path, context=context)
    assert _py_open(envelope, context=context) == FILES


def test_python_envelope_with_a_256_bit_challenge_id_opens_in_js(tmp_path: Path) -> None:
    context = EnvelopeContext(chain_id=CHAIN_ID, contract=CONTRACT, challenge_id=HUGE_CHALLENGE_ID)
    envelope = seal_bytes(FILES, context=context, recipients=[SEEKER_KEY.public_key], author=SOLVER)
    assert _opened_files(_accepted(_js_open(tmp_path, envelope, context=context))) == FILES


@pytest.mark.parametrize("spelling", [_v_as_parity, _high_s_twin], ids=["v-0-1", "high-s-twin"])
def test_js_accepts_the_signature_spellings_python_accepts(tmp_path: Path, spelling: Any) -> None:
    envelope = seal_bytes(FILES, context=CONTEXT, recipients=[SEEKER_KEY.public_key], author=SOLVER)
    header = _read_header(envelope)
    respelled = _with_header(envelope, header.model_copy(update={"signature": spelling(header.signature)}))
    assert _read_header(respelled).author == SOLVER.address  # Python accepts this spelling
    output = _accepted(_js_open(tmp_path, respelled))
    assert output["author"] == SOLVER.address
    assert _opened_files(output) == FILES


# -- what the JavaScript opener refuses --------------------------------------------------------


def test_js_refuses_a_key_that_is_not_a_recipient(tmp_path: Path, js_envelope: bytes) -> None:
    refusal = _js_refusal(_js_open(tmp_path, js_envelope, key=OUTSIDER_KEY))
    assert refusal == ("NotARecipientError", "this key is not a recipient of the envelope")
    assert refusal == _python_refusal(js_envelope, key=OUTSIDER_KEY)


def test_js_refuses_a_flipped_body_byte(tmp_path: Path, js_envelope: bytes) -> None:
    tampered = _with_body_byte_flipped(js_envelope, 3 * CIPHERTEXT_CHUNK + 20)
    refusal = _js_refusal(_js_open(tmp_path, tampered))
    assert refusal == ("EnvelopeError", "chunk 3 does not authenticate (tampered or reordered)")
    assert refusal == _python_refusal(tampered)


def test_js_refuses_a_truncated_body(tmp_path: Path, js_envelope: bytes) -> None:
    refusal = _js_refusal(_js_open(tmp_path, js_envelope[:-5]))
    assert refusal == ("EnvelopeError", f"envelope truncated in its chunk {LAST_CHUNK}")
    assert refusal == _python_refusal(js_envelope[:-5])


def test_js_refuses_data_after_the_final_chunk(tmp_path: Path, js_envelope: bytes) -> None:
    refusal = _js_refusal(_js_open(tmp_path, js_envelope + b"\x00"))
    assert refusal == ("EnvelopeError", "envelope has data after its final chunk")
    assert refusal == _python_refusal(js_envelope + b"\x00")


def test_js_refuses_a_header_whose_author_did_not_sign_it(tmp_path: Path, js_envelope: bytes) -> None:
    header = _read_header(js_envelope)
    forged = _with_header(js_envelope, header.model_copy(update={"author": COPIER.address}))
    error_class, message = _js_refusal(_js_open(tmp_path, forged))
    # The digest changed with the author, so the signature recovers some unrelated address.
    assert error_class == "SignatureMismatchError"
    assert message.startswith(f"envelope claims author {COPIER.address} but was signed by 0x")
    assert SOLVER.address not in message
    assert (error_class, message) == _python_refusal(forged)


def test_js_refuses_a_body_rewrapped_in_a_header_signed_by_another_account(tmp_path: Path, js_envelope: bytes) -> None:
    # The copier cannot decrypt, but can sign a header naming themselves around the same body.
    unsigned = _read_header(js_envelope).model_copy(update={"author": COPIER.address})
    message = encode_typed_data(full_message=envelope_typed_data(unsigned))
    signature = bytes(COPIER.sign_message(message).signature)
    copied = _with_header(js_envelope, unsigned.model_copy(update={"signature": signature}))
    assert _read_header(copied).author == COPIER.address  # the signature itself is valid
    refusal = _js_refusal(_js_open(tmp_path, copied))
    assert refusal == ("EnvelopeError", "chunk 0 does not authenticate (tampered or reordered)")
    assert refusal == _python_refusal(copied)


def test_js_refuses_an_author_other_than_the_expected_one(tmp_path: Path, js_envelope: bytes) -> None:
    refusal = _js_refusal(_js_open(tmp_path, js_envelope, expected_author=COPIER.address))
    assert refusal == (
        "SignatureMismatchError",
        f"envelope was written by {SOLVER.address}, not by {COPIER.address}",
    )
    assert refusal == _python_refusal(js_envelope, expected_author=COPIER.address)


@pytest.mark.parametrize(
    "expected",
    [
        pytest.param(EnvelopeContext(CHAIN_ID + 1, CONTRACT, CHALLENGE_ID), id="chain"),
        pytest.param(EnvelopeContext(CHAIN_ID, "0x" + "11" * 20, CHALLENGE_ID), id="contract"),
        pytest.param(EnvelopeContext(CHAIN_ID, CONTRACT, CHALLENGE_ID + 1), id="challenge"),
        pytest.param(EnvelopeContext(CHAIN_ID, CONTRACT, CHALLENGE_ID, "room-document"), id="kind"),
    ],
)
def test_js_refuses_a_wrong_context(tmp_path: Path, js_envelope: bytes, expected: EnvelopeContext) -> None:
    refusal = _js_refusal(_js_open(tmp_path, js_envelope, context=expected))
    expected_text = f"{expected.kind} of challenge {expected.challenge_id} on contract {expected.normalized().contract}, chain {expected.chain_id}"
    assert refusal == (
        "ContextMismatchError",
        f"envelope is for submission of challenge {CHALLENGE_ID} on contract {CONTRACT}, chain {CHAIN_ID}, "
        f"expected {expected_text}",
    )


def test_js_refuses_a_header_that_is_not_canonical(tmp_path: Path, js_envelope: bytes) -> None:
    header_json, body = _split(js_envelope)
    sha = _read_header(js_envelope).content_sha256.hex()
    upper = header_json.replace(sha.encode(), sha.upper().encode(), 1)  # same length, same meaning
    assert upper != header_json
    refusal = _js_refusal(_js_open(tmp_path, js_envelope[: PREAMBLE.size] + upper + body))
    assert refusal == ("EnvelopeError", "envelope header is not in canonical form")
    assert refusal == _python_refusal(js_envelope[: PREAMBLE.size] + upper + body)


def test_js_refuses_to_seal_a_path_as_a_file_name(tmp_path: Path) -> None:
    request = {
        **_context_request(CONTEXT),
        "author_key": _private_key_hex(SOLVER),
        "files": [{"name": "../escape.txt", "hex": "00"}],
        "recipients": [bytes(SEEKER_KEY.public_key).hex()],
        "chunk_size": SMALL_CHUNK,
        "output": str(tmp_path / "never.cbenv"),
    }
    refusal = _js_refusal(_node_request("seal", tmp_path, request))
    assert refusal == ("EnvelopeError", 'cannot seal: not a plain file name: "../escape.txt"')
    assert not (tmp_path / "never.cbenv").exists()


# -- what the Python opener refuses ----------------------------------------------------------


def test_python_refuses_a_js_envelope_with_a_flipped_body_byte(js_envelope: bytes) -> None:
    tampered = _with_body_byte_flipped(js_envelope, 3 * CIPHERTEXT_CHUNK + 20)
    with pytest.raises(EnvelopeError, match=r"^chunk 3 does not authenticate \(tampered or reordered\)$"):
        _py_open(tampered)
