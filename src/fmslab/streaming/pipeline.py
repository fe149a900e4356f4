"""The streaming pipeline: fms-raw-data -> quality rules (stateful, per device) -> the lake's zones.

    spark = spark_session("fmslab-stream")
    pipeline = start_pipeline(spark, settings, bootstrap="127.0.0.1:9092",
                              checkpoint_dir=".fmslab/checkpoints/stream")
    ...
    pipeline.stop()

or `run_pipeline(..., duration=60)` / `fmslab stream --duration 60`. Each micro-batch: read a
replayable offset range of fms-raw-data (`read_kafka_stream`), route it with the project's rule
engine inside `applyInPandasWithState` (`processing`), then `foreachBatch` (`sinks.BatchWriter`)
writes processed / alerts / quarantine, refreshes the aggregates of the hours it touched, writes
the batch's quality report to the `quality` zone, and publishes to fms-processed-data, fms-alerts
and fms-quality-metrics. Exactly once into the lake: offsets and state versions in the checkpoint
+ lake files named by (checkpoint, batch id), overwritten on replay (see `sinks`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyspark.sql import SparkSession
from pyspark.sql.streaming import StreamingQuery

from fmslab.config import Settings, load_settings
from fmslab.lake.storage import Lake
from fmslab.quality.rules import QualityRules, load_rules
from fmslab.streaming.processing import DEFAULT_KEY_MEMORY, route_stream
from fmslab.streaming.sinks import BatchStats, BatchWriter, query_token

RAW_TOPIC = "fms-raw-data"
# Few state versions on disk: each one holds every device's windows and seen keys.
MIN_BATCHES_TO_RETAIN = 20


@dataclass
class Pipeline:
    """A running pipeline: its Spark query and what its sink has written so far."""

    query: StreamingQuery
    writer: BatchWriter
    checkpoint_dir: Path
    started: float
    listener: Any = None  # the metrics' StreamingQueryListener, removed on stop
    session: Any = None  # the SparkSession the listener is registered with

    @property
    def stats(self) -> BatchStats:
        """Batches, records per zone and files written since the start."""
        return self.writer.stats

    def await_termination(self, timeout: float | None = None) -> bool:
        """Wait for the query to end (an availableNow run ends by itself); re-raises its error."""
        return bool(self.query.awaitTermination(timeout))

    def stop(self) -> None:
        """Stop the query (a running batch is interrupted and replayed on the next start)."""
        try:
            self.query.stop()
        finally:
            self.writer.close()
            if self.listener is not None and self.session is not None:
                # PySpark's StreamingQuery has no sparkSession: the session is kept beside it
                self.session.streams.removeListener(self.listener)
                self.listener = None

    def summary(self) -> dict[str, Any]:
        """Batches, records, zone counts and the drain rate since the start."""
        elapsed = time.monotonic() - self.started
        stats = self.stats
        return {
            "batches": stats.batches,
            "records": stats.records,
            "zones": dict(stats.zones),
            "files": stats.files,
            "route_seconds": round(stats.route_seconds, 3),
            "write_seconds": round(stats.write_seconds, 3),
            "seconds": round(elapsed, 3),
            "records_per_second": round(stats.records / elapsed, 1) if elapsed > 0 else 0.0,
            "last_score": (stats.last_report or {}).get("score"),
        }


def _open_lake(settings: Settings, lake: Lake | None) -> Lake:
    if lake is not None:
        return lake
    from fmslab.lake.storage import open_lake

    return open_lake(settings)


def start_pipeline(
    spark: SparkSession,
    settings: Settings | None = None,
    *,
    bootstrap: str | None = None,
    checkpoint_dir: str | Path,
    trigger: str = "1 second",
    available_now: bool = False,
    max_offsets_per_trigger: int | None = None,
    lake: Lake | None = None,
    rules: QualityRules | None = None,
    key_memory: int = DEFAULT_KEY_MEMORY,
    check_delay: bool = True,
    publish: bool = True,
    metrics: Any = None,
) -> Pipeline:
    """Start the streaming pipeline; returns a handle holding the `StreamingQuery`.

    `checkpoint_dir` holds the offsets, state and commits: starting again with the same one
    resumes after the last committed batch. `available_now` drains what the topic holds and
    stops; else a micro-batch runs every `trigger`. `check_delay` False skips the checks that
    use the wall clock (as `check_readings` without `now`); `publish` False writes the lake only.
    `key_memory` bounds the (DeviceId, time) keys remembered per device (see `processing`).
    `metrics` (a `fmslab.monitoring.stream_metrics.StreamMetrics`) gets Spark's progress events
    through a StreamingQueryListener and every written batch from the sink.
    Sets the session's `spark.sql.streaming.minBatchesToRetain` to 20 (state versions on disk).
    """
    from fmslab.streaming.kafka_source import read_kafka_stream

    settings = settings or load_settings()
    bootstrap = bootstrap or settings.bootstrap
    rules = rules or load_rules()
    checkpoint = Path(checkpoint_dir).expanduser().resolve()
    spark.conf.set("spark.sql.streaming.minBatchesToRetain", str(MIN_BATCHES_TO_RETAIN))
    raw = read_kafka_stream(
        spark,
        RAW_TOPIC,
        settings=settings,
        bootstrap=bootstrap,
        max_offsets_per_trigger=max_offsets_per_trigger,
    )
    routed = route_stream(raw, rules, key_memory=key_memory, check_delay=check_delay)
    writer = BatchWriter(
        _open_lake(settings, lake),
        query_token(checkpoint),
        bootstrap=bootstrap if publish else None,
        rules=rules,
    )
    name = f"fms-pipeline-{writer.token}"
    listener = None
    if metrics is not None:
        writer.metrics = metrics
        metrics.watch(name, writer.stats)
        listener = metrics.listener()
        spark.streams.addListener(listener)
    stream = (
        routed.writeStream.queryName(name)
        .outputMode("append")
        .option("checkpointLocation", str(checkpoint))
        .foreachBatch(writer)
    )
    stream = (
        stream.trigger(availableNow=True)
        if available_now
        else stream.trigger(processingTime=trigger)
    )
    try:
        query = stream.start()
    except Exception:
        if listener is not None:
            spark.streams.removeListener(listener)
        raise
    return Pipeline(query, writer, checkpoint, time.monotonic(), listener, spark)


def run_pipeline(
    spark: SparkSession,
    settings: Settings | None = None,
    *,
    duration: float | None = None,
    **options: Any,
) -> dict[str, Any]:
    """Run the pipeline for `duration` seconds (or, with available_now, until drained) and stop.

    Takes `start_pipeline`'s options; returns `Pipeline.summary()`."""
    pipeline = start_pipeline(spark, settings, **options)
    try:
        if options.get("available_now"):
            pipeline.await_termination(duration)
        else:
            pipeline.await_termination(duration if duration is not None else None)
    finally:
        pipeline.stop()
    return pipeline.summary()
