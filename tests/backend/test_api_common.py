"""The shared API input types and page cursors: what they accept, normalize and refuse."""

import pytest
from pydantic import TypeAdapter, ValidationError

from backend.api.errors import BadRequestError
from backend.api.pagination import decode_cursor, encode_cursor
from backend.schemas.common import EthAddress, Hex32, TokenAmount

CHECKSUMMED = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
ADDRESS = TypeAdapter(EthAddress)


@pytest.mark.parametrize("spelling", [CHECKSUMMED, CHECKSUMMED.lower(), "0x" + CHECKSUMMED[2:].upper()])
def test_addresses_in_any_single_case_or_checksummed_are_normalized(spelling: str) -> None:
    assert ADDRESS.validate_python(spelling) == CHECKSUMMED


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("0x3c44CdDdB6a900fa2b585dd299e03d12FA4293BC", "wrong EIP-55 checksum"),
        ("0x3C44CdDdB6a900fa2b585dd299e03d12FA4293B", "not an Ethereum address"),
        ("3C44CdDdB6a900fa2b585dd299e03d12FA4293BC00", "not an Ethereum address"),
        ("0xZZ44CdDdB6a900fa2b585dd299e03d12FA4293BC", "not an Ethereum address"),
    ],
)
def test_malformed_addresses_are_refused_with_the_reason(value: str, reason: str) -> None:
    with pytest.raises(ValidationError, match=reason):
        ADDRESS.validate_python(value)


def test_hashes_are_lower_cased_and_amounts_are_plain_decimals() -> None:
    assert TypeAdapter(Hex32).validate_python("0x" + "AB" * 32) == "0x" + "ab" * 32
    amount = TypeAdapter(TokenAmount)
    assert amount.validate_python(str(2**256 - 1)) == str(2**256 - 1)
    for bad in ("-1", "01", "1.5", "1e18", ""):
        with pytest.raises(ValidationError):
            amount.validate_python(bad)


def test_a_cursor_round_trips_and_a_foreign_one_is_a_400() -> None:
    cursor = encode_cursor([1_700_000_000, "0xabc"])
    assert decode_cursor(cursor, [int, str]) == (1_700_000_000, "0xabc")
    with pytest.raises(BadRequestError, match="not a cursor of this list"):
        decode_cursor(cursor, [int, int])
    with pytest.raises(BadRequestError, match="not a cursor this API issued"):
        decode_cursor("%%%", [int])
