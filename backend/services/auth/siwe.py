"""A strict parser and verifier of Sign-In with Ethereum messages (EIP-4361).

The message must follow the ABNF of EIP-4361 exactly (line order, field names, one LF
between lines, no trailing data): anything else is refused rather than guessed, since the
user signed exactly these bytes.
"""

import re
from dataclasses import dataclass
from datetime import datetime

from eth_account import Account
from eth_account.messages import encode_defunct
from eth_utils.address import is_checksum_address

from backend.errors import CrowdbountyError


class SiweError(CrowdbountyError):
    """A SIWE message that is malformed, not for us, not valid now, or not signed by its address."""


class SiweMessageFormatError(SiweError):
    """The text is not an EIP-4361 message."""


_HEADER = re.compile(
    r"^(?:(?P<scheme>[a-zA-Z][a-zA-Z0-9+\-.]*)://)?(?P<domain>[^\s/?#]+) wants you to sign in with your Ethereum account:$"
)
_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
_NONCE = re.compile(r"^[a-zA-Z0-9]{8,}$")
_URI = re.compile(r"^[a-zA-Z][a-zA-Z0-9+\-.]*:[^\s]*$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
# Optional fields, in the order the grammar fixes.
_OPTIONAL = ("Expiration Time", "Not Before", "Request ID")


@dataclass(frozen=True)
class SiweMessage:
    domain: str
    address: str
    statement: str | None
    uri: str
    version: str
    chain_id: int
    nonce: str
    issued_at: datetime
    scheme: str | None = None
    expiration_time: datetime | None = None
    not_before: datetime | None = None
    request_id: str | None = None
    resources: tuple[str, ...] = ()


def _timestamp(name: str, value: str) -> datetime:
    if not _DATETIME.match(value):
        raise SiweMessageFormatError(f"{name} {value!r} is not an RFC 3339 date-time")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        raise SiweMessageFormatError(f"{name} {value!r} is not a valid date-time") from error
    return parsed


def _field(lines: list[str], position: int, name: str) -> str:
    prefix = f"{name}: "
    if position >= len(lines) or not lines[position].startswith(prefix):
        raise SiweMessageFormatError(f"line {position + 1} must be '{prefix}...'")
    return lines[position][len(prefix) :]


def _preamble(lines: list[str]) -> tuple[re.Match[str], str, str | None, int]:
    """The header match, the address, the statement and the position of the URI line."""
    header = _HEADER.match(lines[0])
    if header is None:
        raise SiweMessageFormatError("line 1 must be '<domain> wants you to sign in with your Ethereum account:'")
    if len(lines) < 9:
        raise SiweMessageFormatError("the message is truncated")
    address = lines[1]
    if not _ADDRESS.match(address) or not is_checksum_address(address):
        raise SiweMessageFormatError("line 2 must be the address in EIP-55 checksum form")
    if lines[2] != "":
        raise SiweMessageFormatError("line 3 must be empty")
    # Without a statement the second empty line follows directly; with one: statement, empty line.
    if lines[3] == "":
        return header, address, None, 4
    if lines[4] != "":
        raise SiweMessageFormatError("the statement must be one line followed by an empty line")
    return header, address, lines[3], 5


def _optional_fields(lines: list[str], position: int) -> tuple[dict[str, str], tuple[str, ...]]:
    """The optional fields and the resources from `position` to the end of the message."""
    optional: dict[str, str] = {}
    for name in _OPTIONAL:
        if position < len(lines) and lines[position].startswith(f"{name}: "):
            optional[name] = _field(lines, position, name)
            position += 1
    resources: list[str] = []
    if position < len(lines) and lines[position] == "Resources:":
        position += 1
        while position < len(lines) and lines[position].startswith("- "):
            resource = lines[position][2:]
            if not _URI.match(resource):
                raise SiweMessageFormatError(f"resource {resource!r} is not an RFC 3986 URI")
            resources.append(resource)
            position += 1
    if position != len(lines):
        raise SiweMessageFormatError(f"unexpected line {position + 1}: {lines[position][:60]!r}")
    request_id = optional.get("Request ID")
    if request_id is not None and any(ch.isspace() for ch in request_id):
        raise SiweMessageFormatError("the request id must not contain whitespace")
    return optional, tuple(resources)


def parse_siwe_message(text: str) -> SiweMessage:
    """The fields of an EIP-4361 message; raises `SiweMessageFormatError` on any deviation."""
    if "\r" in text:
        raise SiweMessageFormatError("lines must end with LF only")
    lines = text.split("\n")
    header, address, statement, position = _preamble(lines)
    uri = _field(lines, position, "URI")
    if not _URI.match(uri):
        raise SiweMessageFormatError(f"URI {uri!r} is not an RFC 3986 URI")
    version = _field(lines, position + 1, "Version")
    if version != "1":
        raise SiweMessageFormatError(f"version {version!r} is not supported (only 1)")
    chain_id_text = _field(lines, position + 2, "Chain ID")
    if not re.fullmatch(r"[1-9][0-9]*", chain_id_text):
        raise SiweMessageFormatError(f"Chain ID {chain_id_text!r} is not a positive decimal number")
    nonce = _field(lines, position + 3, "Nonce")
    if not _NONCE.match(nonce):
        raise SiweMessageFormatError("the nonce must be at least 8 alphanumeric characters")
    issued_at = _timestamp("Issued At", _field(lines, position + 4, "Issued At"))
    optional, resources = _optional_fields(lines, position + 5)
    expiration = optional.get("Expiration Time")
    not_before = optional.get("Not Before")
    return SiweMessage(
        domain=header["domain"],
        scheme=header["scheme"],
        address=address,
        statement=statement,
        uri=uri,
        version=version,
        chain_id=int(chain_id_text),
        nonce=nonce,
        issued_at=issued_at,
        expiration_time=_timestamp("Expiration Time", expiration) if expiration is not None else None,
        not_before=_timestamp("Not Before", not_before) if not_before is not None else None,
        request_id=optional.get("Request ID"),
        resources=resources,
    )


def format_siwe_message(message: SiweMessage) -> str:
    """The EIP-4361 text of `message` (what a wallet shows and signs)."""
    prefix = f"{message.scheme}://" if message.scheme else ""
    lines = [f"{prefix}{message.domain} wants you to sign in with your Ethereum account:", message.address, ""]
    if message.statement is not None:
        lines += [message.statement, ""]
    lines += [
        f"URI: {message.uri}",
        f"Version: {message.version}",
        f"Chain ID: {message.chain_id}",
        f"Nonce: {message.nonce}",
        f"Issued At: {_rfc3339(message.issued_at)}",
    ]
    if message.expiration_time is not None:
        lines.append(f"Expiration Time: {_rfc3339(message.expiration_time)}")
    if message.not_before is not None:
        lines.append(f"Not Before: {_rfc3339(message.not_before)}")
    if message.request_id is not None:
        lines.append(f"Request ID: {message.request_id}")
    if message.resources:
        lines += ["Resources:", *(f"- {resource}" for resource in message.resources)]
    return "\n".join(lines)


def _rfc3339(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def recover_signer(text: str, signature: str) -> str:
    """The address that signed `text` with EIP-191 personal_sign; raises SiweError if unreadable."""
    try:
        return str(Account.recover_message(encode_defunct(text=text), signature=signature))
    except Exception as error:  # eth_account raises several types for a malformed signature
        raise SiweError("the signature is not a valid secp256k1 signature") from error
