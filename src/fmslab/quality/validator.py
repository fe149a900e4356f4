"""The pandas-side quality validator: one reading at a time, stateful across calls.

Routing of one record, in this order (the Spark implementation mirrors it):

1. not a JSON object -> quarantine ("malformed JSON: ...", "not a JSON object (array)");
2. every field through `fields.clean_field` (convert, complete, range, outliers);
3. a rejected key field (time, DeviceId) -> quarantine: the reading cannot be tied to a device
   and a time; any other rejected field -> quarantine too, unless isFail is true (step 6);
4. a (DeviceId, time) already accepted -> dropped ("duplicate of (3, 2024-01-15T14:30:00Z)");
5. time checks (order, skew, delay, interval) only add reasons, they never move a record;
6. isFail true -> alerts ("isFail: failure reported"), else processed. A failing reading with
   a rejected field still goes to alerts, carrying that field's reason (its value is null): a
   data-quality problem must never silence a failing machine (docs/architecture.md, routing).

Only records routed to processed or alerts change the validator's memory (outlier windows,
previous valid values, seen keys, previous reading's time); a quarantined or dropped copy
never does.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from fmslab.quality.convert import format_time, is_naive_time, parse_time, show
from fmslab.quality.fields import FieldCheck, clean_field
from fmslab.quality.report import build_report
from fmslab.quality.result import QualityResult
from fmslab.quality.routed import RoutedRecord
from fmslab.quality.rules import QualityRules, TimelinessRules, load_rules
from fmslab.quality.state import DeviceState

_RAW_LIMIT = 1000  # characters of the original input kept for quarantine review
_ID_LIMIT = 200  # characters of an id kept
_JSON_TYPES = {list: "array", str: "string", int: "number", float: "number", bool: "boolean"}


def parse_item(item: Any) -> tuple[dict[str, Any] | None, str | None, str | None]:
    """`(object, raw_text, problem)` for a dict, a JSON text line or bytes."""
    if isinstance(item, dict):
        return item, _raw_text(item), None
    if isinstance(item, bytes | bytearray):
        try:
            item = bytes(item).decode("utf-8")
        except UnicodeDecodeError:
            return None, repr(bytes(item)[:_RAW_LIMIT]), "malformed JSON: not valid UTF-8"
    if not isinstance(item, str):
        return None, _raw_text(item), f"not a JSON object ({type(item).__name__})"
    raw = item[:_RAW_LIMIT]
    if not item.strip():
        return None, raw, "malformed JSON: empty"
    try:
        value = json.loads(item)
    except json.JSONDecodeError as exc:
        return None, raw, f"malformed JSON: {exc.msg} (column {exc.colno})"
    except (ValueError, RecursionError) as exc:  # over-long integers, absurd nesting
        return None, raw, f"malformed JSON: {str(exc)[:80] or type(exc).__name__}"
    if not isinstance(value, dict):
        kind = "null" if value is None else _JSON_TYPES.get(type(value), type(value).__name__)
        return None, raw, f"not a JSON object ({kind})"
    return value, raw, None


def _raw_text(item: Any) -> str:
    try:
        return json.dumps(item, default=str)[:_RAW_LIMIT]
    except (ValueError, RecursionError):
        return repr(item)[:_RAW_LIMIT]


class QualityValidator:
    """Applies the quality rules to readings; remembers per-device state across `process` calls.

    `interval` is the expected seconds between two readings of one device (default: the rules'
    `timeliness.interval_seconds`, 10).
    """

    def __init__(self, rules: QualityRules | None = None, interval: float | None = None) -> None:
        self.rules = rules if rules is not None else load_rules()
        self.interval = float(
            interval if interval is not None else self.rules.timeliness.interval_seconds
        )
        self._devices: dict[int, DeviceState] = {}
        # Looked up per record: resolved once (the rules' properties search the key list).
        self._device_field = self.rules.device_field
        self._time_field = self.rules.time_field

    def reset(self) -> None:
        """Forget every device (windows, previous values, seen keys)."""
        self._devices.clear()

    def process(self, records: Iterable[Any], now: datetime | str | None = None) -> QualityResult:
        """Route every record (dicts or JSON lines) and report on the batch.

        `now` is the processing time for the delay and skew checks; without it they are skipped
        (results then depend on the records alone)."""
        moment = _as_time(now)
        routed = [self.route(i, item, moment) for i, item in enumerate(records)]
        return QualityResult(routed, build_report(routed, self.rules), self.rules)

    def route(self, index: int, item: Any, now: datetime | None = None) -> RoutedRecord:
        """Route one record and, when it is kept, update the device's state."""
        # A dict's text is only needed if it ends in quarantine: made there, not for every record.
        obj, raw, problem = (item, None, None) if isinstance(item, dict) else parse_item(item)
        if obj is None:
            return RoutedRecord(
                index, "quarantine", [problem or "invalid"], {}, raw, malformed=True
            )
        checks, device = self._clean(obj)
        out = RoutedRecord(index, "processed", [], _cleaned(checks), raw, checks)
        out.reasons = [reason for check in checks.values() for reason in check.reasons]
        times: dict[str, datetime] = {}
        out.reasons += self._extras(obj, out.record, times)
        time_check = checks[self._time_field]
        alert_field = self.rules.routing.alert_field
        failing = checks[alert_field].value is True
        rejected = any(check.rejected for check in checks.values())
        if device is None or time_check.rejected or (rejected and not failing):
            out.zone = "quarantine"
            out.raw = raw if raw is not None else _raw_text(obj)
            return out
        when: datetime = time_check.value
        if device.has_seen(when):
            out.zone, out.duplicate = "dropped", True
            out.reasons.insert(0, f"duplicate of ({device_key(out.record, self.rules)})")
            return out
        collected = times.get(self.rules.timeliness.collected_at_field)
        self._time_checks(out, device, when, collected, now)
        if failing:
            out.zone = "alerts"
            out.reasons.append(f"{alert_field}: failure reported")
        self._commit(device, checks, when, collected)
        return out

    def _clean(self, obj: dict[str, Any]) -> tuple[dict[str, FieldCheck], DeviceState | None]:
        rules = self.rules
        device_name = self._device_field
        id_check = clean_field(
            device_name, rules.fields[device_name], obj.get(device_name), None, rules.outliers
        )
        device = (
            None if id_check.rejected or id_check.value is None else self._device(id_check.value)
        )
        checks = {}
        for name, rule in rules.fields.items():
            if name == device_name:
                checks[name] = id_check
                continue
            history = device.history(name) if device is not None and not rule.key else None
            checks[name] = clean_field(name, rule, obj.get(name), history, rules.outliers)
        time_name = self._time_field
        if is_naive_time(obj.get(time_name)):
            checks[time_name].reasons.append(f"{time_name}: no timezone -> assumed UTC")
        return checks, device

    def _device(self, device_id: int) -> DeviceState:
        if device_id not in self._devices:
            self._devices[device_id] = DeviceState(
                self.rules.outliers.window, self.rules.routing.duplicate_memory_per_device
            )
        return self._devices[device_id]

    def _extras(
        self, obj: dict[str, Any], record: dict[str, Any], times: dict[str, datetime]
    ) -> list[str]:
        """Metadata fields are kept (timestamps normalised, parsed ones put in `times`), ids as
        text; unknown ones reported."""
        reasons = []
        for name, raw in obj.items():
            if name in self.rules.fields:
                continue
            if name in self.rules.id_fields:
                record[name] = None if raw is None else str(raw)[:_ID_LIMIT]
                continue
            if name not in self.rules.metadata_fields:
                reasons.append(f"{str(name)[:40]}: unknown field ignored")
                continue
            value, problem = parse_time(raw) if raw is not None else (None, None)
            record[name] = format_time(value) if value is not None else None
            if value is not None:
                times[name] = value
            if problem is not None:
                reasons.append(f"{name}: {problem} ({show(raw)}) ignored")
        return reasons

    def _time_checks(
        self,
        out: RoutedRecord,
        device: DeviceState,
        when: datetime,
        collected: datetime | None,
        now: datetime | None,
    ) -> None:
        disorder, reasons, timely = time_verdict(
            self.rules.timeliness,
            self.interval,
            (device.previous_time, device.previous_collected),
            when,
            collected,
            now,
        )
        out.out_of_order = disorder
        out.reasons += reasons
        out.timely = timely

    def _commit(
        self,
        device: DeviceState,
        checks: dict[str, FieldCheck],
        when: datetime,
        collected: datetime | None,
    ) -> None:
        for name, check in checks.items():
            if name not in device.fields and check.observed is None and not check.good:
                continue
            history = device.history(name)
            if check.observed is not None:
                history.push(check.observed)
            if check.good:
                history.last_valid = check.value
        device.remember(when)
        device.previous_time = when
        device.previous_collected = collected or when


