"""Idempotent writes of one micro-batch: lake files named by (query, batch id), Kafka topics.

Exactly once into the lake = replayable offsets + Spark's checkpoint + idempotent writes. Spark
writes a batch's offset range to the checkpoint before running it and its commit file after
`foreachBatch` returns; a batch that ran but was not committed (a crash, a stop in between) is run
again after a restart with the same offsets and the same state version, so it routes the same
records the same way. Every lake file a batch writes is named after the query's checkpoint and the
batch id, `part-<query>-b<batch>.snappy.parquet` inside its Hive partition, and is written with
overwrite (upload under a hidden name, then an atomic rename): a replayed batch replaces its own
files and never adds a second copy. Aggregates are a per-(device, hour) view recomputed from the
lake's files (see `aggregates`; the inputs of files already read come from memory, and a batch's
own files are always read again), so they converge too.

The Kafka outputs (fms-processed-data, fms-alerts, fms-quality-metrics) are at least once: a
replayed batch sends its messages again (consumers de-duplicate on reading_id / batch_id).
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame

from fmslab.lake.layout import PARQUET_SUFFIX
from fmslab.lake.records import write_records
from fmslab.lake.storage import Lake
from fmslab.lake.zones import READING_ZONES
from fmslab.reading import READING_FIELDS
from fmslab.streaming.aggregates import (
    ACCEPTED_ZONES,
    WindowInputCache,
    device_hours,
    refresh_aggregates,
)


def query_token(checkpoint_dir: str | Path) -> str:
    """A short, stable name for the query that owns a checkpoint (8 hex digits of its path)."""
    text = str(Path(checkpoint_dir).expanduser().resolve())
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]


def batch_file_name(token: str, batch_id: int, suffix: str = "") -> str:
    """`part-<query>-b<batch>[-<suffix>].snappy.parquet`: the same name when a batch is replayed."""
    tail = f"-{suffix}" if suffix else ""
    return f"part-{token}-b{batch_id:09d}{tail}{PARQUET_SUFFIX}"


# --- one micro-batch -----------------------------------------------------------------------------

STORED_COLUMNS = (
    "reading_id",
    "reasons",
    *READING_FIELDS,
    "collected_at",
    "kafka_partition",
    "kafka_offset",
    "kafka_timestamp",
    "processed_at",
    "batch_id",
)
PROCESSED_TOPIC = "fms-processed-data"
ALERTS_TOPIC = "fms-alerts"
QUALITY_TOPIC = "fms-quality-metrics"


TIME_COLUMNS = ("time", "collected_at", "kafka_timestamp", "processed_at")


def utc_times(frame: pd.DataFrame) -> pd.DataFrame:
    """Timestamps as timezone-aware UTC (`toPandas` gives naive values in the session's UTC)."""
    # assign() makes a new frame that shares the other columns' data (no deep copy).
    return frame.assign(
        **{
            name: pd.to_datetime(frame[name], utc=True)
            for name in TIME_COLUMNS
            if name in frame.columns
        }
    )


def zone_rows(frame: pd.DataFrame, zone: str) -> pd.DataFrame:
    """The rows of one reading zone with the columns stored there (quarantine keeps `raw`)."""
    columns = [*STORED_COLUMNS, "raw"] if zone == "quarantine" else list(STORED_COLUMNS)
    return frame.loc[frame["zone"] == zone, columns].reset_index(drop=True)


def report_row(report: Any, frame: pd.DataFrame, batch_id: int, token: str) -> pd.DataFrame:
    """One quality-zone row: the batch's four dimensions, score and counts.

    `window_start` / `window_end` are the first and last Kafka timestamps of the batch (not the
    wall clock), so a replayed batch lands in the same partition under the same name."""
    stamps = pd.to_datetime(frame["kafka_timestamp"], utc=True)
    row: dict[str, Any] = {
        "query": token,
        "batch_id": batch_id,
        "window_start": stamps.min(),
        "window_end": stamps.max(),
        "processed_at": pd.Timestamp.now(tz="UTC"),
        "records": report.records,
        "score": report.score,
        "passed": report.passed,
        "alert": report.alert,
    }
    for name, dim in report.dimensions.items():
        row[name] = dim.value
        row[f"{name}_passed"] = dim.passed
    for zone, count in report.zone_counts.items():
        row[f"{zone}_count"] = count
    for name in ("duplicates", "malformed", "out_of_order"):
        row[name] = report.extra.get(name, 0)
    row["report_json"] = json.dumps(report.to_dict(), default=str)
    return pd.DataFrame([row])


def alert_events(frame: pd.DataFrame, report: Any, batch_id: int) -> list[dict[str, Any]]:
    """Alert events of a batch: every failure reading (HIGH), and a low quality score."""
    events = []
    for row in zone_rows(frame, "alerts").itertuples(index=False):
        events.append(
            {
                "type": "device_failure",
                "severity": "HIGH",
                "DeviceId": int(row.DeviceId),
                "time": _iso(row.time),
                "reading_id": row.reading_id,
                "reasons": list(row.reasons),
                "batch_id": batch_id,
            }
        )
    if report.alert:
        events.append(
            {
                "type": "quality_score",
                "severity": "WARNING",
                "score": report.score,
                "threshold": report.alert_below,
                "batch_id": batch_id,
            }
        )
    return events


def _iso(value: Any) -> str | None:
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    return pd.Timestamp(value).strftime("%Y-%m-%dT%H:%M:%S.%fZ").replace(".000000Z", "Z")


MESSAGE_COLUMNS = tuple(name for name in STORED_COLUMNS if name != "batch_id")


def iso_texts(values: pd.Series) -> list[str | None]:
    """`_iso` of every value, vectorised: ISO 8601 UTC with microseconds (none when whole)."""
    when = pd.to_datetime(values, utc=True)
    texts = np.datetime_as_string(when.dt.tz_localize(None).to_numpy("datetime64[us]"), unit="us")
    missing = when.isna().to_numpy()
    return [
        None if gone else (text[:-7] + "Z" if text.endswith(".000000") else text + "Z")
        for text, gone in zip(texts.tolist(), missing.tolist(), strict=True)
    ]


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def _column_values(column: pd.Series) -> list[Any]:
    """A column as JSON-ready Python values: missing (None, NaN, NA) as None."""
    values = column.tolist()  # numeric columns: Python scalars already
    if column.dtype == object:
        values = [_plain(v) for v in values]  # numpy scalars stored in an object column
    missing = column.isna().to_numpy()
    if missing.any():
        values = [None if gone else v for v, gone in zip(values, missing.tolist(), strict=True)]
    return values


def reading_messages(rows: pd.DataFrame) -> list[dict[str, Any]]:
    """The processed readings of `rows` as the JSON objects sent to fms-processed-data.

    Built column by column (one pass per column, not per row and field)."""
    columns: list[list[Any]] = []
    for name in MESSAGE_COLUMNS:
        if name in TIME_COLUMNS:
            columns.append(iso_texts(rows[name]))
        elif name == "reasons":
            columns.append([list(reasons) for reasons in rows[name]])
        else:
            columns.append(_column_values(rows[name]))
    return [
        dict(zip(MESSAGE_COLUMNS, values, strict=True)) for values in zip(*columns, strict=True)
    ]


@dataclass
class BatchStats:
    """What the sink has written since it started (driver side)."""

    batches: int = 0
    records: int = 0
    zones: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ZONE_COUNTS, 0))
    files: int = 0
    route_seconds: float = 0.0  # reading the batch and routing it (the collect runs the query)
    write_seconds: float = 0.0  # lake zones, aggregates, report, topics
    # Seconds per step of the write (zones, aggregates, report, publish), summed over batches.
    step_seconds: dict[str, float] = field(default_factory=dict)
    last_report: dict[str, Any] | None = None

    def timed(self, step: str, since: float) -> float:
        """Add the time since `since` to `step`; returns now (the next step's start)."""
        now = time.perf_counter()
        self.step_seconds[step] = self.step_seconds.get(step, 0.0) + now - since
        return now


