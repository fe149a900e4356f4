"""Parsing readings: typed columns from lenient JSON, malformed records kept with a reason."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from fmslab.streaming.kafka_source import read_kafka_stream
from fmslab.streaming.schema import CORRUPT, PARSE_ERROR, READING_SCHEMA, parse_readings
from tests.streaming.streaming_helpers import RAW_TOPIC, produce_readings, produce_values

GOOD = {
    "time": "2024-01-15T14:30:00Z",
    "DeviceId": 1,
    "sensor1": 85.2,
    "sensor2": 92.7,
    "sensor3": 78.5,
    "motor1": 1200.0,
    "motor2": "850",
    "motor3": 1100,
    "isFail": False,
    "collected_at": "2024-01-15T14:30:01.250Z",
    "reading_id": "1-1705329001250-1",
}
MALFORMED = [
    '{"DeviceId": 3, "sensor1": -1',  # cut short
    "not json at all",
    "[1, 2]",
    "",
]


def parsed_rows(spark: SparkSession, values: list[str | None]) -> list[dict]:
    rows = [(None if v is None else v.encode(), i) for i, v in enumerate(values)]
    df = spark.createDataFrame(rows, "value binary, offset long")
    return [r.asDict() for r in parse_readings(df).orderBy("offset").collect()]


def test_a_reading_gets_its_types_leniently(spark: SparkSession) -> None:
    strings = {**GOOD, "DeviceId": "2", "sensor1": "85.25", "motor1": "1200.0", "isFail": "true"}
    good, lenient = parsed_rows(spark, [json.dumps(GOOD), json.dumps(strings)])
    assert good[PARSE_ERROR] is None and good[CORRUPT] is None
    # collect() gives naive local datetimes; compare instants so any machine zone passes.
    assert good["time"].timestamp() == datetime(2024, 1, 15, 14, 30, tzinfo=UTC).timestamp()
    assert (
        good["collected_at"].timestamp()
        == datetime(2024, 1, 15, 14, 30, 1, 250000, tzinfo=UTC).timestamp()
    )
    assert (good["DeviceId"], good["motor1"], good["motor2"], good["motor3"]) == (
        1,
        1200,
        850,
        1100,
    )
    assert good["sensor1"] == 85.2 and good["isFail"] is False
    assert good["reading_id"] == GOOD["reading_id"]
    assert lenient[PARSE_ERROR] is None
    assert (lenient["DeviceId"], lenient["sensor1"], lenient["motor1"]) == (2, 85.25, 1200)
    assert lenient["isFail"] is True


def test_the_typed_columns_follow_the_reading_schema(spark: SparkSession) -> None:
    df = spark.createDataFrame([(json.dumps(GOOD).encode(),)], "value binary")
    parsed = parse_readings(df)
    for field in READING_SCHEMA.fields:
        assert parsed.schema[field.name].dataType == field.dataType
    assert parsed.columns[-2:] == [PARSE_ERROR, CORRUPT]


def test_fields_that_do_not_convert_are_named_in_the_error(spark: SparkSession) -> None:
    bad = {**GOOD, "time": "yesterday", "DeviceId": "abc", "motor1": {"rpm": 1}, "isFail": "maybe"}
    (row,) = parsed_rows(spark, [json.dumps(bad)])
    assert row[PARSE_ERROR] is not None
    for name in ("time", "DeviceId", "motor1", "isFail"):
        assert name in row[PARSE_ERROR]
    assert "sensor1" not in row[PARSE_ERROR]
    assert row["sensor1"] == 85.2  # what did convert is kept
    assert json.loads(row[CORRUPT]) == bad


def test_missing_fields_are_nulls_not_errors(spark: SparkSession) -> None:
    (row,) = parsed_rows(spark, ['{"DeviceId": 4, "time": "2024-01-15T14:30:00Z"}'])
    assert row[PARSE_ERROR] is None
    assert row["DeviceId"] == 4 and row["sensor1"] is None and row["motor1"] is None


@pytest.mark.slow
def test_malformed_values_from_kafka_are_kept_with_a_reason(
    spark: SparkSession, broker: str, tmp_path: Path
) -> None:
    produce_readings(broker, 40)
    produce_values(broker, MALFORMED)
    stream = parse_readings(read_kafka_stream(spark, RAW_TOPIC, bootstrap=broker))
    query = (
        stream.writeStream.format("memory")
        .queryName("parsed_readings")
        .option("checkpointLocation", str(tmp_path / "checkpoint"))
        .trigger(availableNow=True)
        .start()
    )
    assert query.awaitTermination(180) and query.exception() is None
    rows = spark.table("parsed_readings")

    assert rows.count() == 40 + len(MALFORMED)  # nothing dropped
    good = rows.where(f"{PARSE_ERROR} is null")
    assert good.count() == 40
    assert good.where("DeviceId is null or motor1 is null or time is null").count() == 0
    bad = rows.where(f"{PARSE_ERROR} is not null").orderBy("offset").collect()
    assert [r[CORRUPT] for r in bad] == MALFORMED
    assert [r[PARSE_ERROR] for r in bad][-1] == "empty value"
    assert all(r.topic == RAW_TOPIC and r.partition == 0 for r in bad)
    assert {"kafka_key", "partition", "offset", "kafka_timestamp"} <= set(rows.columns)
