"""The quality rules inside Spark: the project's own rule engine, per device, with Spark state.

One rule definition, one implementation. Spark does not re-implement the rules of
`data/quality_rules.yaml` column by column: it runs `fmslab.quality.QualityValidator` (the pandas
rule engine of chapters 3 and 7) inside `applyInPandasWithState`, grouped by DeviceId. The
engine's per-device memory (`DeviceState`: the last 100 observed values of every field for the
IQR / z-score outlier checks, the previous valid value for INTERPOLATE, the previous kept time for
the order and interval checks, the accepted (DeviceId, time) keys for de-duplication) is
serialized into one binary column of Spark's group state (`state_to_bytes`) at the end of every
micro-batch and restored at the start of the next. Both implementations therefore route every
record identically by construction: same zone, same reasons, same cleaned values; the parity test
in tests/pipeline proves it on a crafted dataset.

Speed: long runs of plain readings of a device (well-formed, no type errors, no duplicates) take
the engine's column-wise path, `fmslab.quality.plain`, which gives the same rows and leaves the same
state as routing them one by one (tests/quality/test_plain_path.py compares both on every fault
profile); everything else goes through `QualityValidator.route`.

Order: inside a micro-batch the records of one device are routed in (Kafka timestamp, partition,
offset) order; the collector keys readings by DeviceId, so one device's readings live in one
partition and this is the order they were produced in.

Records whose DeviceId cannot be read (not JSON, not an object, DeviceId missing, not an integer,
out of range) are routed by the same engine with no device state (they are quarantined with the
engine's reason and change nothing): they form the group whose key is null, which keeps no state.

De-duplication horizon. The engine drops a reading whose (DeviceId, time) was already accepted.
Spark state is rewritten every micro-batch, so the seen keys are bounded: the last `key_memory`
accepted times per device (default 8,640: one day at the 10 s cadence, about 70 KB of state per
device). This is the pipeline's watermark-like horizon: a duplicate arriving after more than
`key_memory` newer readings of its device is no longer recognised. `check_readings` keeps
`routing.duplicate_memory_per_device` keys (100,000), so parity holds for any input with fewer
than `key_memory` readings per device between a reading and its duplicate.
"""

from __future__ import annotations

import pickle
from collections import Counter, OrderedDict, deque
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.streaming.state import GroupState, GroupStateTimeout
from pyspark.sql.types import (
    ArrayType,
    BinaryType,
    BooleanType,
    DoubleType,
    IntegerType,
    LongType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

from fmslab.quality.fields import FieldCheck, clean_field
from fmslab.quality.plain import PlainRouter, RunResult
from fmslab.quality.rules import QualityRules, load_rules
from fmslab.quality.state import DeviceState, FieldHistory
from fmslab.quality.validator import QualityValidator, RoutedRecord, parse_item
from fmslab.reading import MOTORS, READING_FIELDS, SENSORS

MIN_RUN = 24  # plain readings in a row that take the column-wise path
DEFAULT_KEY_MEMORY = 8640  # accepted keys remembered per device: 24 h at one reading per 10 s
GROUP = "device_key"
_ID_LIMIT = 200  # characters of a reading_id kept


# The explicit schema of every routed record (the stateful operator's output).
ROUTED_SCHEMA = StructType(
    [
        StructField("reading_id", StringType()),
        StructField("zone", StringType()),
        StructField("reasons", ArrayType(StringType())),
        StructField("time", TimestampType()),
        StructField("DeviceId", IntegerType()),
        *(StructField(name, DoubleType()) for name in SENSORS),
        *(StructField(name, IntegerType()) for name in MOTORS),
        StructField("isFail", BooleanType()),
        StructField("collected_at", TimestampType()),
        StructField("raw", StringType()),  # the original text, kept for quarantined records
        StructField("kafka_partition", IntegerType()),
        StructField("kafka_offset", LongType()),
        StructField("kafka_timestamp", TimestampType()),
        StructField("processed_at", TimestampType()),
        # What the quality report needs of each record (not stored in the reading zones).
        StructField("duplicate", BooleanType()),
        StructField("malformed", BooleanType()),
        StructField("out_of_order", BooleanType()),
        StructField("timely", BooleanType()),
        StructField("checks", StringType()),
    ]
)
STATE_SCHEMA = StructType([StructField("device_state", BinaryType())])
REPORT_COLUMNS = ("duplicate", "malformed", "out_of_order", "timely", "checks")


# --- the per-device state as bytes ----------------------------------------------------------------


def state_to_bytes(device: DeviceState, key_memory: int = DEFAULT_KEY_MEMORY) -> bytes:
    """The engine's memory of one device as compact bytes (seen keys as int64 microseconds)."""
    seen = list(device.seen)[-key_memory:]  # integer microseconds
    payload = {
        "window_size": device.window_size,
        "fields": {n: (list(h.window), h.last_valid) for n, h in device.fields.items()},
        "seen": np.array(seen, dtype=np.int64).tobytes(),
        "previous_time": device.previous_time,
        "previous_collected": device.previous_collected,
    }
    return pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)