ZONE_COUNTS = ("processed", "alerts", "quarantine", "dropped")


class BatchWriter:
    """The `foreachBatch` function: lake zones, aggregates, quality report, Kafka topics."""

    def __init__(
        self,
        lake: Lake,
        token: str,
        *,
        bootstrap: str | None = None,
        rules: Any = None,
        producer_options: dict[str, Any] | None = None,
    ) -> None:
        from fmslab.quality.rules import load_rules

        self.lake = lake
        self.token = token
        self.bootstrap = bootstrap
        self.rules = rules or load_rules()
        self.stats = BatchStats()
        self.producer_options = dict(producer_options or {})  # librdkafka settings
        self._producer: Any = None
        self._window_inputs = WindowInputCache()  # the aggregates' inputs, file by file
        self.metrics: Any = None  # a StreamMetrics told about every written batch (optional)

    def __call__(self, batch: DataFrame, batch_id: int) -> None:
        # One collect: every use below reads this frame, so the stateful operator runs once.
        started = time.perf_counter()
        frame = batch.toPandas()
        routed = time.perf_counter()
        self.stats.route_seconds += routed - started
        if frame.empty:
            return
        self.write(frame, batch_id)
        self.stats.write_seconds += time.perf_counter() - routed

    def write(self, frame: pd.DataFrame, batch_id: int) -> None:
        """Write one routed micro-batch everywhere it goes."""
        from fmslab.streaming.processing import batch_report

        step = time.perf_counter()
        frame = utc_times(frame).assign(batch_id=batch_id)
        name = batch_file_name(self.token, batch_id)
        files = 0
        # Before the writes: a file this batch (re)writes must never be taken from memory.
        self._window_inputs.forget(name)
        for zone in READING_ZONES:
            rows = zone_rows(frame, zone)
            files += len(write_records(self.lake, zone, rows, name))
            if zone in ACCEPTED_ZONES:  # the aggregates take them from memory, not the lake
                self._window_inputs.remember(self.lake, zone, rows, name)
        step = self.stats.timed("zones", step)
        accepted = frame[frame["zone"].isin(("processed", "alerts"))]
        files += len(refresh_aggregates(self.lake, device_hours(accepted), self._window_inputs))
        step = self.stats.timed("aggregates", step)
        report = batch_report(frame, self.rules)
        files += len(
            write_records(
                self.lake, "quality", report_row(report, frame, batch_id, self.token), name
            )
        )
        step = self.stats.timed("report", step)
        if self.bootstrap:
            self._publish(frame, report, batch_id)
            self.stats.timed("publish", step)
        self._count(frame, report, files)
        if self.metrics is not None:  # fmslab.monitoring.stream_metrics.StreamMetrics
            events = alert_events(frame, report, batch_id) if self.bootstrap else []
            self.metrics.on_batch(frame, report, events)

    def _publish(self, frame: pd.DataFrame, report: Any, batch_id: int) -> None:
        from fmslab.broker.clients import BulkProducer

        if self._producer is None:
            self._producer = BulkProducer(self.bootstrap, **self.producer_options)
        try:
            self._send(self._producer, frame, report, batch_id)
        except Exception:
            # The batch fails and is run again (with its messages); nothing of it may linger.
            producer, self._producer = self._producer, None
            producer.abandon()
            raise

    def _send(self, producer: Any, frame: pd.DataFrame, report: Any, batch_id: int) -> None:
        processed = zone_rows(frame, "processed")
        producer.send_all(
            PROCESSED_TOPIC,
            zip(
                processed["DeviceId"].astype("int64").tolist(),
                reading_messages(processed),
                strict=True,
            ),
        )
        for event in alert_events(frame, report, batch_id):
            producer.send(ALERTS_TOPIC, event, key=event.get("DeviceId"))
        message = {"query": self.token, "batch_id": batch_id, **report.to_dict()}
        producer.send(QUALITY_TOPIC, json.loads(json.dumps(message, default=str)), key=self.token)
        producer.flush()

    def _count(self, frame: pd.DataFrame, report: Any, files: int) -> None:
        self.stats.batches += 1
        self.stats.records += len(frame)
        for zone, count in report.zone_counts.items():
            self.stats.zones[zone] = self.stats.zones.get(zone, 0) + count
        self.stats.files += files
        self.stats.last_report = report.to_dict()

    def close(self) -> None:
        """Flush and close the Kafka producer, if one was made."""
        if self._producer is not None:
            producer, self._producer = self._producer, None
            producer.close()
