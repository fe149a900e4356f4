"""The rule engine's column-wise path for plain readings: same verdicts, a fraction of the work.

Most readings a device sends are *plain*: a JSON object with exactly the rule fields (plus the
collector's id and collection time), every number a finite JSON number that rounds into range and
is no "missing" sentinel, `isFail` a boolean, times in the strict `...THH:MM:SS[.ffffff]Z` form. For
such a reading no field is rejected, defaulted or interpolated, so it is kept unless its
(DeviceId, time) was seen (a failing reading with a rejected field is never plain: the engine
routes it, to alerts with its reasons); what remains to decide is stateful: the duplicate check
and the time checks (a cheap loop over the records) and the outlier checks against the window of
the last `outliers.window` observed values, which this module computes for a whole run of
readings at once with numpy (sliding windows, sorted rows for the quartiles, mean and deviation
per row).

Exactness. Quartiles are computed with the same floating-point operations as `stats.quantile`, so
the IQR test is bit for bit the engine's. The z-score here is approximate (numpy sums); every value
that is an outlier by either test or lies within a generous error margin of the z threshold is
checked again by the engine itself (`clean_field` against the exact window), which also writes
its reason. Readings that are not plain, duplicates, the first readings of a device (window not
full yet) and rules this path does not cover (`unsupported_rules`: an outlier action other than
FLAG, a field type or rule setting it has no code for) all go through the per-record engine.
The device's state after a run equals the state the engine would have left; tests compare both
paths record by record and state by state.
"""

from __future__ import annotations

import math
import re
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from pydantic import BaseModel

from fmslab.quality.convert import round_half_up
from fmslab.quality.fields import FieldCheck, clean_field, judged
from fmslab.quality.rules import FieldRule, OutlierRule, QualityRules
from fmslab.quality.state import DeviceState, FieldHistory
from fmslab.quality.stats import OutlierCheck, check_outlier
from fmslab.quality.validator import QualityValidator, time_verdict

_TIME_TEXT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?Z\Z")
_LIMIT = 1e15  # beyond this `round_half_up` leaves a number alone: not plain
_EXACT_INT = 2**53  # a larger JSON integer is not exactly a float


def plain_time(raw: Any) -> datetime | None:
    """The UTC datetime of a strict `YYYY-MM-DDTHH:MM:SS[.ffffff]Z` string, else None."""
    if type(raw) is not str or _TIME_TEXT.match(raw) is None:
        return None
    try:
        return datetime.fromisoformat(raw)
    except ValueError:  # 2024-02-30 and the like: the engine says why
        return None


def _number(raw: Any) -> float:
    """A JSON number as a float (nan when it is not a plain number)."""
    kind = type(raw)
    if kind is float or (kind is int and -_EXACT_INT <= raw <= _EXACT_INT):
        return float(raw)
    return math.nan


def _numbers(column: list[Any]) -> np.ndarray:
    """A column of JSON values as floats (nan where a value is not a plain number)."""
    kinds = set(map(type, column))
    if kinds == {float}:  # the usual column: one C loop
        return np.array(column, dtype=float)
    if kinds <= {float, int} and all(-_EXACT_INT <= v <= _EXACT_INT for v in column):
        return np.array(column, dtype=float)
    return np.fromiter(map(_number, column), dtype=float, count=len(column))


def round_column(values: np.ndarray, rule: FieldRule) -> np.ndarray:
    """`round_half_up` of each finite value as the field's rule asks (nan stays nan)."""
    if rule.type == "int":
        magnitude = np.abs(values)
        whole = np.floor(magnitude)
        # |v| - floor(|v|) is exact below 2**52, so a tie is a tie: half away from zero.
        return np.copysign(whole + (magnitude - whole >= 0.5), values)
    if rule.decimals is None:
        return values
    scale = 10.0**rule.decimals
    rounded = np.round(values * scale) / scale
    # Equal means the value is the double nearest to k / 10**decimals: its shortest text has no
    # more decimals, and `round_half_up` returns it unchanged. The rest go through the engine's.
    for i in np.flatnonzero((rounded != values) & np.isfinite(values)):
        rounded[i] = round_half_up(float(values[i]), rule.decimals)
    return rounded