def time_verdict(
    rules: TimelinessRules,
    interval: float,
    previous: tuple[datetime | None, datetime | None],
    when: datetime,
    collected: datetime | None,
    now: datetime | None,
) -> tuple[bool, list[str], bool | None]:
    """`(out_of_order, reasons, timely)` of a kept reading, given the previous kept reading's
    `(time, collected)` of its device; timely is None when no time check applies."""
    previous_time, previous_collected = previous
    reasons = []
    # Order and interval compare with the previous kept reading of the device (not the latest
    # time ever seen), so one skewed reading costs one or two flags, not many.
    disorder = previous_time is not None and when < previous_time
    if disorder:
        reasons.append(f"time: out of order (previous {format_time(previous_time)}) flagged")
    verdicts = []
    reference, ref_name = (collected, "collected_at") if collected else (now, "now")
    if reference is not None:
        skew = (when - reference).total_seconds()
        verdicts.append(abs(skew) <= rules.max_skew_seconds)
        if not verdicts[-1]:
            reasons.append(f"time: clock skew ({skew:+.0f}s vs {ref_name}) flagged")
    if now is not None:
        delay = (now - (collected or when)).total_seconds()
        verdicts.append(delay <= rules.max_processing_seconds)
        if not verdicts[-1]:
            since = "collection" if collected else "reading"
            reasons.append(f"time: late (processed {delay:.0f}s after {since}) flagged")
    if previous_collected is not None:
        gap = ((collected or when) - previous_collected).total_seconds()
        verdicts.append(abs(gap - interval) <= rules.interval_tolerance_seconds)
        if not verdicts[-1]:
            expected = f"{interval:g}±{rules.interval_tolerance_seconds:g}s"
            reasons.append(f"time: off interval (gap {gap:g}s, expected {expected}) flagged")
    return disorder, reasons, (all(verdicts) if verdicts else None)


def device_key(record: dict[str, Any], rules: QualityRules) -> str:
    """`3, 2024-01-15T14:30:00Z`: a record's (DeviceId, time) as text."""
    return f"{record.get(rules.device_field)}, {record.get(rules.time_field)}"


def _cleaned(checks: dict[str, FieldCheck]) -> dict[str, Any]:
    record = {}
    for name, check in checks.items():
        record[name] = (
            format_time(check.value) if isinstance(check.value, datetime) else check.value
        )
    return record


def _as_time(value: datetime | str | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return parse_time(value.isoformat())[0] if isinstance(value, datetime) else None
    parsed, problem = parse_time(value)
    if problem is not None:
        raise ValueError(f"not an ISO-8601 time: {value!r}")
    return parsed
