"""Reading times: slots of a fixed interval, on the wall clock or from a fixed start.

Times are kept as integer milliseconds since the Unix epoch so that slot arithmetic is exact even
for fractional intervals.
"""

from __future__ import annotations

import functools
import time
from datetime import UTC, datetime

DEFAULT_START = "2024-01-15T14:30:00Z"


def interval_ms(interval: float) -> int:
    """The reading interval in whole milliseconds (at least 1)."""
    if not interval > 0:
        raise ValueError(f"interval must be > 0 seconds, not {interval}")
    return max(1, round(interval * 1000))


def parse_time(text: str | datetime) -> int:
    """Milliseconds since the epoch of an ISO-8601 time (naive times are taken as UTC)."""
    if isinstance(text, datetime):
        return _epoch_ms(text)
    return _parse_text(text)


@functools.lru_cache(maxsize=64)  # a run parses the same start for every reading
def _parse_text(text: str) -> int:
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(f"not an ISO-8601 time: {text!r} (e.g. {DEFAULT_START})") from exc
    return _epoch_ms(moment)


def _epoch_ms(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return round(moment.timestamp() * 1000)


def format_time(ms: int, *, millis: bool = False) -> str:
    """ISO-8601 UTC with a `Z`; with `millis`, three decimals of seconds."""
    moment = datetime.fromtimestamp(ms / 1000, tz=UTC)
    if millis:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def needs_millis(interval: float) -> bool:
    """Whether slot times of this interval need milliseconds to stay distinct."""
    return interval_ms(interval) % 1000 != 0


def slot_time_ms(slot: int, interval: float, start: str | datetime | None = None) -> int:
    """The time of `slot`: start + slot * interval (the epoch when `start` is None)."""
    base = 0 if start is None else parse_time(start)
    return base + slot * interval_ms(interval)


def current_slot(interval: float, now: float | None = None) -> int:
    """The wall-clock slot: floor(unix time / interval)."""
    now_ms = round((time.time() if now is None else now) * 1000)
    return now_ms // interval_ms(interval)
