"""Helpers for the quality tests: a valid reading of one device at one time, with overrides."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fmslab.quality.rules import QualityRules

BASE = datetime(2024, 1, 15, 14, 30, tzinfo=UTC)
_DROP = object()


def stamp(seconds: float) -> str:
    """The ISO-8601 time `seconds` after the base time."""
    value = BASE + timedelta(seconds=seconds)
    text = value.replace(tzinfo=None).isoformat(timespec="seconds")
    return text + "Z"


def reading(device: int = 1, t: float = 0, **fields: Any) -> dict[str, Any]:
    """A valid reading (the seed's sample values) of `device` at base + t s; `field=DROP`
    removes a field."""
    record: dict[str, Any] = {
        "time": stamp(t),
        "DeviceId": device,
        "sensor1": 80.0,
        "sensor2": 90.0,
        "sensor3": 75.0,
        "motor1": 1200,
        "motor2": 850,
        "motor3": 1100,
        "isFail": False,
    }
    record.update(fields)
    return {k: v for k, v in record.items() if v is not _DROP}


DROP = _DROP


def with_field(rules: QualityRules, name: str, **changes: Any) -> QualityRules:
    """A copy of the rules with some settings of one field changed."""
    field = rules.fields[name].model_copy(update=changes)
    return rules.model_copy(update={"fields": {**rules.fields, name: field}})
