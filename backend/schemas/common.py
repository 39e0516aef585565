"""Types and envelopes every API domain shares: validated chain values and cursor pages.

Inputs are validated here, so a malformed address, hash or amount is a 422 that names the
field, before any service runs.
"""

from typing import Annotated, Generic, TypeVar

from eth_utils.address import is_address, is_checksum_address, to_checksum_address
from pydantic import AfterValidator, BaseModel, Field, StringConstraints


def _checksum_address(value: str) -> str:
    if not is_address(value):
        raise ValueError("not an Ethereum address (0x followed by 40 hex digits, checksum valid if mixed case)")
    digits = value[2:]
    # eth_utils accepts any mixed case; EIP-55 says mixed case IS a checksum, so check it.
    if digits != digits.lower() and digits != digits.upper() and not is_checksum_address(value):
        raise ValueError(f"address {value} has a wrong EIP-55 checksum (mistyped?); use lower case to skip the check")
    return str(to_checksum_address(value))


EthAddress = Annotated[str, AfterValidator(_checksum_address)]
"""An address in any case, normalized to its EIP-55 checksum form."""

Hex32 = Annotated[str, StringConstraints(pattern=r"^0x[0-9a-fA-F]{64}$", to_lower=True)]
"""A 32-byte value (hash, key) as 0x-hex, normalized to lower case."""

HexBytes = Annotated[str, StringConstraints(pattern=r"^0x([0-9a-fA-F]{2})*$", to_lower=True)]
"""Any byte string (a signature, say) as 0x-hex, normalized to lower case."""

TokenAmount = Annotated[str, StringConstraints(pattern=r"^(0|[1-9][0-9]{0,77})$")]
"""An amount in the token's smallest unit, as a decimal string (uint256 exceeds JSON's safe integers)."""

PageLimit = Annotated[int, Field(ge=1, le=100)]


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list; pass `next_cursor` back as `cursor` for the next one (null: no more)."""

    items: list[T]
    next_cursor: str | None = None
