"""Opaque, tamper-evident page cursors: the sort key of the last item of a page.

A cursor is base64url(JSON) of the key values, so keyset pagination stays stable while rows
are inserted; anything that does not decode to the expected shape is a 400, never a 500.
"""

import base64
import binascii
import json
from collections.abc import Sequence

from backend.api.errors import BadRequestError

CursorKey = tuple[str | int, ...]


def encode_cursor(key: Sequence[str | int]) -> str:
    """The cursor that resumes after the item whose sort key is `key`."""
    raw = json.dumps(list(key), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str, kinds: Sequence[type[str] | type[int]]) -> CursorKey:
    """The sort key in `cursor`, checked against the expected `kinds` (str or int per position)."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, UnicodeDecodeError, ValueError) as error:
        raise BadRequestError(f"invalid page cursor {cursor[:40]!r}: not a cursor this API issued") from error
    if (
        not isinstance(values, list)
        or len(values) != len(kinds)
        or not all(type(value) is kind for value, kind in zip(values, kinds, strict=True))
    ):
        raise BadRequestError(f"invalid page cursor {cursor[:40]!r}: not a cursor of this list")
    return tuple(values)