@dataclass
class PlainBatch:
    """One device's readings of a micro-batch, classified and converted column-wise."""

    plain: np.ndarray  # bool per reading: the column-wise path can route it
    times: list[datetime | None]
    collected: list[datetime | None]
    numbers: dict[str, np.ndarray]  # rounded numbers (nan where there is none)
    usable: dict[str, np.ndarray]  # per field: a present, in-range value (no engine call)


@dataclass
class RunResult:
    """What a run of readings became: all kept, in processed or alerts."""

    count: int
    times: list[datetime]
    collected: list[datetime | None]
    reasons: list[list[str]]
    out_of_order: list[bool]
    timely: list[bool | None]
    values: dict[str, Any] = field(default_factory=dict)  # per field: array or list
    alerts: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    special: dict[int, dict[str, FieldCheck]] = field(default_factory=dict)  # not plain "I0"


class PlainRouter:
    """Routes runs of plain readings for a `QualityValidator` (its rules, interval and state)."""

    def __init__(self, validator: QualityValidator) -> None:
        rules = validator.rules
        self.validator = validator
        self.rules = rules
        self.numeric = [n for n, r in rules.fields.items() if r.type in ("int", "float")]
        self.booleans = [n for n, r in rules.fields.items() if r.type == "bool"]
        self.watched = [n for n in self.numeric if rules.fields[n].outlier is not None]
        self.keys = frozenset(n for n, r in rules.fields.items() if r.key)
        self.collected_field = rules.timeliness.collected_at_field
        # Other metadata fields are parsed and may be reported: the engine's job.
        self.allowed = frozenset(rules.fields) | set(rules.id_fields) | {self.collected_field}
        # Rules this path has no code for: then every reading goes through the record engine.
        self.unsupported = unsupported_rules(rules)

    # --- stateless: which readings are plain -------------------------------------------------

    def classify(self, objects: list[dict[str, Any] | None], device_id: int) -> PlainBatch:
        """Which of one device's parsed readings (None: not an object) are plain."""
        count = len(objects)
        if self.unsupported:
            return _nothing_plain(count)
        shaped = [o if o is not None and self._shaped(o) else None for o in objects]
        plain = np.fromiter((o is not None for o in shaped), dtype=bool, count=count)
        time_field = self.rules.time_field
        times = [None if o is None else plain_time(o[time_field]) for o in shaped]
        collected = [None if o is None else self._collected(o) for o in shaped]
        plain &= np.fromiter((t is not None for t in times), dtype=bool, count=count)
        plain &= np.fromiter((c is not False for c in collected), dtype=bool, count=count)
        numbers, usable = {}, {}
        for name in self.numeric:
            rule = self.rules.fields[name]
            column = [None if o is None else o.get(name) for o in shaped]
            raw = _numbers(column)
            rounded = round_column(raw, rule)
            usable[name], allowed = _number_classes(raw, rounded, column, rule)
            plain &= allowed
            numbers[name] = rounded
        plain &= numbers[self.rules.device_field] == device_id
        for name in self.booleans:
            column = [None if o is None else o.get(name) for o in shaped]
            usable[name] = np.fromiter((type(v) is bool for v in column), dtype=bool, count=count)
            missing = np.fromiter((v is None for v in column), dtype=bool, count=count)
            plain &= usable[name] | (missing & _fills(self.rules.fields[name]))
        return PlainBatch(plain, times, [c or None for c in collected], numbers, usable)

    def _shaped(self, obj: dict[str, Any]) -> bool:
        keys = obj.keys()
        return keys >= self.keys and keys <= self.allowed

    def _collected(self, obj: dict[str, Any]) -> datetime | None | bool:
        """The parsed collection time, None when absent, False when not plain."""
        if self.collected_field not in obj:
            return None
        value = plain_time(obj[self.collected_field])
        return False if value is None else value

    # --- stateful: a run of plain readings ---------------------------------------------------

    def ready(self, device: DeviceState) -> bool:
        """True when the device's outlier windows are full (the run's windows are then fixed
        size) and the rules are ones this path covers."""
        if self.unsupported:
            return False
        names = (*self.numeric, *self.booleans, self.rules.time_field)
        if any(name not in device.fields for name in names):
            return False
        return all(len(device.fields[name].window) == device.window_size for name in self.watched)

    def run(
        self,
        device: DeviceState,
        batch: PlainBatch,
        positions: list[int],
        objects: list[dict[str, Any]],
        now: datetime | None,
    ) -> RunResult:
        """Route the plain readings at `positions` (in order) until the first duplicate; commit
        the device's state. Returns what the leading readings became (possibly none)."""
        result = self._time_checks(device, batch, positions, now)
        if not result.count:
            return result
        taken = np.asarray(positions[: result.count])
        rows = [objects[p] for p in taken]
        for name in self.numeric:
            values, usable = batch.numbers[name][taken], batch.usable[name][taken]
            self._number_field(device, result, name, values, usable, rows)
        for name in self.booleans:
            self._bool_field(device, result, name, batch.usable[name][taken], rows)
        alert = result.values[self.rules.routing.alert_field]
        result.alerts = np.fromiter((v is True for v in alert), dtype=bool, count=result.count)
        device.fields[self.rules.time_field].last_valid = result.times[-1]
        device.previous_time = result.times[-1]
        device.previous_collected = result.collected[-1] or result.times[-1]
        self._reasons(result)
        return result

    def _time_checks(
        self, device: DeviceState, batch: PlainBatch, positions: list[int], now: datetime | None
    ) -> RunResult:
        rules, interval = self.rules.timeliness, self.validator.interval
        previous = (device.previous_time, device.previous_collected)
        result = RunResult(0, [], [], [], [], [])
        for position in positions:
            when = batch.times[position]
            assert when is not None  # a plain reading has a time
            if device.has_seen(when):
                break  # a duplicate: the engine routes it (dropped, with its checks)
            stamp = batch.collected[position]
            disorder, notes, timely = time_verdict(rules, interval, previous, when, stamp, now)
            device.remember(when)
            previous = (when, stamp or when)
            result.times.append(when)
            result.collected.append(stamp)
            result.reasons.append(notes)
            result.out_of_order.append(disorder)
            result.timely.append(timely)
        result.count = len(result.times)
        return result

    def _number_field(
        self,
        device: DeviceState,
        result: RunResult,
        name: str,
        values: np.ndarray,
        usable: np.ndarray,
        rows: list[dict[str, Any]],
    ) -> None:
        """One numeric field of the run: outliers of the present values, the engine's checks of
        the others (out of range, missing), then the field's window and previous valid value."""
        history = device.fields[name]
        observed = np.flatnonzero(usable)
        series = np.concatenate([np.fromiter(history.window, dtype=float), values[observed]])
        flagged = set()
        if name in self.watched:
            for j, check in self._outliers(name, series, values[observed], device.window_size):
                result.special.setdefault(int(observed[j]), {})[name] = check
                flagged.add(int(observed[j]))
        good = usable.copy()
        good[list(flagged)] = False
        cleaned = values.copy()
        last = _LastGood(good, history.last_valid, values, self.rules.fields[name].type == "int")
        for index in np.flatnonzero(~usable):
            stub = FieldHistory(deque(), last.before(index))
            check = clean_field(
                name, self.rules.fields[name], rows[index].get(name), stub, self.rules.outliers
            )
            result.special.setdefault(int(index), {})[name] = check
            cleaned[index] = math.nan if check.value is None else check.value
        result.values[name] = cleaned
        added = series[len(history.window) :].tolist()
        if len(added) < device.window_size // 4:
            for value in added:  # a few values: cheaper than rebuilding the window's sums
                history.push(value)
            history.last_valid = last.before(result.count)
            return
        window = deque(history.window, maxlen=device.window_size)
        window.extend(added)
        device.fields[name] = FieldHistory(window, last.before(result.count))

    def _bool_field(
        self,
        device: DeviceState,
        result: RunResult,
        name: str,
        usable: np.ndarray,
        rows: list[dict[str, Any]],
    ) -> None:
        history = device.fields[name]
        column = [row.get(name) for row in rows]
        last_valid = history.last_valid
        for index, value in enumerate(column):
            if usable[index]:
                last_valid = value
                continue
            stub = FieldHistory(deque(), last_valid)
            check = clean_field(name, self.rules.fields[name], value, stub, self.rules.outliers)
            result.special.setdefault(index, {})[name] = check
            column[index] = check.value
        result.values[name] = column
        history.last_valid = last_valid

    def _outliers(
        self, name: str, series: np.ndarray, values: np.ndarray, size: int
    ) -> list[tuple[int, FieldCheck]]:
        """The outliers among `values` (each against the `size` values before it in `series`),
        with the engine's check of each."""
        rule = self.rules.fields[name]
        assert rule.outlier is not None
        settings, threshold = self.rules.outliers, rule.outlier.zscore
        rows = sliding_window_view(series, size)[: len(values)]
        ordered = np.sort(rows, axis=1)
        low = high = np.full(len(values), np.nan)
        iqr_out = np.zeros(len(values), dtype=bool)
        if size >= settings.iqr_min_count:
            q1, q3 = _quantile(ordered, 0.25), _quantile(ordered, 0.75)
            spread = q3 - q1
            low, high = q1 - settings.iqr_k * spread, q3 + settings.iqr_k * spread
            iqr_out = ~((low <= values) & (values <= high))
        z = np.zeros(len(values))
        z_out = doubtful = np.zeros(len(values), dtype=bool)
        if size >= settings.zscore_min_count:
            z, z_out, doubtful = _zscores(rows, ordered, values, threshold)
        found = []
        for j in np.flatnonzero(iqr_out | z_out | doubtful):
            value = float(values[j])
            if doubtful[j]:  # too close to call with numpy's sums: the exact statistics
                verdict = check_outlier(value, rows[j].tolist(), settings, threshold)
            else:
                bounds = (float(low[j]), float(high[j])) if iqr_out[j] else None
                verdict = OutlierCheck(True, float(z[j]) if z_out[j] else None, bounds)
            if verdict.outlier:
                check = FieldCheck(name, _typed_value(value, rule), present=True)
                check.observed = value
                found.append((int(j), judged(check, rule, verdict, None)))
        return found

    def _reasons(self, result: RunResult) -> None:
        """Each reading's reasons in the engine's order: field checks, time checks, alert."""
        for index, checks in result.special.items():
            fields = [r for n in self.rules.fields if n in checks for r in checks[n].reasons]
            result.reasons[index] = fields + result.reasons[index]
        alert = f"{self.rules.routing.alert_field}: failure reported"
        for index in np.flatnonzero(result.alerts):
            result.reasons[index].append(alert)


