"""The stream job's write path: processed-reading messages, the bulk producer, aggregates input."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fmslab.broker.clients import BulkProducer, DeliveryError, make_producer
from fmslab.broker.consumers import read_topic
from fmslab.lake.local import LocalLake
from fmslab.lake.records import write_records
from fmslab.quality.rules import load_rules
from fmslab.quality.validator import QualityValidator
from fmslab.services import free_port
from fmslab.simulator.feed import simulate_readings
from fmslab.streaming.aggregates import INPUT_COLUMNS, hour_readings, window_aggregates
from fmslab.streaming.processing import route_records
from fmslab.streaming.sinks import (
    PROCESSED_TOPIC,
    QUALITY_TOPIC,
    BatchWriter,
    reading_messages,
    utc_times,
    zone_rows,
)

HOUR = pd.Timestamp("2024-01-15T14:00:00Z")


def spark_shaped_rows() -> pd.DataFrame:
    """Two processed rows as `toPandas` hands them over when the batch also held nulls:
    float DeviceId and motors, naive timestamps, object isFail, reasons as numpy arrays."""
    return pd.DataFrame(
        {
            "reading_id": ["1-0", None],
            "reasons": [
                np.array(["sensor1: missing (null), interpolated"]),
                np.array([], dtype=object),
            ],
            "time": pd.to_datetime(
                ["2024-01-15 14:00:00", "2024-01-15 14:00:10.123456"], format="ISO8601"
            ),
            "DeviceId": [1.0, 2.0],
            "sensor1": [80.5, float("nan")],
            "sensor2": [90.0, 91.25],
            "sensor3": [75.0, 74.0],
            "motor1": [1200.0, 1210.0],
            "motor2": [850.0, 860.0],
            "motor3": [1100.0, 1090.0],
            "isFail": [False, None],
            "collected_at": pd.to_datetime(["2024-01-15 14:00:00.250", None], format="ISO8601"),
            "kafka_partition": np.array([0, 3], dtype=np.int32),
            "kafka_offset": np.array([0, 17], dtype=np.int64),
            "kafka_timestamp": pd.to_datetime(
                ["2024-01-15 14:00:01", "2024-01-15 14:00:11"], format="ISO8601"
            ),
            "processed_at": pd.to_datetime(
                ["2024-01-15 14:00:02", "2024-01-15 14:00:12"], format="ISO8601"
            ),
        }
    )


def test_reading_messages_are_json_ready_and_keep_the_batch_types() -> None:
    rows = utc_times(spark_shaped_rows())
    first, second = reading_messages(rows)
    assert first == {
        "reading_id": "1-0",
        "reasons": ["sensor1: missing (null), interpolated"],
        "time": "2024-01-15T14:00:00Z",
        "DeviceId": 1.0,
        "sensor1": 80.5,
        "sensor2": 90.0,
        "sensor3": 75.0,
        "motor1": 1200.0,
        "motor2": 850.0,
        "motor3": 1100.0,
        "isFail": False,
        "collected_at": "2024-01-15T14:00:00.250000Z",
        "kafka_partition": 0,
        "kafka_offset": 0,
        "kafka_timestamp": "2024-01-15T14:00:01Z",
        "processed_at": "2024-01-15T14:00:02Z",
    }
    assert second["reading_id"] is None
    assert second["time"] == "2024-01-15T14:00:10.123456Z"
    assert second["sensor1"] is None  # NaN is not valid JSON
    assert second["isFail"] is None
    assert second["collected_at"] is None  # NaT
    assert second["reasons"] == []
    assert second["kafka_offset"] == 17
    # Plain Python values only: the standard json module encodes every message.
    assert json.loads(json.dumps([first, second])) == [first, second]
    assert all(type(v) in (str, int, float, bool, list, type(None)) for v in second.values())


def test_bulk_producer_keys_land_where_kafka_python_puts_them(broker: str) -> None:
    bulk = BulkProducer(broker)
    plain = make_producer(broker)
    keys = [1, 2, 3, 4, 5, "a1b2c3d4"]
    for key in keys:
        for _ in range(3):
            bulk.send(PROCESSED_TOPIC, {"sender": "bulk", "key": key}, key=key)
            plain.send(PROCESSED_TOPIC, key=key, value={"sender": "plain", "key": key})
    bulk.close()
    plain.flush()
    plain.close()

    partitions: dict[tuple[bytes, str], set[int]] = defaultdict(set)
    for record in read_topic(broker, PROCESSED_TOPIC):
        value = json.loads(record.value)
        assert record.key == str(value["key"]).encode()  # encode_key, as kafka-python's
        partitions[(record.key, value["sender"])].add(record.partition)
    assert len(partitions) == 2 * len(keys)
    for key in keys:
        encoded = str(key).encode()
        assert len(partitions[(encoded, "bulk")]) == 1  # one key, one partition
        assert partitions[(encoded, "bulk")] == partitions[(encoded, "plain")]


def test_an_undelivered_message_is_an_error_not_a_silent_loss() -> None:
    nobody = f"127.0.0.1:{free_port()}"
    producer = BulkProducer(nobody, **{"message.timeout.ms": 1500})
    producer.send(PROCESSED_TOPIC, {"DeviceId": 1}, key=1)
    producer.send(PROCESSED_TOPIC, {"DeviceId": 2}, key=2)
    with pytest.raises(DeliveryError, match=r"2 message\(s\) not delivered"):
        producer.flush(timeout=15)
    producer.flush(timeout=1)  # the failures were reported once; nothing is left queued
    producer.close(timeout=1)


def routed_batch(count: int) -> pd.DataFrame:
    served = simulate_readings(seed=3, devices=5, count=count // 5)
    values = [json.dumps({**r, "reading_id": f"r-{i}"}).encode() for i, r in enumerate(served)]
    records = pd.DataFrame(
        {
            "value": values,
            "partition": [i % 5 for i in range(count)],
            "offset": [i // 5 for i in range(count)],
            "timestamp": pd.Timestamp("2024-01-15T15:00:00Z")
            + pd.to_timedelta(range(count), unit="ms"),
        }
    )
    validator = QualityValidator(load_rules())
    return route_records(validator, records, datetime(2024, 1, 15, 15, 5, tzinfo=UTC))


def test_the_writer_publishes_every_processed_reading(broker: str, tmp_path: Path) -> None:
    frame = routed_batch(200)
    writer = BatchWriter(LocalLake(tmp_path / "lake"), "a1b2c3d4", bootstrap=broker)
    writer.write(frame, 4)
    writer.close()

    processed = zone_rows(utc_times(frame).assign(batch_id=4), "processed")
    assert len(processed) > 100
    sent = [(r.key, json.loads(r.value)) for r in read_topic(broker, PROCESSED_TOPIC)]
    assert sorted(m["reading_id"] for _, m in sent) == sorted(processed["reading_id"])
    by_id = {m["reading_id"]: m for m in reading_messages(processed)}
    for key, message in sent:
        assert message == by_id[message["reading_id"]]
        assert key == str(message["DeviceId"]).encode()
    reports = [json.loads(r.value) for r in read_topic(broker, QUALITY_TOPIC)]
    assert [(r["query"], r["batch_id"], r["records"]) for r in reports] == [("a1b2c3d4", 4, 200)]


def test_a_batch_whose_messages_are_lost_fails_and_leaves_nothing_queued(tmp_path: Path) -> None:
    lake = LocalLake(tmp_path / "lake")
    nobody = f"127.0.0.1:{free_port()}"
    writer = BatchWriter(
        lake, "a1b2c3d4", bootstrap=nobody, producer_options={"message.timeout.ms": 1000}
    )
    with pytest.raises(DeliveryError, match="not delivered"):
        writer.write(routed_batch(50), 0)
    assert writer.stats.batches == 0  # not counted: Spark runs the batch again
    assert lake.exists("quality")  # the lake files were written (and are replaced on replay)
    writer.close()  # nothing of the failed batch is left to report


def test_hour_readings_reads_the_window_columns_of_every_batch_file(tmp_path: Path) -> None:
    lake = LocalLake(tmp_path)
    rows = utc_times(spark_shaped_rows()).assign(batch_id=1)
    rows["DeviceId"] = 1.0
    later = rows.assign(
        time=rows["time"] + pd.Timedelta(minutes=5),
        motor1=pd.array([1300, 1310], dtype="Int32"),  # another batch, another motor type
        batch_id=2,
    )
    write_records(lake, "processed", rows, "part-q-b000000001.snappy.parquet")
    write_records(lake, "alerts", later, "part-q-b000000002.snappy.parquet")

    found = hour_readings(lake, 1, HOUR)
    assert set(found.columns) == {*INPUT_COLUMNS, "DeviceId"}
    assert sorted(found["motor1"].tolist()) == [1200, 1210, 1300, 1310]
    windows = window_aggregates(found)
    hour = windows[windows["window"] == "1 hour"].iloc[0]
    assert hour["readings"] == 4
    assert hour["motor1_mean"] == pytest.approx((1200 + 1210 + 1300 + 1310) / 4)
    assert hour["sensor1_nulls"] == 2  # the NaN of each batch
    assert hour["sensor1_missing"] == 2  # the reason `sensor1: missing ...` of each batch
    assert hour["sensor2_missing"] == 0