def state_from_bytes(blob: bytes, key_memory: int = DEFAULT_KEY_MEMORY) -> DeviceState:
    """A `DeviceState` restored from `state_to_bytes`."""
    payload = pickle.loads(blob)  # noqa: S301 - our own state store, written by state_to_bytes
    size = payload["window_size"]
    device = DeviceState(size, key_memory)
    for name, (window, last_valid) in payload["fields"].items():
        device.fields[name] = FieldHistory(deque(window, maxlen=size), last_valid)
    seen = np.frombuffer(payload["seen"], dtype=np.int64)
    device.seen = OrderedDict.fromkeys(seen.tolist())
    device.previous_time = payload["previous_time"]
    device.previous_collected = payload["previous_collected"]
    return device


# --- which device a raw record belongs to ---------------------------------------------------------


def device_of(value: Any, rules: QualityRules) -> int | None:
    """The DeviceId the rule engine would accept for a raw value, or None (unreadable)."""
    obj, _, problem = parse_item(value)
    return _device_id(obj if problem is None else None, rules)


def with_device_key(df: DataFrame, rules: QualityRules | None = None) -> DataFrame:
    """Kafka rows plus `device_key`: the engine's DeviceId of the value, null when unreadable."""
    from pyspark.sql.functions import pandas_udf

    rules = rules or load_rules()

    @pandas_udf(IntegerType())  # type: ignore[call-overload]
    def device_key(values: pd.Series) -> pd.Series:
        keys = [device_of(v, rules) for v in values]
        return pd.Series(keys, dtype="Int32")

    return df.withColumn(GROUP, device_key(F.col("value")))


# --- routing one device's records -----------------------------------------------------------------


def _text(value: Any) -> Any:
    return bytes(value) if isinstance(value, bytes | bytearray | memoryview) else value


def _reading_id(obj: dict[str, Any] | None) -> str | None:
    value = obj.get("reading_id") if obj is not None else None
    return None if value is None else str(value)[:_ID_LIMIT]


_ACTIONS = (None, "interpolated", "defaulted", "nulled", "clipped", "flagged", "rejected")
_ACTION_CODE = {action: str(code) for code, action in enumerate(_ACTIONS)}


def _check_code(check: FieldCheck) -> str:
    bits = (
        check.present
        | check.sentinel << 1
        | check.type_error << 2
        | check.in_range << 3
        | check.outlier << 4
    )
    return chr(64 + bits) + _ACTION_CODE[check.action]


def _checks_text(checks: dict[str, FieldCheck]) -> str:
    """The counters of every field check as `name=<flags><action>,...` (flags: one character
    holding present, sentinel, type_error, in_range, outlier as bits from "@"; action: its
    index)."""
    return ",".join(f"{name}={_check_code(check)}" for name, check in checks.items())


def checks_from_text(text: str | None) -> dict[str, FieldCheck]:
    """The field checks of a routed row (the counters the quality report needs)."""
    checks = {}
    for item in text.split(",") if text else ():
        name, _, code = item.rpartition("=")
        bits = ord(code[0]) - 64
        check = FieldCheck(name)
        check.present, check.sentinel, check.type_error = (
            bool(bits & 1),
            bool(bits & 2),
            bool(bits & 4),
        )
        check.in_range, check.outlier = bool(bits & 8), bool(bits & 16)
        check.action = _ACTIONS[int(code[1:])]
        checks[name] = check
    return checks


_SOURCE_COLUMNS = ("kafka_partition", "kafka_offset", "kafka_timestamp")
_RECORD_COLUMNS = (*READING_FIELDS, "collected_at")


def _append(columns: dict[str, list], rec: RoutedRecord, reading_id: str | None) -> None:
    """Add one routed record to the column lists of ROUTED_SCHEMA (source columns excepted)."""
    record = rec.record
    columns["reading_id"].append(reading_id)
    columns["zone"].append(rec.zone)
    columns["reasons"].append(list(rec.reasons))
    for name in _RECORD_COLUMNS:
        columns[name].append(record.get(name))
    columns["raw"].append(rec.raw if rec.zone == "quarantine" else None)
    columns["duplicate"].append(rec.duplicate)
    columns["malformed"].append(rec.malformed)
    columns["out_of_order"].append(rec.out_of_order)
    columns["timely"].append(rec.timely)
    columns["checks"].append(_checks_text(rec.checks))


