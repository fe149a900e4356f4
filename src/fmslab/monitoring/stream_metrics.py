"""The stream job's Prometheus metrics: Spark's progress events and each micro-batch's results.

    metrics = StreamMetrics()
    metrics.serve(9874)                        # /metrics on 127.0.0.1
    pipeline = start_pipeline(spark, ..., metrics=metrics)

Two feeds, both on the driver:

- `listener()` is a PySpark `StreamingQueryListener`: every `onQueryProgress` sets the rates,
  the batch duration and its phases, the watermark, the offsets behind latest, and copies the
  sink's zone counts;
- `on_batch(frame, report, batch_id)` is called by the sink after it wrote a micro-batch: the
  quality score and its four dimensions, each device's current values, failures, last seen, and
  the end-to-end latency of every accepted reading.

Every metric comes from `fmslab.monitoring.metrics_catalog` (names, types, labels, help).
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import pandas as pd
from prometheus_client import CollectorRegistry
from pyspark.sql.streaming import StreamingQueryListener

from fmslab.monitoring.metrics_catalog import make_metrics
from fmslab.reading import MOTORS, SENSORS
from fmslab.services import MetricsEndpoint

ACCEPTED = ("processed", "alerts")
log = logging.getLogger(__name__)


def offsets_behind(latest: str | None, end: str | None) -> int | None:
    """Offsets available but not read: sum over partitions of latest minus end (JSON texts of
    the checkpoint's shape `{topic: {partition: offset}}`); None when either is unknown."""
    if not latest or not end:
        return None
    try:
        newest, done = json.loads(latest), json.loads(end)
    except ValueError:
        return None
    behind = 0
    for topic, parts in newest.items():
        read = done.get(topic, {})
        behind += sum(max(0, int(o) - int(read.get(p, 0))) for p, o in parts.items())
    return behind


def _epoch(text: str | None) -> float | None:
    if not text:
        return None
    return pd.Timestamp(text).timestamp()


class StreamMetrics(MetricsEndpoint):
    """The stream job's metric objects (a private registry) and the two feeds that set them."""

    def __init__(self, registry: CollectorRegistry | None = None, baselines: Any = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.m = make_metrics("stream", self.registry)
        self._baselines = baselines if baselines is not None else _device_baselines
        self._known_devices: set[int] = set()
        self._zones_seen: dict[tuple[str, str], int] = {}
        self.query = "stream"  # the query label of the batch metrics (`watch` sets it)
        self._stats: Any = None  # the sink's BatchStats: `.zones` {zone: count} since its start
        self._server: Any = None

    def watch(self, query: str, stats: Any) -> None:
        """Label batch metrics with `query` and copy the zone counts of `stats` (BatchStats)."""
        self.query, self._stats = query, stats

    # --- serving ---------------------------------------------------------------------------

    # --- Spark's progress events -----------------------------------------------------------

    def listener(self) -> StreamingQueryListener:
        """A listener to add with `spark.streams.addListener` (it feeds `on_progress`)."""
        return _ProgressListener(self)

    def on_progress(self, progress: Any) -> None:
        """Set the progress metrics from one `StreamingQueryProgress`."""
        query = progress.name or str(progress.id)
        m = self.m
        m["fms_stream_batches_total"].labels(query).inc()
        m["fms_stream_input_rows_total"].labels(query).inc(progress.numInputRows or 0)
        rates = (
            ("fms_stream_input_rows_per_second", progress.inputRowsPerSecond),
            ("fms_stream_processed_rows_per_second", progress.processedRowsPerSecond),
        )
        for name, value in rates:
            m[name].labels(query).set(_finite(value))
        m["fms_stream_batch_duration_seconds"].labels(query).set(progress.batchDuration / 1000)
        for phase, millis in (progress.durationMs or {}).items():
            m["fms_stream_batch_phase_seconds"].labels(query, phase).set(millis / 1000)
        watermark = _epoch((progress.eventTime or {}).get("watermark"))
        if watermark is not None:
            m["fms_stream_watermark_timestamp_seconds"].labels(query).set(watermark)
        behind = [offsets_behind(s.latestOffset, s.endOffset) for s in progress.sources]
        if any(b is not None for b in behind):
            total = sum(b for b in behind if b is not None)
            m["fms_stream_offsets_behind_latest"].labels(query).set(total)
        self._copy_zones(query)

    def _copy_zones(self, query: str) -> None:
        zones = getattr(self._stats, "zones", None) or {}
        for zone, count in zones.items():
            before = self._zones_seen.get((query, zone), 0)
            self.m["fms_stream_rows_total"].labels(query, zone).inc(max(0, count - before))
            self._zones_seen[(query, zone)] = max(before, count)

    # --- each written micro-batch ----------------------------------------------------------

    def on_batch(self, frame: pd.DataFrame, report: Any, events: list[dict[str, Any]]) -> None:
        """Quality, devices, latency and alert events of one written micro-batch."""
        query = self.query
        self.m["fms_quality_score_ratio"].labels(query).set(float(report.score))
        for name, dim in report.dimensions.items():
            self.m["fms_quality_dimension_ratio"].labels(query, name).set(float(dim.value))
        for event in events:
            self.m["fms_stream_alert_events_total"].labels(str(event.get("type"))).inc()
        accepted = frame[frame["zone"].isin(ACCEPTED)]
        if accepted.empty:
            return
        self._latency(accepted)
        for device, rows in accepted.sort_values("time").groupby("DeviceId"):
            self._device(int(device), rows)

    def _latency(self, accepted: pd.DataFrame) -> None:
        collected = pd.to_datetime(accepted["collected_at"], utc=True).dropna()
        now = time.time()
        histogram = self.m["fms_stream_end_to_end_latency_seconds"]
        for stamp in collected.tolist():
            histogram.observe(max(0.0, now - stamp.timestamp()))

    def _device(self, device: int, rows: pd.DataFrame) -> None:
        label = str(device)
        if device not in self._known_devices:
            self._known_devices.add(device)
            for field, mean in self._baselines(device).items():
                self.m["fms_device_baseline_value"].labels(label, field).set(mean)
        last = rows.iloc[-1]
        for field in (*SENSORS, *MOTORS):
            value = last[field]
            if value is not None and not pd.isna(value):
                self.m["fms_device_sensor_value"].labels(label, field).set(float(value))
        failing = rows["isFail"].fillna(False).astype(bool)
        self.m["fms_device_failures_total"].labels(label).inc(int(failing.sum()))
        # Any failing reading in the batch, not only the last: a failure shorter than a
        # micro-batch must still reach the gauge (and the DeviceFailure rule).
        self.m["fms_device_failing"].labels(label).set(1 if bool(failing.any()) else 0)
        seen = pd.Timestamp(last["time"])
        if not pd.isna(seen):
            self.m["fms_device_last_seen_timestamp_seconds"].labels(label).set(seen.timestamp())


def _finite(value: Any) -> float:
    number = float(value or 0.0)
    return number if number == number and abs(number) != float("inf") else 0.0


def _device_baselines(device: int) -> dict[str, float]:
    """The profile means of a device (data/devices.yaml; derived devices beyond it)."""
    from fmslab.simulator.profiles import derive_profile, read_base_profiles

    base = read_base_profiles()
    profile = base[device - 1] if 1 <= device <= len(base) else derive_profile(base, device)
    return {name: float(field.mean) for name, field in profile.fields.items()}


class _ProgressListener(StreamingQueryListener):
    """Forwards Spark's progress events to `StreamMetrics.on_progress` (an error is logged, not
    raised into Spark's listener bus: a metrics failure must not stop the query)."""

    def __init__(self, metrics: StreamMetrics) -> None:
        self.metrics = metrics

    def onQueryStarted(self, event: Any) -> None:  # noqa: N802 - Spark's interface
        return None

    def onQueryProgress(self, event: Any) -> None:  # noqa: N802
        try:
            self.metrics.on_progress(event.progress)
        except Exception:
            log.exception("stream metrics: a progress event could not be exported")

    def onQueryIdle(self, event: Any) -> None:  # noqa: N802
        return None

    def onQueryTerminated(self, event: Any) -> None:  # noqa: N802
        return None
