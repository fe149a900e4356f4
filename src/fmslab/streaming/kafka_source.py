"""Kafka as a Spark source in both modes: the native connector (stack) or our own (embedded).

No registry reachable here ships Spark's Kafka connector jar (docs/architecture.md, decisions),
so embedded mode
reads Kafka through a Python data source (Spark 4's `pyspark.sql.datasource`), registered as
`fms-kafka`. It takes the native source's option names and yields its columns (key, value, topic,
partition, offset, timestamp, timestampType), so code downstream cannot tell the two apart.

How the streaming reader works: an offset is `{topic: {partition: next offset}}` (the native
source's JSON). `latestOffset` reads the fetch high watermarks (Tansu's ListOffsets is wrong,
section 5) through one consumer the reader keeps between triggers (`fmslab.broker.offsets.
EndOffsets`), and honours `maxOffsetsPerTrigger` through Spark's admission control (`ReadMaxRows`);
`partitions` makes one task per Kafka partition with records in the range; `read`
assigns that partition, at the range's start, to a confluent-kafka (librdkafka) consumer, gathers
the records column by column into Arrow batches and stops exactly at the end.
Spark writes each batch's end offsets to the checkpoint before it runs the batch, so a restarted
query resumes where the last one stopped: exactly once together with an idempotent sink.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
from pyspark.errors import AnalysisException
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.datasource import (
    DataSource,
    DataSourceReader,
    DataSourceStreamReader,
    InputPartition,
)
from pyspark.sql.streaming.datasource import (
    ReadAllAvailable,
    ReadLimit,
    ReadMaxRows,
    SupportsTriggerAvailableNow,
)
from pyspark.sql.types import (
    BinaryType,
    IntegerType,
    LongType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

from fmslab.config import Settings, load_settings

SOURCE_NAME = "fms-kafka"
KAFKA_SCHEMA = StructType(
    [
        StructField("key", BinaryType()),
        StructField("value", BinaryType()),
        StructField("topic", StringType()),
        StructField("partition", IntegerType()),
        StructField("offset", LongType()),
        StructField("timestamp", TimestampType()),
        StructField("timestampType", IntegerType()),
    ]
)
ARROW_SCHEMA = pa.schema(
    [
        ("key", pa.binary()),
        ("value", pa.binary()),
        ("topic", pa.string()),
        ("partition", pa.int32()),
        ("offset", pa.int64()),
        ("timestamp", pa.timestamp("us", tz="UTC")),
        ("timestampType", pa.int32()),
    ]
)
STALL_TIMEOUT_S = 30.0  # a partition that yields nothing for this long fails the task loudly

Offsets = dict[str, dict[str, int]]  # {topic: {partition (as text, JSON keys): next offset}}


class KafkaSourceError(RuntimeError):
    """The Kafka source was misconfigured or could not read the records it planned to read."""


@dataclass(frozen=True)
class OffsetRange(InputPartition):
    """Records [start, end) of one Kafka partition: one Spark task."""

    bootstrap: str
    topic: str
    partition: int
    start: int
    end: int

    def __post_init__(self) -> None:
        # InputPartition's own __init__ stores a `value`; keep it meaningful for repr and pickling.
        object.__setattr__(self, "value", (self.topic, self.partition, self.start, self.end))


# --- offsets (driver side) ---------------------------------------------------------------------


def end_offsets_of(bootstrap: str, topic: str) -> dict[int, int]:
    """{partition: high watermark} via the broker helper that is right on Tansu and Kafka."""
    from fmslab.broker.offsets import end_offsets

    return end_offsets(bootstrap, topic)


def beginning_offsets_of(bootstrap: str, topic: str) -> dict[int, int]:
    """{partition: first offset still on the broker}."""
    from fmslab.broker.clients import make_consumer
    from fmslab.broker.offsets import partitions_of

    consumer = make_consumer(bootstrap, group_id=None)
    try:
        starts = consumer.beginning_offsets(partitions_of(consumer, topic))
    finally:
        consumer.close()
    return {tp.partition: offset for tp, offset in starts.items()}


def as_offsets(topic: str, positions: dict[int, int]) -> Offsets:
    """Partition positions in the checkpoint's JSON shape."""
    return {topic: {str(p): int(o) for p, o in sorted(positions.items())}}