def routed_frame(columns: dict[str, list], *, source: bool = True) -> pd.DataFrame:
    """Routed columns (lists by name) as a frame with ROUTED_SCHEMA's columns and types
    (without the Kafka source and processing-time columns when `source` is False)."""
    names = [f.name for f in ROUTED_SCHEMA.fields if source or f.name not in _ADDED_COLUMNS]
    return _typed(pd.DataFrame({name: columns[name] for name in names}))


_ADDED_COLUMNS = ("kafka_partition", "kafka_offset", "kafka_timestamp", "processed_at")


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """The column types of ROUTED_SCHEMA, for the columns the frame has."""
    for name in ("reading_id", "zone", "raw", "checks"):
        frame[name] = frame[name].astype("str")  # the same whether some or none are missing
    for name in ("time", "collected_at", "kafka_timestamp", "processed_at"):
        if name in frame.columns:
            frame[name] = pd.to_datetime(frame[name], utc=True, format="ISO8601")
    for name in ("DeviceId", *MOTORS, "kafka_partition"):
        if name in frame.columns:
            frame[name] = frame[name].astype("Int32")
    if "kafka_offset" in frame.columns:
        frame["kafka_offset"] = frame["kafka_offset"].astype("Int64")
    for name in SENSORS:
        frame[name] = frame[name].astype("float64")
    for name in ("isFail", "duplicate", "malformed", "out_of_order", "timely"):
        frame[name] = frame[name].astype("boolean")
    return frame


def route_records(
    validator: QualityValidator,
    records: pd.DataFrame,
    now: datetime | None,
    *,
    plain: bool = True,
) -> pd.DataFrame:
    """Route Kafka rows (value, partition, offset, timestamp) through the engine, in order.

    Each device's records are routed in (timestamp, partition, offset) order; devices are
    independent, so they are routed one after the other. With `plain` (the default) runs of
    plain readings take the engine's column-wise path (`fmslab.quality.plain`); False routes
    every record one at a time. Both give the same rows and leave the same state."""
    ordered = records.sort_values(["timestamp", "partition", "offset"], kind="stable")
    values = [_text(v) for v in ordered["value"].tolist()]
    parsed = [parse_item(v) for v in values]
    router = _Router(validator, values, parsed, now, plain)
    for device_id, positions in _by_device(parsed, validator.rules).items():
        router.device(device_id, positions)
    frame = router.frame()
    taken = router.positions
    frame["kafka_partition"] = ordered["partition"].to_numpy().take(taken)
    frame["kafka_partition"] = frame["kafka_partition"].astype("Int32")
    frame["kafka_offset"] = pd.array(ordered["offset"].to_numpy().take(taken), "Int64")
    stamps = pd.to_datetime(ordered["timestamp"], utc=True)
    frame["kafka_timestamp"] = stamps.iloc[taken].reset_index(drop=True)
    frame["processed_at"] = pd.Timestamp(now or datetime.now(UTC)).tz_convert(UTC)
    order = np.argsort(taken, kind="stable")
    return frame.take(order).reset_index(drop=True)[list(ROUTED_SCHEMA.fieldNames())]


_RUN_COLUMNS = (
    "checks",
    "reading_id",
    "zone",
    "reasons",
    "time",
    "collected_at",
    "out_of_order",
    "timely",
)


def _run_values(parts: list[np.ndarray], kind: str) -> Any:
    """One field's values over every run (numbers: nan where the engine left none)."""
    joined = np.concatenate(parts) if parts else np.zeros(0, dtype=object)
    if kind == "float":
        return joined.astype("float64")
    if kind == "int":
        return pd.array(joined.astype("float64"), dtype="Float64").astype("Int32")
    return pd.array([None if v is None else bool(v) for v in joined], dtype="boolean")


def _device_id(obj: dict[str, Any] | None, rules: QualityRules) -> int | None:
    """The engine's DeviceId of a parsed record, None when it has none it would accept."""
    if obj is None:
        return None
    name = rules.device_field
    rule, raw = rules.fields[name], obj.get(name)
    # The common case, an in-range JSON integer: clean_field would return it as it is.
    inside = type(raw) is int and rule.range and rule.range[0] <= raw <= rule.range[1]
    if inside and raw not in rule.missing_values:
        return raw
    check = clean_field(name, rule, raw, None, rules.outliers)
    return None if check.rejected or check.value is None else int(check.value)


