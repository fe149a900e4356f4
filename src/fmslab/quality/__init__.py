"""Data-quality rules (one definition, `data/quality_rules.yaml`) and their pandas implementation.

    from fmslab.quality import check_readings
    result = check_readings(readings)          # dicts or JSON lines
    result.report.table(); result.frame(); result.to_json()

Zones: `processed` (valid), `alerts` (isFail true), `quarantine` (invalid, kept with reasons),
`dropped` (a duplicate of an already accepted (DeviceId, time): counted, not stored twice).

Reason vocabulary. Every reason is `<field>: <problem>[ (<detail>)] <outcome>`, or one of the
record-level reasons. Problems: `missing` (absent or null), `missing (-1)` (a sentinel),
`not a number`, `not a finite number` (NaN, Infinity, overflow), `not an integer`,
`not a boolean`, `not ISO-8601`, `out of range (<value>)`, `outlier (z=<z>)`,
`outlier (iqr <low>..<high>)`. Outcomes: `rejected` (the record goes to quarantine),
`flagged` (kept as is), `-> interpolated (<previous valid value>)`, `-> default <value>`,
`-> null (no previous value)`, `-> clipped to <value>`, `ignored`. Examples::

    sensor1: missing (-1) -> interpolated (80.12)
    motor1: not an integer ('abc') rejected
    motor2: missing -> default 0
    DeviceId: out of range (7) rejected
    time: not ISO-8601 ('yesterday') rejected
    motor1: outlier (z=4.2) flagged
    sensor2: out of range (110.5) flagged
    isFail: not a boolean ('maybe') -> default false

Time reasons (never move a record; they feed consistency and timeliness):
`time: out of order (previous <time>) flagged`, `time: clock skew (+75s vs collected_at) flagged`,
`time: late (processed 42s after collection) flagged`,
`time: off interval (gap 15s, expected 10±2s) flagged`, `time: no timezone -> assumed UTC`.
Record-level: `malformed JSON: <parser message>`, `not a JSON object (array)`,
`duplicate of (3, 2024-01-15T14:30:00Z)`, `isFail: failure reported` (alerts),
`<name>: unknown field ignored`, `collected_at: not ISO-8601 (...) ignored`.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fmslab.quality.report import Dimension, FieldStats, QualityReport
    from fmslab.quality.result import QualityResult
    from fmslab.quality.routed import RoutedRecord
    from fmslab.quality.rules import QualityRules, load_rules
    from fmslab.quality.stats import iqr_bounds, zscores
    from fmslab.quality.validator import QualityValidator

# Imported on first use, so `fmslab --help` does not pay for pandas and pydantic.
_LAZY = {
    "Dimension": "report",
    "FieldStats": "report",
    "QualityReport": "report",
    "QualityResult": "result",
    "QualityRules": "rules",
    "load_rules": "rules",
    "iqr_bounds": "stats",
    "zscores": "stats",
    "QualityValidator": "validator",
    "RoutedRecord": "routed",
}

__all__ = [
    "Dimension",
    "FieldStats",
    "QualityReport",
    "QualityResult",
    "QualityRules",
    "QualityValidator",
    "RoutedRecord",
    "check_readings",
    "iqr_bounds",
    "load_rules",
    "zscores",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"fmslab.quality.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'fmslab.quality' has no attribute {name!r}")


def check_readings(
    records: Iterable[Any],
    rules: QualityRules | None = None,
    interval: float | None = None,
    now: datetime | str | None = None,
) -> QualityResult:
    """Run the rules over `records` (dicts or JSON lines) with a fresh validator."""
    from fmslab.quality.validator import QualityValidator

    return QualityValidator(rules, interval).process(records, now=now)
