"""What can be a reading: structural checks on a device payload, and the fields the collector adds.

Only payloads that cannot be a reading at all are rejected here (not JSON, not an object, no
DeviceId or time); ranges and types are the quality stage's job.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fmslab.reading import MISSING_SENTINEL, VALUE_FIELDS

REQUIRED_FIELDS = ("DeviceId", "time")


@dataclass(frozen=True)
class Rejection:
    """A payload that cannot be a reading, with the reason it was set aside."""

    reason: str
    raw: str


def _reject_constant(name: str) -> float:
    # Python's json accepts NaN and Infinity; JSON does not, and a reading must be JSON.
    raise ValueError(f"{name} is not valid JSON")


def parse_payload(body: bytes | str) -> dict[str, Any] | Rejection:
    """The payload as a dict, or a `Rejection` saying why it cannot be a reading."""
    raw = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    try:
        payload = json.loads(raw, parse_constant=_reject_constant)
    except ValueError as exc:
        return Rejection(f"not JSON: {exc.__class__.__name__}: {exc}", raw)
    if not isinstance(payload, dict):
        return Rejection(f"not a JSON object but {type(payload).__name__}", raw)
    for name in REQUIRED_FIELDS:
        if payload.get(name) is None:
            return Rejection(f"missing {name}", raw)
    return payload


def iso_utc(moment: datetime) -> str:
    """An aware datetime as ISO-8601 UTC with milliseconds and a `Z`."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def make_reading_id(device: int, collected_at: datetime, seq: int) -> str:
    """A unique, readable id: device, collection time in ms, and the device's poll number."""
    return f"{device}-{int(collected_at.timestamp() * 1000)}-{seq}"


def enrich(
    payload: dict[str, Any], *, device: int, collected_at: datetime, seq: int
) -> dict[str, Any]:
    """The reading as produced: the payload unchanged plus `collected_at` and `reading_id`."""
    return {
        **payload,
        "collected_at": iso_utc(collected_at),
        "reading_id": make_reading_id(device, collected_at, seq),
    }


def reading_key(reading: dict[str, Any]) -> bytes:
    """The Kafka key of a reading: its DeviceId as text."""
    return str(reading["DeviceId"]).encode()


def sensor_values(reading: dict[str, Any]) -> dict[str, float]:
    """The numeric sensor and motor values of a reading, without the missing-value sentinel."""
    values = {}
    for name in VALUE_FIELDS:
        value = reading.get(name)
        # type() rather than isinstance(): bool is an int subclass and must not count.
        if type(value) in (int, float) and value != MISSING_SENTINEL:
            values[name] = float(value)
    return values