def _by_device(parsed: list[tuple], rules: QualityRules) -> dict[int | None, list[int]]:
    groups: dict[int | None, list[int]] = {}
    for position, (obj, _, problem) in enumerate(parsed):
        key = _device_id(obj if problem is None else None, rules)
        groups.setdefault(key, []).append(position)
    return groups


class _Router:
    """Routes one batch's records device by device and gathers the routed columns: the
    per-record engine's rows and the plain path's runs, each with their batch positions."""

    def __init__(
        self,
        validator: QualityValidator,
        values: list[Any],
        parsed: list[tuple],
        now: datetime | None,
        plain: bool,
    ) -> None:
        self.validator, self.values, self.parsed, self.now = validator, values, parsed, now
        self.plain = PlainRouter(validator) if plain else None
        self.columns: dict[str, list] = {f.name: [] for f in ROUTED_SCHEMA.fields}
        self.exact_positions: list[int] = []
        self.runs: list[tuple[RunResult, list[int]]] = []

    def device(self, device_id: int | None, positions: list[int]) -> None:
        """Route one device's records (in batch order)."""
        if device_id is None or self.plain is None:
            for position in positions:
                self.exact(position)
            return
        objects = [self.parsed[p][0] if self.parsed[p][2] is None else None for p in positions]
        batch = self.plain.classify(objects, device_id)
        # Where each run of plain readings ends: the next reading that is not plain.
        stops = np.flatnonzero(~batch.plain).tolist() + [len(positions)]
        index = 0
        while index < len(positions):
            state = self.validator._devices.get(device_id)
            stop = next(s for s in stops if s > index)
            # A short run costs more in numpy calls than the engine takes for its records.
            long_run = stop - index >= MIN_RUN
            if long_run and batch.plain[index] and state is not None and self.plain.ready(state):
                run = self.plain.run(state, batch, list(range(index, stop)), objects, self.now)
                if run.count:
                    self.runs.append((run, positions[index : index + run.count]))
                    index += run.count
                    continue
            self.exact(positions[index])  # not plain, a duplicate, or a young device
            index += 1

    def exact(self, position: int) -> None:
        """Route one record with the per-record engine."""
        value = self.values[position]
        obj, _, problem = self.parsed[position]
        # A parsed object goes in as a dict (no second JSON parse); the raw text is kept here.
        rec = self.validator.route(position, obj if problem is None else value, self.now)
        if problem is None and rec.zone == "quarantine":
            rec.raw = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
        _append(self.columns, rec, _reading_id(obj))
        self.exact_positions.append(position)

    @property
    def positions(self) -> np.ndarray:
        """The batch position of every row of `frame()`, in its order."""
        runs = [np.asarray(p, dtype=np.int64) for _, p in self.runs]
        return np.concatenate([np.asarray(self.exact_positions, dtype=np.int64), *runs])

    def frame(self) -> pd.DataFrame:
        """The routed rows without their source columns: engine rows first, then the runs."""
        frames = []
        if self.exact_positions or not self.runs:
            frames.append(routed_frame(self.columns, source=False))
        if self.runs:
            frames.append(self._runs_frame())
        return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]

    def _runs_frame(self) -> pd.DataFrame:
        """Every run's rows as one frame (ROUTED_SCHEMA's types, no source columns)."""
        rules = self.validator.rules
        base = {name: FieldCheck(name, present=True) for name in rules.fields}
        items = [f"{name}={_check_code(check)}" for name, check in base.items()]
        where = {name: i for i, name in enumerate(base)}
        plain_text = ",".join(items)
        columns: dict[str, list] = {name: [] for name in _RUN_COLUMNS}
        values: dict[str, list] = {name: [] for name in rules.fields if name != rules.time_field}
        for run, positions in self.runs:
            checks = [plain_text] * run.count
            for index, special in run.special.items():
                text = items.copy()
                for name, check in special.items():
                    text[where[name]] = f"{name}={_check_code(check)}"
                checks[index] = ",".join(text)
            columns["checks"] += checks
            columns["reading_id"] += [_reading_id(self.parsed[p][0]) for p in positions]
            columns["zone"] += np.where(run.alerts, "alerts", "processed").tolist()
            columns["reasons"] += run.reasons
            columns["time"] += run.times
            columns["collected_at"] += run.collected
            columns["out_of_order"] += run.out_of_order
            columns["timely"] += run.timely
            for name, column in values.items():
                column.append(np.asarray(run.values[name], dtype=object))
        count = len(columns["checks"])
        frame = pd.DataFrame(
            {
                **{name: columns[name] for name in ("reading_id", "zone", "reasons")},
                "time": pd.to_datetime(columns["time"], utc=True),
                **{
                    name: _run_values(column, rules.fields[name].type)
                    for name, column in values.items()
                },
                "collected_at": pd.to_datetime(columns["collected_at"], utc=True),
                "raw": [None] * count,
                "duplicate": np.zeros(count, dtype=bool),
                "malformed": np.zeros(count, dtype=bool),
                **{name: columns[name] for name in ("out_of_order", "timely", "checks")},
            }
        )
        return _typed(frame)


