"""One routed record: where a reading went, why, and its cleaned values.

Its own module so that the validator (which makes them), the report and the result (which read
them) all import it without importing each other in a circle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fmslab.quality.fields import FieldCheck


@dataclass(slots=True)
class RoutedRecord:
    """One input record, where it went, why, and its cleaned values."""

    index: int
    zone: str
    reasons: list[str]
    record: dict[str, Any]
    raw: str | None = None  # the original input (kept for quarantined records)
    checks: dict[str, FieldCheck] = field(default_factory=dict, repr=False)
    malformed: bool = False
    duplicate: bool = False
    out_of_order: bool = False
    timely: bool | None = None  # None: no time check applied to this record
