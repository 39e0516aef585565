"""Amounts and times as people type them, converted exactly (no floats)."""

import datetime
import re
from decimal import Decimal, InvalidOperation

from client.errors import InputError

_AMOUNT = re.compile(r"^\s*(?P<number>[0-9]+(\.[0-9]+)?)\s*(?P<unit>wei)?\s*$", re.IGNORECASE)
_RELATIVE = re.compile(r"^\+(?P<count>[0-9]+)(?P<unit>[smhdw])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}


def parse_amount(text: str, decimals: int, symbol: str = "") -> int:
    """`"1.5"` in whole units (ETH or the token's) or `"1500wei"` in base units, as base units."""
    match = _AMOUNT.match(text)
    if match is None:
        raise InputError(
            f"{text!r} is not an amount", f"write a number such as 0.5 (in {symbol or 'whole units'}) or 500wei"
        )
    if match["unit"]:
        if "." in match["number"]:
            raise InputError(f"{text!r}: wei are whole numbers", "drop the decimals")
        return int(match["number"])
    try:
        value = Decimal(match["number"]) * (Decimal(10) ** decimals)
    except InvalidOperation as error:
        raise InputError(f"{text!r} is not an amount") from error
    if value != value.to_integral_value():
        raise InputError(f"{text!r} has more than {decimals} decimals", f"{symbol or 'this token'} has {decimals}")
    return int(value)


def format_amount(value: int, decimals: int, symbol: str) -> str:
    """Base units as whole units with every significant decimal, e.g. `1.25 ETH`."""
    whole = Decimal(value) / (Decimal(10) ** decimals)
    text = f"{whole:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text} {symbol}"


def parse_time(text: str, now: int) -> int:
    """A deadline: `+7d` (relative to `now`: s, m, h, d, w), ISO 8601 (UTC if no zone), or Unix seconds."""
    text = text.strip()
    if match := _RELATIVE.match(text):
        return now + int(match["count"]) * _UNIT_SECONDS[match["unit"]]
    if text.isdigit():
        return int(text)
    try:
        moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"{text!r} is not a time", "write +7d, 2027-01-31T12:00Z or Unix seconds") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return int(moment.timestamp())