def device_router(
    rules: QualityRules | None = None,
    *,
    key_memory: int = DEFAULT_KEY_MEMORY,
    check_delay: bool = True,
) -> Callable[[tuple, Iterator[pd.DataFrame], GroupState], Iterator[pd.DataFrame]]:
    """The function `applyInPandasWithState` runs for one device per micro-batch.

    It restores the device's engine state from Spark's group state, routes the batch's records,
    and stores the new state. With `check_delay` the processing-time checks (late, clock skew
    without collected_at) use the wall clock; without, they are skipped, as in `check_readings`
    without `now`.
    """
    rules = rules or load_rules()
    routing = rules.routing.model_copy(update={"duplicate_memory_per_device": key_memory})
    bounded = rules.model_copy(update={"routing": routing})

    def route(
        key: tuple, batches: Iterator[pd.DataFrame], state: GroupState
    ) -> Iterator[pd.DataFrame]:
        records = pd.concat(list(batches), ignore_index=True)
        validator = QualityValidator(bounded)
        # The null group (unreadable DeviceId) arrives as None or NaN; it keeps no state.
        device_id = None if pd.isna(key[0]) else int(key[0])
        if device_id is not None and state.exists:
            # The engine keeps its devices in a private dict; restoring one is this module's job.
            validator._devices[device_id] = state_from_bytes(state.get[0], key_memory)
        now = datetime.now(UTC) if check_delay else None
        frame = route_records(validator, records, now)
        if device_id is not None and device_id in validator._devices:
            blob = state_to_bytes(validator._devices[device_id], key_memory)
            state.update((blob,))
        yield frame

    return route


def route_stream(
    raw: DataFrame,
    rules: QualityRules | None = None,
    *,
    key_memory: int = DEFAULT_KEY_MEMORY,
    check_delay: bool = True,
) -> DataFrame:
    """Kafka rows of fms-raw-data -> one routed row per record (ROUTED_SCHEMA), none lost."""
    rules = rules or load_rules()
    keyed = with_device_key(raw.select("value", "partition", "offset", "timestamp"), rules)
    return keyed.groupBy(GROUP).applyInPandasWithState(
        device_router(rules, key_memory=key_memory, check_delay=check_delay),
        ROUTED_SCHEMA,
        STATE_SCHEMA,
        "append",
        GroupStateTimeout.NoTimeout,
    )


# --- the quality report of a micro-batch ----------------------------------------------------------


def _flag(value: Any) -> bool | None:
    return None if value is None or value is pd.NA else bool(value)


def batch_report(frame: pd.DataFrame, rules: QualityRules | None = None) -> Any:
    """The engine's `QualityReport` of a micro-batch, from its routed rows.

    The report is built by `fmslab.quality.report.build_report` from the same per-record checks
    the engine made, so it equals `check_readings`' report over the same records."""
    from fmslab.quality.report import build_report

    rules = rules or load_rules()
    # The report only counts: rows with the same zone, check codes and flags are one record
    # repeated, so each distinct combination is built (and its codes decoded) once, with its count.
    columns = ("zone", "checks", "malformed", "duplicate", "out_of_order", "timely")
    kinds = Counter(zip(*(frame[name] for name in columns), strict=True))
    routed: list[RoutedRecord] = []
    for zone, checks, malformed, duplicate, disorder, timely in kinds:
        record = RoutedRecord(
            0,
            zone,
            [],
            {},
            checks=checks_from_text(checks if isinstance(checks, str) else None),
            malformed=bool(_flag(malformed)),
            duplicate=bool(_flag(duplicate)),
            out_of_order=bool(_flag(disorder)),
            timely=_flag(timely),
        )
        routed.append(record)
    return build_report(routed, rules, list(kinds.values()))
