"""Independent classifiers of served payloads, used to verify which faults a run contains."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from fmslab.reading import READING_FIELDS

FIELDS = READING_FIELDS
TIME_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"not JSON: {name}")


def parse_strict(text: str) -> Any:
    """json.loads that also rejects NaN/Infinity (Python accepts them, JSON does not)."""
    return json.loads(text, parse_constant=_reject_constant)


def is_valid_json(text: str) -> bool:
    try:
        parse_strict(text)
    except ValueError:
        return False
    return True


def well_typed(reading: dict[str, Any]) -> bool:
    """Whether every present field has the original API's JSON type."""
    checks = {
        "time": lambda v: isinstance(v, str) and bool(TIME_PATTERN.match(v)),
        "DeviceId": lambda v: type(v) is int,
        "isFail": lambda v: type(v) is bool,
    }
    for name, value in reading.items():
        check = checks.get(name, lambda v: type(v) is float)
        if not check(value):
            return False
    return True


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