def positions(offsets: Offsets, topic: str) -> dict[int, int]:
    """{partition: offset} of `topic` from a checkpoint offset."""
    return {int(p): int(o) for p, o in offsets.get(topic, {}).items()}


def cap_offsets(start: dict[int, int], end: dict[int, int], max_rows: int) -> dict[int, int]:
    """End offsets moved back so that at most `max_rows` records lie between start and end.

    The budget is shared in proportion to each partition's backlog (as Spark's Kafka source does);
    the rounding remainder goes to the partitions with the largest backlog, so the batch holds
    exactly min(max_rows, backlog) records and every partition with a backlog eventually advances.
    """
    backlog = {p: max(end[p] - start.get(p, 0), 0) for p in end}
    total = sum(backlog.values())
    if total <= max_rows:
        return dict(end)
    share = {p: backlog[p] * max_rows // total for p in backlog}
    remainder = max_rows - sum(share.values())
    for p in sorted(backlog, key=lambda p: (-(backlog[p] - share[p]), p))[:remainder]:
        share[p] += 1
    return {p: start.get(p, 0) + share[p] for p in end}


def check_not_behind(topic: str, begin: dict[int, int], end: dict[int, int]) -> None:
    """Raise KafkaSourceError if the broker holds fewer records than the checkpoint has read.

    That happens when the embedded broker restarted (it keeps records in memory only) or a topic
    was recreated: offsets start again at 0, and a query resuming from its checkpoint would wait
    without a word until the new offsets pass the old ones, skipping every record before that.
    """
    behind = {p: (end.get(p, 0), o) for p, o in begin.items() if end.get(p, 0) < o}
    if behind:
        detail = ", ".join(f"partition {p}: {e} < {o}" for p, (e, o) in sorted(behind.items()))
        raise KafkaSourceError(
            f"{topic}: the broker holds fewer records than this query's checkpoint has read "
            f"({detail}). The embedded broker forgets its records on restart; start the query "
            "with a new checkpoint location (the landing archive keeps every collected reading)."
        )


# --- reading one partition (executor side) -----------------------------------------------------


BATCH_ROWS = 10_000  # rows per Arrow batch handed to Spark
CONSUME_BATCH = 5_000  # messages per consume() call, at most
POLL_TIMEOUT_S = 0.2
# Spark's timestampType: 0 CreateTime, 1 LogAppendTime; librdkafka: 0 unavailable, 1, 2.
_SPARK_TIMESTAMP_TYPE = {0: 0, 1: 0, 2: 1}


class _Columns:
    """The Kafka columns of one partition's records, gathered as plain lists."""

    def __init__(self) -> None:
        self.keys: list[bytes | None] = []
        self.values: list[bytes | None] = []
        self.offsets: list[int] = []
        self.stamps: list[int] = []
        self.kinds: list[int] = []

    def add(self, message: Any) -> None:
        kind, stamp = message.timestamp()
        self.keys.append(message.key())
        self.values.append(message.value())
        self.offsets.append(message.offset())
        self.stamps.append(stamp)
        self.kinds.append(_SPARK_TIMESTAMP_TYPE.get(kind, 0))

    def __len__(self) -> int:
        return len(self.offsets)

    def batch(self, topic: str, partition: int) -> pa.RecordBatch:
        rows = len(self.offsets)
        micros = np.asarray(self.stamps, dtype=np.int64) * 1000
        return pa.RecordBatch.from_arrays(
            [
                pa.array(self.keys, pa.binary()),
                pa.array(self.values, pa.binary()),
                pa.array([topic] * rows, pa.string()),
                pa.array(np.full(rows, partition, dtype=np.int32)),
                pa.array(self.offsets, pa.int64()),
                pa.array(micros, pa.timestamp("us", tz="UTC")),
                pa.array(self.kinds, pa.int32()),
            ],
            schema=ARROW_SCHEMA,
        )


def _range_consumer(part: OffsetRange) -> Any:
    """A confluent-kafka consumer assigned to `part` at its start offset (no group is joined)."""
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer(
        {
            "bootstrap.servers": part.bootstrap,
            # librdkafka wants a group id, but assign() never joins it and nothing is committed.
            "group.id": f"{SOURCE_NAME}-reader",
            "enable.auto.commit": False,
            "enable.auto.offset.store": False,
            # Never jump silently: an offset that is gone must fail the task, not skip records.
            "auto.offset.reset": "error",
            # EOF events carry the end of the partition: a range ending in offsets that hold no
            # record (transaction markers) is then known to be complete.
            "enable.partition.eof": True,
            "fetch.wait.max.ms": 100,
            # Prefetch no further than the range: the rest of a backlog belongs to later batches.
            "queued.min.messages": max(1, min(part.end - part.start, 100_000)),
        }
    )
    consumer.assign([TopicPartition(part.topic, part.partition, part.start)])
    return consumer


def _failure(part: OffsetRange, position: int, error: Any) -> KafkaSourceError | None:
    """The error to raise for a consumer error event, or None for one to wait out."""
    from confluent_kafka import KafkaError

    code = error.code()
    if code in (KafkaError._AUTO_OFFSET_RESET, KafkaError.OFFSET_OUT_OF_RANGE):
        return KafkaSourceError(
            f"{part.topic}[{part.partition}]: offset {position} is out of range, expected records "
            f"up to {part.end} (broker {part.bootstrap}); the broker no longer has them "
            f"(deleted by retention, or the broker restarted): {error.str()}"
        )
    waitable = (KafkaError._TRANSPORT, KafkaError._ALL_BROKERS_DOWN, KafkaError._PARTITION_EOF)
    if error.fatal() or not (error.retriable() or code in waitable):
        return KafkaSourceError(
            f"{part.topic}[{part.partition}] at offset {position} "
            f"(broker {part.bootstrap}): {error.str()}"
        )
    return None


def _take(part: OffsetRange, messages: list[Any], columns: _Columns, position: int) -> int:
    """Add the records of `messages` inside `part` to `columns`; returns the new position."""
    from confluent_kafka import KafkaError

    for message in messages:
        error = message.error()
        if error is None:
            offset = message.offset()
            if part.start <= offset < part.end:
                columns.add(message)
            position = max(position, offset + 1)
        elif error.code() == KafkaError._PARTITION_EOF:
            # Everything below the end was delivered: offsets up to it hold no more records.
            position = max(position, message.offset())
        else:
            failure = _failure(part, position, error)
            if failure is not None:
                raise failure
    return position


def read_range(
    part: OffsetRange, stall_timeout: float = STALL_TIMEOUT_S
) -> Iterator[pa.RecordBatch]:
    """The records of `part` as Arrow batches, exactly offsets [start, end), in order.

    Raises KafkaSourceError if the partition stops yielding records before `end` (records that
    were planned must not go missing silently).
    """
    consumer = _range_consumer(part)
    try:
        position = part.start
        last_progress = time.monotonic()
        columns = _Columns()
        while position < part.end:
            before = position
            # consume(n) waits until it has n messages or the timeout: asking for more than the
            # range still holds made every range wait the whole timeout (0.2 s per task).
            wanted = min(CONSUME_BATCH, part.end - position)
            position = _take(part, consumer.consume(wanted, POLL_TIMEOUT_S), columns, position)
            if len(columns) >= BATCH_ROWS or (len(columns) and position >= part.end):
                yield columns.batch(part.topic, part.partition)
                columns = _Columns()
            if position > before:
                last_progress = time.monotonic()
            elif time.monotonic() - last_progress > stall_timeout:
                raise KafkaSourceError(
                    f"{part.topic}[{part.partition}]: stuck at offset {position}, expected records "
                    f"up to {part.end} (broker {part.bootstrap}); the broker no longer has them "
                    "(deleted by retention, or the broker restarted)"
                )
    finally:
        consumer.close()


# --- the data source ---------------------------------------------------------------------------


def _option(options: Any, name: str, default: str | None = None) -> str | None:
    # Spark passes options case-insensitively; a plain dict (tests, pickles) may not be.
    for key, value in dict(options).items():
        if key.lower() == name.lower():
            return value
    return default


class _Options:
    """The native Kafka source's option names, read once."""

    def __init__(self, options: Any) -> None:
        self.bootstrap = _option(options, "kafka.bootstrap.servers")
        self.topic = _option(options, "subscribe")
        if not self.bootstrap or not self.topic:
            raise KafkaSourceError(
                f"{SOURCE_NAME} needs the options kafka.bootstrap.servers and subscribe (one topic)"
            )
        if "," in self.topic:
            raise KafkaSourceError(f"{SOURCE_NAME} reads one topic, not {self.topic!r}")
        self.starting = (_option(options, "startingOffsets", "earliest") or "").lower()
        if self.starting not in ("earliest", "latest"):
            raise KafkaSourceError(
                f"startingOffsets must be 'earliest' or 'latest', not {self.starting!r}"
            )
        limit = _option(options, "maxOffsetsPerTrigger")
        self.max_offsets = int(limit) if limit else None
        if self.max_offsets is not None and self.max_offsets < 1:
            raise KafkaSourceError(f"maxOffsetsPerTrigger must be >= 1, not {limit!r}")

    def start_positions(self) -> dict[int, int]:
        if self.starting == "latest":
            return end_offsets_of(self.bootstrap, self.topic)
        return beginning_offsets_of(self.bootstrap, self.topic)

    def ranges(self, start: dict[int, int], end: dict[int, int]) -> list[OffsetRange]:
        return [
            OffsetRange(self.bootstrap, self.topic, p, start.get(p, 0), end[p])
            for p in sorted(end)
            if end[p] > start.get(p, 0)
        ]


class KafkaStreamReader(DataSourceStreamReader, SupportsTriggerAvailableNow):
    """Micro-batches over Kafka offset ranges, with admission control (maxOffsetsPerTrigger)."""

    def __init__(self, options: Any) -> None:
        self.opts = _Options(options)
        self.target: dict[int, int] | None = None  # the end of an availableNow run
        # Opened on first use: Spark also pickles a reader to its tasks, which never call it.
        self._ends: Any = None  # fmslab.broker.offsets.EndOffsets
        self._last_available: dict[int, int] | None = None  # for reportLatestOffset

    def initialOffset(self) -> dict:
        return as_offsets(self.opts.topic, self.opts.start_positions())

    def getDefaultReadLimit(self) -> ReadLimit:
        if self.opts.max_offsets:
            return ReadMaxRows(self.opts.max_offsets)
        return ReadAllAvailable()

    def prepareForTriggerAvailableNow(self) -> None:
        # Once per run, and the run's exact end: a consumer of its own, as before.
        self.target = end_offsets_of(self.opts.bootstrap, self.opts.topic)

    def _available(self) -> dict[int, int]:
        if self.target is not None:
            return self.target
        if self._ends is None:
            from fmslab.broker.offsets import EndOffsets

            self._ends = EndOffsets(self.opts.bootstrap, self.opts.topic)
        self._last_available = self._ends()
        return self._last_available

    def latestOffset(self, start: dict, limit: ReadLimit) -> dict:
        begin = positions(start, self.opts.topic)
        end = self._available()
        check_not_behind(self.opts.topic, begin, end)
        if isinstance(limit, ReadMaxRows):
            end = cap_offsets(begin, end, limit.max_rows)
        return as_offsets(self.opts.topic, end)

    def reportLatestOffset(self) -> dict:
        # Spark asks right after latestOffset, for the progress report only: the offsets that
        # call read are as good, and a second broker round trip per trigger is saved.
        if self._last_available is not None and self.target is None:
            return as_offsets(self.opts.topic, self._last_available)
        return as_offsets(self.opts.topic, self._available())

    def partitions(self, start: dict, end: dict) -> list[OffsetRange]:
        topic = self.opts.topic
        return self.opts.ranges(positions(start, topic), positions(end, topic))

    def read(self, partition: OffsetRange) -> Iterator[pa.RecordBatch]:  # type: ignore[override]
        return read_range(partition)

    def commit(self, end: dict) -> None:
        # Nothing to release: offsets live in Spark's checkpoint, not in a consumer group.
        return None

    def stop(self) -> None:
        if self._ends is not None:
            self._ends.close()


class KafkaBatchReader(DataSourceReader):
    """One batch from `startingOffsets` to the end offsets at planning time."""

    def __init__(self, options: Any) -> None:
        self.opts = _Options(options)
        ending = (_option(options, "endingOffsets", "latest") or "").lower()
        if ending != "latest":
            raise KafkaSourceError(f"{SOURCE_NAME} supports endingOffsets='latest' only")

    def partitions(self) -> list[OffsetRange]:  # type: ignore[override]
        start = self.opts.start_positions()
        return self.opts.ranges(start, end_offsets_of(self.opts.bootstrap, self.opts.topic))

    def read(self, partition: OffsetRange) -> Iterator[pa.RecordBatch]:  # type: ignore[override]
        return read_range(partition)


class KafkaDataSource(DataSource):
    """`spark.readStream.format("fms-kafka")`: Kafka without the connector jar (embedded mode)."""

    @classmethod
    def name(cls) -> str:
        return SOURCE_NAME

    def schema(self) -> StructType:
        return KAFKA_SCHEMA

    def streamReader(self, schema: StructType) -> DataSourceStreamReader:
        return KafkaStreamReader(self.options)

    def reader(self, schema: StructType) -> DataSourceReader:
        return KafkaBatchReader(self.options)


# --- the one entry point per use ---------------------------------------------------------------


def register_source(spark: SparkSession) -> None:
    """Register `fms-kafka` with `spark` (harmless to repeat)."""
    spark.dataSource.register(KafkaDataSource)


def source_options(
    topic: str,
    bootstrap: str,
    *,
    starting: str = "earliest",
    max_offsets_per_trigger: int | None = None,
) -> dict[str, str]:
    """The reader options, named as Spark's Kafka source names them (both modes take them)."""
    options = {
        "kafka.bootstrap.servers": bootstrap,
        "subscribe": topic,
        "startingOffsets": starting,
    }
    if max_offsets_per_trigger is not None:
        options["maxOffsetsPerTrigger"] = str(max_offsets_per_trigger)
    return options


def _format(spark: SparkSession, settings: Settings) -> str:
    if settings.mode == "stack":
        return "kafka"  # the connector is on the stack image's classpath
    register_source(spark)
    return SOURCE_NAME


def _load(reader: Any, settings: Settings) -> DataFrame:
    try:
        return reader.load()
    except AnalysisException as exc:
        if settings.mode == "stack" and "kafka" in str(exc).lower():
            raise KafkaSourceError(
                "Spark's Kafka connector is not on this Spark's classpath. On the stack, run "
                "the notebook in the stack's Jupyter/Spark image; on a laptop, set "
                f"FMSLAB_MODE=embedded to read Kafka through the {SOURCE_NAME} source."
            ) from exc
        raise


def read_kafka_stream(
    spark: SparkSession,
    topic: str,
    *,
    settings: Settings | None = None,
    bootstrap: str | None = None,
    starting: str = "earliest",
    max_offsets_per_trigger: int | None = None,
) -> DataFrame:
    """A streaming DataFrame of `topic` with the Kafka source's columns, in either mode.

    `bootstrap` defaults to the settings' broker; `starting` is "earliest" or "latest" (used only
    when the checkpoint is new); `max_offsets_per_trigger` caps the records of one micro-batch.
    """
    settings = settings or load_settings()
    options = source_options(
        topic,
        bootstrap or settings.bootstrap,
        starting=starting,
        max_offsets_per_trigger=max_offsets_per_trigger,
    )
    return _load(spark.readStream.format(_format(spark, settings)).options(**options), settings)


def read_kafka_batch(
    spark: SparkSession,
    topic: str,
    *,
    settings: Settings | None = None,
    bootstrap: str | None = None,
    starting: str = "earliest",
) -> DataFrame:
    """A batch DataFrame of what `topic` holds now (from `starting` to the end), for notebooks."""
    settings = settings or load_settings()
    options = source_options(topic, bootstrap or settings.bootstrap, starting=starting)
    options["endingOffsets"] = "latest"
    return _load(spark.read.format(_format(spark, settings)).options(**options), settings)
