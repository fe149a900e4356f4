"""Type conversion of raw JSON values: numbers, integers, booleans, ISO-8601 timestamps.

Each converter returns `(value, problem)`: exactly one of them is None. Problems are the short
phrases used in reasons ("not a number", "not ISO-8601", ...). Rounding is half away from zero,
like Spark's `round`, so both implementations agree on every value.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}
_MAX_TIME_TEXT = 64  # longer strings cannot be a timestamp; do not hand them to the parser

Converted = tuple[Any, str | None]


def round_half_up(value: float, decimals: int = 0) -> float:
    """Round half away from zero (2.345 -> 2.35, -0.5 -> -1), as Spark's `round` does."""
    if abs(value) >= 1e15:  # beyond float's decimal precision: nothing to round
        return value
    if decimals == 0 and abs(value) < 2**52:
        # Only an exact .5 is a tie (a binary fraction of .5 is its own shortest repr).
        if value - math.floor(value) != 0.5:
            return float(round(value))
        return math.copysign(math.floor(abs(value)) + 1.0, value)
    text = repr(value)
    point = text.find(".")
    if point >= 0 and "e" not in text and len(text) - point - 1 <= decimals:
        return value  # already has no more decimals than asked (the common case; no Decimal)
    try:
        quantum = Decimal(1).scaleb(-decimals)
        return float(Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_UP))
    except InvalidOperation:
        return value


def to_number(raw: Any) -> Converted:
    """A finite float from a JSON number or numeric string; booleans are not numbers."""
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        return None, "not a number"
    try:
        value = float(raw.strip() if isinstance(raw, str) else raw)
    except ValueError:
        return None, "not a number"
    except OverflowError:  # an int beyond float's range
        return None, "not a finite number"
    if not math.isfinite(value):
        return None, "not a finite number"
    return value, None


def to_float(raw: Any, decimals: int | None = None) -> Converted:
    """A finite float, rounded to `decimals` when given."""
    value, problem = to_number(raw)
    if problem is None and decimals is not None:
        value = round_half_up(value, decimals)
    return value, problem


def to_int(raw: Any, integral: bool = False) -> Converted:
    """An int; with `integral` a fractional value is a problem, else it is rounded."""
    value, problem = to_number(raw)
    if problem is not None:
        return None, problem
    if integral and not float(value).is_integer():
        return None, "not an integer"
    return int(round_half_up(value, 0)), None


def to_bool(raw: Any) -> Converted:
    """A bool from true/false, 0/1 or a yes/no style string."""
    if isinstance(raw, bool):
        return raw, None
    if isinstance(raw, int | float) and raw in (0, 1):
        return bool(raw), None
    if isinstance(raw, str):
        text = raw.strip().lower()
        if text in _TRUE:
            return True, None
        if text in _FALSE:
            return False, None
    return None, "not a boolean"


def parse_time(raw: Any) -> Converted:
    """A timezone-aware UTC datetime from an ISO-8601 string (naive times are taken as UTC)."""
    if not isinstance(raw, str) or not raw.strip() or len(raw) > _MAX_TIME_TEXT:
        return None, "not ISO-8601"
    try:
        value = datetime.fromisoformat(raw.strip())
    except ValueError:
        return None, "not ISO-8601"
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC), None


def is_naive_time(raw: Any) -> bool:
    """True when `raw` is an ISO-8601 string without a timezone."""
    if isinstance(raw, str) and raw.rstrip().endswith("Z"):
        return False  # the common case, without a second parse
    try:
        return isinstance(raw, str) and datetime.fromisoformat(raw.strip()).tzinfo is None
    except ValueError:
        return False


def format_time(value: datetime) -> str:
    """`2024-01-15T14:30:00Z` (milli- or microseconds only when present)."""
    value = value.astimezone(UTC)
    if value.microsecond == 0:
        spec = "seconds"
    elif value.microsecond % 1000 == 0:
        spec = "milliseconds"
    else:
        spec = "microseconds"
    return value.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def show(raw: Any, limit: int = 40) -> str:
    """A short, JSON-like rendering of a value for a reason string."""
    if raw is None:
        return "null"
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, float) and raw.is_integer() and abs(raw) < 1e15:
        return str(int(raw))
    try:
        text = repr(raw) if isinstance(raw, int | float | str) else json.dumps(raw, default=str)
    except (ValueError, RecursionError):  # ints beyond str() limits, absurd nesting
        text = f"<{type(raw).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."
