"""The embedded Kafka source on a real Tansu broker and real Spark: exact, resumable, capped."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.streaming import StreamingQuery
from pyspark.sql.streaming.datasource import ReadAllAvailable

from fmslab.broker.offsets import end_offsets
from fmslab.config import Settings
from fmslab.streaming.kafka_source import (
    KafkaSourceError,
    KafkaStreamReader,
    OffsetRange,
    _Options,
    cap_offsets,
    read_kafka_batch,
    read_kafka_stream,
    read_range,
    source_options,
)
from tests.streaming.streaming_helpers import RAW_PARTITIONS, RAW_TOPIC, produce_readings

_names = itertools.count()

EXPECTED_TYPES = {
    "key": "binary",
    "value": "binary",
    "topic": "string",
    "partition": "int",
    "offset": "bigint",
    "timestamp": "timestamp",
    "timestampType": "int",
}


def run_to_memory(stream: DataFrame, checkpoint: Path) -> tuple[StreamingQuery, DataFrame]:
    """Run `stream` with trigger(availableNow) into a memory table; returns query and rows."""
    name = f"kafka_rows_{next(_names)}"
    query = (
        stream.writeStream.format("memory")
        .queryName(name)
        .option("checkpointLocation", str(checkpoint))
        .trigger(availableNow=True)
        .start()
    )
    assert query.awaitTermination(180), "the availableNow query did not finish"
    assert query.exception() is None
    return query, stream.sparkSession.table(name)


def run_to_parquet(stream: DataFrame, checkpoint: Path, out: Path) -> StreamingQuery:
    """Run `stream` with trigger(availableNow) into a Parquet folder (the lake's file sink)."""
    query = (
        stream.writeStream.format("parquet")
        .option("path", str(out))
        .option("checkpointLocation", str(checkpoint))
        .trigger(availableNow=True)
        .start()
    )
    assert query.awaitTermination(180), "the availableNow query did not finish"
    assert query.exception() is None
    return query


def offsets_by_partition(rows: DataFrame) -> dict[int, list[int]]:
    got: dict[int, list[int]] = {}
    for row in rows.select("partition", "offset").collect():
        got.setdefault(row.partition, []).append(row.offset)
    return {p: sorted(offsets) for p, offsets in got.items()}


@pytest.mark.slow
def test_stream_reads_exactly_what_was_produced(
    spark: SparkSession, broker: str, tmp_path: Path
) -> None:
    produce_readings(broker, 600)
    ends = end_offsets(broker, RAW_TOPIC)
    assert sum(ends.values()) == 600

    stream = read_kafka_stream(spark, RAW_TOPIC, bootstrap=broker)
    _, rows = run_to_memory(stream, tmp_path / "checkpoint")

    assert {f.name: f.dataType.simpleString() for f in rows.schema.fields} == EXPECTED_TYPES
    assert rows.count() == 600
    by_partition = offsets_by_partition(rows)
    assert sorted(by_partition) == list(range(RAW_PARTITIONS))
    for partition, offsets in by_partition.items():
        assert offsets == list(range(ends[partition])), f"partition {partition} not contiguous"
    first = rows.where("partition = 0 and offset = 0").first()
    assert first is not None
    assert first.topic == RAW_TOPIC
    assert first.key == b"1"  # DeviceId 1, as the producer's key serializer writes it
    assert b'"reading_id":"1-0"' in first.value
    assert first.timestamp is not None


@pytest.mark.slow
def test_capped_batches_and_a_restart_read_each_record_once(
    spark: SparkSession, broker: str, tmp_path: Path
) -> None:
    checkpoint, out = tmp_path / "checkpoint", tmp_path / "lake"

    def run() -> list[int]:
        stream = read_kafka_stream(spark, RAW_TOPIC, bootstrap=broker, max_offsets_per_trigger=150)
        query = run_to_parquet(stream, checkpoint, out)
        return [p["numInputRows"] for p in query.recentProgress if p["numInputRows"]]

    produce_readings(broker, 500)
    assert run() == [150, 150, 150, 50]  # maxOffsetsPerTrigger splits the backlog

    produce_readings(broker, 120, first=500)
    assert run() == [120]  # the restart resumes from the checkpoint: only the new records

    lake = spark.read.parquet(str(out))
    assert lake.count() == 620
    assert lake.select("partition", "offset").distinct().count() == 620
    ends = end_offsets(broker, RAW_TOPIC)
    for partition, offsets in offsets_by_partition(lake).items():
        assert offsets == list(range(ends[partition]))


@pytest.mark.slow
def test_starting_latest_skips_what_is_already_there(
    spark: SparkSession, broker: str, tmp_path: Path
) -> None:
    checkpoint, out = tmp_path / "checkpoint", tmp_path / "lake"
    produce_readings(broker, 200)
    stream = read_kafka_stream(spark, RAW_TOPIC, bootstrap=broker, starting="latest")
    first = run_to_parquet(stream, checkpoint, out)
    assert sum(p["numInputRows"] for p in first.recentProgress) == 0

    produce_readings(broker, 30, first=200)
    stream = read_kafka_stream(spark, RAW_TOPIC, bootstrap=broker, starting="latest")
    run_to_parquet(stream, checkpoint, out)
    rows = spark.read.parquet(str(out))
    assert rows.count() == 30
    assert rows.where("offset >= 40").count() == 30  # the 200 before them: 40 per partition


def test_batch_read_returns_the_topic_as_it_is(spark: SparkSession, broker: str) -> None:
    produce_readings(broker, 250)
    rows = read_kafka_batch(spark, RAW_TOPIC, bootstrap=broker)
    assert rows.count() == 250
    assert rows.select("partition", "offset").distinct().count() == 250
    assert rows.schema.simpleString() == (
        "struct<key:binary,value:binary,topic:string,partition:int,offset:bigint,"
        "timestamp:timestamp,timestampType:int>"
    )


def test_an_unknown_topic_is_a_clear_error(spark: SparkSession, broker: str) -> None:
    with pytest.raises(Exception, match="does not exist"):
        read_kafka_batch(spark, "no-such-topic", bootstrap=broker).count()


def test_cap_shares_the_budget_by_backlog_and_is_exact() -> None:
    start = {0: 0, 1: 10, 2: 5}
    end = {0: 100, 1: 20, 2: 5, 3: 7}  # partition 3 is new: it starts at 0
    capped = cap_offsets(start, end, 50)
    taken = {p: capped[p] - start.get(p, 0) for p in end}
    assert sum(taken.values()) == 50
    assert all(0 <= taken[p] <= end[p] - start.get(p, 0) for p in end)
    assert taken[0] > taken[1] > 0 and taken[2] == 0
    assert cap_offsets(start, end, 1000) == end  # under the cap: everything


def test_cap_always_advances_with_a_budget_of_one() -> None:
    start, end = {0: 0, 1: 0}, {0: 3, 1: 3}
    moved = 0
    while start != end:
        start = cap_offsets(start, end, 1)
        moved += 1
    assert moved == 6


def test_options_are_checked_before_anything_runs() -> None:
    with pytest.raises(KafkaSourceError, match="kafka.bootstrap.servers"):
        _Options({"subscribe": RAW_TOPIC})
    with pytest.raises(KafkaSourceError, match="startingOffsets"):
        _Options({"kafka.bootstrap.servers": "x:1", "subscribe": "t", "startingOffsets": "now"})
    with pytest.raises(KafkaSourceError, match="maxOffsetsPerTrigger"):
        _Options({"kafka.bootstrap.servers": "x:1", "subscribe": "t", "maxOffsetsPerTrigger": "0"})


def test_records_that_are_not_there_fail_loudly(broker: str) -> None:
    produce_readings(broker, 10)  # 2 per partition
    part = OffsetRange(broker, RAW_TOPIC, 0, 0, 5)
    with pytest.raises(KafkaSourceError, match="stuck at offset 2, expected records up to 5"):
        for _ in read_range(part, stall_timeout=1.0):
            pass


def test_a_range_is_read_exactly(broker: str) -> None:
    produce_readings(broker, 50)  # 10 per partition
    batches = list(read_range(OffsetRange(broker, RAW_TOPIC, 3, 4, 7)))
    offsets = [o for batch in batches for o in batch.column("offset").to_pylist()]
    assert offsets == [4, 5, 6]
    assert set(batches[0].column("partition").to_pylist()) == {3}


def test_a_broker_behind_the_checkpoint_is_an_error(broker: str) -> None:
    # What a restarted embedded broker looks like to a query resuming from its checkpoint.
    produce_readings(broker, 10)  # 2 per partition
    reader = KafkaStreamReader(source_options(RAW_TOPIC, broker))
    checkpoint = {RAW_TOPIC: {"0": 2, "1": 7, "2": 2, "3": 2, "4": 2}}
    with pytest.raises(KafkaSourceError, match=r"partition 1: 2 < 7.*new checkpoint"):
        reader.latestOffset(checkpoint, ReadAllAvailable())
    caught_up = reader.latestOffset({RAW_TOPIC: {"0": 2}}, ReadAllAvailable())
    assert caught_up == {RAW_TOPIC: {"0": 2, "1": 2, "2": 2, "3": 2, "4": 2}}


def test_an_offset_past_the_end_fails_instead_of_hanging(broker: str) -> None:
    produce_readings(broker, 10)
    with pytest.raises(KafkaSourceError, match="no longer has them"):
        for _ in read_range(OffsetRange(broker, RAW_TOPIC, 0, 100, 105), stall_timeout=2.0):
            pass


def test_stack_mode_without_the_connector_says_what_to_do(
    spark: SparkSession, tmp_path: Path
) -> None:
    stack = Settings(mode="stack", state_dir=tmp_path)
    with pytest.raises(KafkaSourceError, match="FMSLAB_MODE=embedded"):
        read_kafka_stream(spark, RAW_TOPIC, settings=stack)
    with pytest.raises(KafkaSourceError, match="connector is not on"):
        read_kafka_batch(spark, RAW_TOPIC, settings=stack)


def test_both_modes_take_the_native_option_names() -> None:
    options = source_options(RAW_TOPIC, "kafka1:9092", starting="latest", max_offsets_per_trigger=9)
    assert options == {
        "kafka.bootstrap.servers": "kafka1:9092",
        "subscribe": RAW_TOPIC,
        "startingOffsets": "latest",
        "maxOffsetsPerTrigger": "9",
    }