def _typed_value(value: float, rule: FieldRule) -> Any:
    return int(value) if rule.type == "int" else value


class _LastGood:
    """The previous valid value a reading of a run sees (the engine's INTERPOLATE source)."""

    def __init__(self, good: np.ndarray, before: Any, values: np.ndarray, is_int: bool) -> None:
        index = np.where(good, np.arange(len(good)), -1)
        self.latest = np.concatenate([[-1], np.maximum.accumulate(index)])
        self.first, self.values, self.is_int = before, values, is_int

    def before(self, position: int) -> Any:
        """The last valid value before `position` (`len(run)`: after the run)."""
        i = int(self.latest[position])
        if i < 0:
            return self.first
        return int(self.values[i]) if self.is_int else float(self.values[i])


def _zscores(
    rows: np.ndarray, ordered: np.ndarray, values: np.ndarray, threshold: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Approximate z-scores, which are outliers, and which are too close to call (near the
    threshold, near a rounding boundary of the one decimal a reason shows, or a tiny spread)."""
    size = rows.shape[1]
    mean = rows.mean(axis=1)
    std = np.sqrt(((rows - mean[:, None]) ** 2).sum(axis=1) / (size - 1))
    flat = ordered[:, 0] == ordered[:, -1]  # exactly zero spread: no z-score at all
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (values - mean) / std
        scale = np.maximum(np.abs(ordered[:, 0]), np.abs(ordered[:, -1])) + np.abs(values)
        margin = 1e-8 * (np.abs(z) + scale / std)
        tenths = np.abs(z) * 10
        near_text = np.abs(tenths - np.floor(tenths) - 0.5) < 1e-6
        z_out = ~flat & (np.abs(z) > threshold)
        doubtful = ~flat & ~(np.abs(np.abs(z) - threshold) > margin)  # nan is doubtful too
    doubtful |= z_out & near_text
    return z, z_out & ~doubtful, doubtful


def _fills(rule: FieldRule) -> bool:
    """Whether a missing value of this field is filled (the reading is kept)."""
    return not rule.key and rule.null_action != "REJECT"


def _number_classes(
    raw: np.ndarray, rounded: np.ndarray, column: list[Any], rule: FieldRule
) -> tuple[np.ndarray, np.ndarray]:
    """`(usable, allowed)`: present in-range values, and every value this path can route (also
    missing ones that are filled and out-of-range ones that are kept)."""
    number = np.isfinite(raw) & (np.abs(raw) < _LIMIT)
    if rule.type == "int" and rule.integral:
        number &= raw == np.floor(raw)
    sentinel = number & np.isin(rounded, rule.missing_values)
    inside = np.ones(len(raw), dtype=bool)
    if rule.range is not None:
        inside = (rule.range[0] <= rounded) & (rounded <= rule.range[1])
    usable = number & ~sentinel & inside
    if rule.key:
        return usable, usable
    absent = np.fromiter((v is None for v in column), dtype=bool, count=len(column))
    kept_outside = number & ~sentinel & ~inside & (rule.range_action != "REJECT")
    filled = (absent | sentinel) & _fills(rule)
    return usable, usable | kept_outside | filled


def _quantile(ordered: np.ndarray, q: float) -> np.ndarray:
    """`stats.quantile` of every sorted row, with the same floating-point operations."""
    position = (ordered.shape[1] - 1) * q
    low = math.floor(position)
    high = min(low + 1, ordered.shape[1] - 1)
    return ordered[:, low] + (position - low) * (ordered[:, high] - ordered[:, low])


# The rule settings this module implements. A setting added to the rule models later (a new kind
# of rule the record engine applies) is unknown here until this module learns it: any rule that
# gives it a value other than its default sends the readings to the record engine.
_KNOWN_SETTINGS = {
    QualityRules: {"version", "fields", "metadata_fields", "id_fields", "outliers"}
    | {"timeliness", "routing", "kpis"},
    FieldRule: {"type", "key", "integral", "decimals", "range", "missing_values", "null_action"}
    | {"type_action", "range_action", "default", "outlier"},
    OutlierRule: {"zscore", "action"},
}


def unsupported_rules(rules: QualityRules) -> list[str]:
    """The rules this path cannot apply exactly (empty: it covers them all).

    Covered: numeric and boolean fields, the reading time as the only timestamp field, FLAG
    outliers (the record and its value stay as they are), and the settings in `_KNOWN_SETTINGS`."""
    found = _unknown_settings(rules, "rules")
    for name, rule in rules.fields.items():
        found += _unknown_settings(rule, name)
        if rule.type == "timestamp" and name != rules.time_field:
            found.append(f"{name}: a timestamp field other than {rules.time_field}")
        elif rule.type not in ("int", "float", "bool", "timestamp"):
            found.append(f"{name}: type {rule.type}")
        if rule.outlier is not None:
            found += _unknown_settings(rule.outlier, f"{name}.outlier")
            if rule.outlier.action != "FLAG":
                found.append(f"{name}: outlier action {rule.outlier.action}")
    return found


def _unknown_settings(model: BaseModel, where: str) -> list[str]:
    known = _KNOWN_SETTINGS[type(model)]
    defaults = type(model).model_fields
    return [
        f"{where}: setting {name}"
        for name in defaults
        if name not in known and getattr(model, name) != defaults[name].get_default()
    ]


def _nothing_plain(count: int) -> PlainBatch:
    return PlainBatch(np.zeros(count, dtype=bool), [None] * count, [None] * count, {}, {})
