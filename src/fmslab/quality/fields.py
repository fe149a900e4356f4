"""One field of one reading through the rules: convert, complete, range-check, outlier-check.

The order is fixed and mirrors what a Spark implementation does column by column:
missing (absent, null, or a `missing_values` sentinel) -> null_action;
unconvertible -> type_action; outside `range` -> range_action (the value is then neither
outlier-checked nor added to the window); else the outlier check against the device's window
-> the outlier action. Only the reason strings and counters of `FieldCheck` leave this module.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from fmslab.quality.convert import parse_time, round_half_up, show, to_bool, to_float, to_int
from fmslab.quality.rules import FieldRule, OutlierSettings
from fmslab.quality.state import FieldHistory
from fmslab.quality.stats import OutlierCheck, is_outlier, outlier_against


@dataclass(slots=True)
class FieldCheck:
    """The cleaned value of one field and what happened to it."""

    name: str
    value: Any = None
    reasons: list[str] = field(default_factory=list)
    present: bool = False  # a non-null value arrived (completeness)
    sentinel: bool = False  # it was a "missing" sentinel such as -1
    type_error: bool = False
    in_range: bool = True
    outlier: bool = False
    action: str | None = None  # interpolated, defaulted, nulled, clipped, flagged, rejected
    observed: float | None = None  # enters the outlier window when the record is kept
    good: bool = False  # becomes the device's "previous valid value" when the record is kept

    @property
    def rejected(self) -> bool:
        """True when this field sends the record to quarantine."""
        return self.action == "rejected"

    @property
    def accurate(self) -> bool:
        """A present value of the right type and in range (accuracy)."""
        return self.present and not self.type_error and self.in_range


def convert(rule: FieldRule, raw: Any) -> tuple[Any, str | None]:
    """Convert a raw JSON value to the field's type: `(value, problem)`."""
    if rule.type == "float":
        return to_float(raw, rule.decimals)
    if rule.type == "int":
        value, problem = to_int(raw, rule.integral)
        return value, ("not an integer" if problem == "not a number" else problem)
    if rule.type == "bool":
        return to_bool(raw)
    return parse_time(raw)


def coerce(rule: FieldRule, value: float) -> Any:
    """Bring a computed number (a clip limit) back to the field's type and precision."""
    if rule.type == "int":
        return int(round_half_up(value, 0))
    return round_half_up(value, rule.decimals) if rule.decimals is not None else value


def clean_field(
    name: str,
    rule: FieldRule,
    raw: Any,
    history: FieldHistory | None,
    outliers: OutlierSettings,
) -> FieldCheck:
    """Apply the rules of one field to its raw value (`raw` is None when absent or null)."""
    kind = type(raw)  # exact types: a bool is no number here
    if (kind is float or kind is int) and rule.type in _NUMERIC:
        plain = _plain_number(name, rule, raw, history, outliers)
        if plain is not None:
            return plain
    elif kind is bool and rule.type == "bool":
        return FieldCheck(name, raw, present=True, good=True)
    check = FieldCheck(name)
    if raw is None:
        return _fill(check, rule, rule.null_action, f"{name}: missing", history)
    value, problem = convert(rule, raw)
    if problem is not None:
        check.present = check.type_error = True
        return _fill(check, rule, rule.type_action, f"{name}: {problem} ({show(raw)})", history)
    if rule.type in ("int", "float") and value in rule.missing_values:
        check.sentinel = True
        return _fill(check, rule, rule.null_action, f"{name}: missing ({show(raw)})", history)
    check.present = True
    check.value = value
    if rule.range is not None and not rule.range[0] <= value <= rule.range[1]:
        check.in_range = False
        limit = min(max(value, rule.range[0]), rule.range[1])
        return _act(
            check, rule, rule.range_action, f"{name}: out of range ({show(raw)})", limit, history
        )
    if rule.type in ("int", "float"):
        check.observed = float(value)
    return _outlier(check, rule, history, outliers)


_NUMERIC = ("int", "float")


def _plain_number(
    name: str,
    rule: FieldRule,
    raw: float,
    history: FieldHistory | None,
    outliers: OutlierSettings,
) -> FieldCheck | None:
    """The common case in one step: a JSON number that converts cleanly and is neither a
    sentinel, out of range nor an outlier. None sends it down the full path (same result)."""
    if type(raw) is int and abs(raw) > _HUGE:  # float() would overflow: the full path says so
        return None
    value: float = float(raw)
    if not math.isfinite(value):
        return None
    if rule.type == "float":
        if rule.decimals is not None:
            value = round_half_up(value, rule.decimals)
    elif rule.integral and not value.is_integer():
        return None
    else:
        value = int(round_half_up(value, 0))
    bounds = rule.range
    if value in rule.missing_values or (bounds is not None and not bounds[0] <= value <= bounds[1]):
        return None
    if (
        rule.outlier is not None
        and history is not None
        and is_outlier(value, history.ordered, history.sums, outliers, rule.outlier.zscore)
    ):
        return None
    return FieldCheck(name, value, present=True, observed=float(value), good=True)


_HUGE = 2**1023


def _outlier(
    check: FieldCheck, rule: FieldRule, history: FieldHistory | None, outliers: OutlierSettings
) -> FieldCheck:
    if rule.outlier is None or history is None:
        check.good = True
        return check
    verdict = outlier_against(
        check.value, history.ordered, history.sums, outliers, rule.outlier.zscore
    )
    return judged(check, rule, verdict, history)


def judged(
    check: FieldCheck, rule: FieldRule, verdict: OutlierCheck, history: FieldHistory | None
) -> FieldCheck:
    """A present, in-range value's check once its outlier verdict is known."""
    if not verdict.outlier or rule.outlier is None:
        check.good = True
        return check
    check.outlier = True
    prefix = f"{check.name}: outlier ({verdict.evidence})"
    return _act(check, rule, rule.outlier.action, prefix, verdict.clip_to, history)


def _act(
    check: FieldCheck,
    rule: FieldRule,
    action: str,
    prefix: str,
    clip_to: float | None,
    history: FieldHistory | None,
) -> FieldCheck:
    """FLAG keeps the value, CLIP moves it to the limit; the others act as on a missing value."""
    if action == "FLAG":
        check.action = "flagged"
        check.reasons.append(f"{prefix} flagged")
        return check
    if action == "CLIP" and clip_to is not None:
        check.value = coerce(rule, clip_to)
        check.action = "clipped"
        check.reasons.append(f"{prefix} -> clipped to {show(check.value)}")
        return check
    return _fill(check, rule, action, prefix, history)


def _fill(
    check: FieldCheck, rule: FieldRule, action: str, prefix: str, history: FieldHistory | None
) -> FieldCheck:
    """REJECT, DEFAULT or INTERPOLATE (previous valid value of the same device, else null)."""
    if action == "DEFAULT":
        check.value, check.action = rule.default, "defaulted"
        check.reasons.append(f"{prefix} -> default {show(rule.default)}")
    elif action == "INTERPOLATE" and history is not None and history.last_valid is not None:
        check.value, check.action = history.last_valid, "interpolated"
        check.reasons.append(f"{prefix} -> interpolated ({show(check.value)})")
    elif action == "INTERPOLATE":
        check.value, check.action = None, "nulled"
        check.reasons.append(f"{prefix} -> null (no previous value)")
    else:
        check.value, check.action = None, "rejected"
        check.reasons.append(f"{prefix} rejected")
    return check
