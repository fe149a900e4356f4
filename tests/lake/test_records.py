"""Writing frames into zone partitions and reading zones back, on both backends."""

from __future__ import annotations

import re

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from fmslab.lake.layout import DEFAULT_PARTITION, parse_partition
from fmslab.lake.partitions import list_partitions
from fmslab.lake.records import read_zone, write_records
from fmslab.lake.storage import Lake, LakeError

FILE_NAME = re.compile(r"part-[0-9a-f-]{36}\.snappy\.parquet$")


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(["DeviceId", "time"]).reset_index(drop=True)


def test_write_one_new_file_per_partition_per_call(lake: Lake, readings: pd.DataFrame) -> None:
    first = write_records(lake, "processed", readings)
    # 3 devices x 2 hours
    assert len(first) == 6 and all(FILE_NAME.search(p) for p in first)
    second = write_records(lake, "processed", readings)
    assert not set(first) & set(second)  # a new file every call, nothing overwritten
    parts = list_partitions(lake, "processed")
    assert [len(p.files) for p in parts] == [2] * 6
    for path in first:
        part = parse_partition(path)
        with lake.open(path) as handle:
            table = pq.read_table(handle)
            codec = pq.ParquetFile(handle).metadata.row_group(0).column(0).compression
        assert codec == "SNAPPY"
        times = pd.to_datetime(table.column("time").to_pylist(), utc=True)
        assert set(times.hour) == {part.hour}
        assert set(table.column("DeviceId").to_pylist()) == {part.device_id}


def test_read_zone_restores_partition_columns(lake: Lake, readings: pd.DataFrame) -> None:
    write_records(lake, "processed", readings)
    back = read_zone(lake, "processed")
    assert len(back) == len(readings)
    original_columns = list(readings.columns)
    pd.testing.assert_frame_equal(_sorted(back)[original_columns], _sorted(readings))
    times = pd.to_datetime(back["time"], utc=True)
    assert (back["device_id"] == back["DeviceId"]).all()
    assert (back["date"] == times.dt.strftime("%Y-%m-%d")).all()
    assert (back["hour"] == times.dt.hour).all()


def test_filters_prune_partitions_and_rows(lake: Lake, readings: pd.DataFrame) -> None:
    write_records(lake, "processed", readings)
    one = read_zone(lake, "processed", {"device_id": 2, "hour": 14})
    expected = readings[(readings.DeviceId == 2) & readings.time.str.contains("T14:")]
    assert len(one) == len(expected) == 60
    assert set(one["device_id"]) == {2} and set(one["hour"]) == {14}
    some = read_zone(lake, "processed", {"device_id": [1, 3]})
    assert set(some["device_id"]) == {1, 3} and len(some) == 240
    hot = read_zone(lake, "processed", [("sensor1", ">", 85.0), ("hour", ">=", 14)])
    want = readings[(readings.sensor1 > 85.0) & readings.time.str.contains("T14:")]
    assert len(hot) == len(want) > 0
    with pytest.raises(LakeError, match="bad filter"):
        read_zone(lake, "processed", [("sensor1", "~", 3)])
    with pytest.raises(LakeError, match="unknown column"):
        read_zone(lake, "processed", [("nope", "=", 3)])


def test_aggregates_are_partitioned_by_date_and_hour_only(lake: Lake) -> None:
    windows = pd.DataFrame(
        {
            "window_start": pd.to_datetime(
                ["2024-01-15T13:00:00Z", "2024-01-15T13:00:00Z", "2024-01-15T14:00:00Z"]
            ),
            "DeviceId": [1, 2, 1],
            "avg_sensor1": [80.2, 81.0, 79.9],
        }
    )
    paths = write_records(lake, "aggregates", windows)
    assert [p.rsplit("/", 1)[0] for p in paths] == [
        "aggregates/date=2024-01-15/hour=13",
        "aggregates/date=2024-01-15/hour=14",
    ]
    back = read_zone(lake, "aggregates", {"hour": 13})
    assert sorted(back["DeviceId"]) == [1, 2] and "device_id" not in back.columns


def test_unkeyed_records_are_refused_or_quarantined(lake: Lake) -> None:
    bad = pd.DataFrame(
        {
            "time": ["2024-01-15T13:00:00Z", "not a time", None],
            "DeviceId": ["x", "2", "3"],
            "reason": ["device id not an integer", "time not ISO-8601", "time missing"],
        }
    )
    with pytest.raises(LakeError, match="3 record"):
        write_records(lake, "processed", bad)
    assert list_partitions(lake, "processed") == []  # nothing half-written
    write_records(lake, "quarantine", bad)
    back = read_zone(lake, "quarantine")
    assert sorted(back["reason"]) == sorted(bad["reason"])
    dirs = {p.directory for p in list_partitions(lake, "quarantine")}
    assert f"quarantine/device_id={DEFAULT_PARTITION}/date=2024-01-15/hour=13" in dirs
    assert back["date"].isna().sum() == 2 and back["device_id"].isna().sum() == 1


def test_missing_columns_and_unstorable_values_are_clear_errors(lake: Lake) -> None:
    with pytest.raises(LakeError, match="no time column"):
        write_records(lake, "processed", pd.DataFrame({"DeviceId": [1]}))
    with pytest.raises(LakeError, match="no device id column"):
        write_records(lake, "processed", pd.DataFrame({"time": ["2024-01-15T13:00:00Z"]}))
    # device 1 is fine, device 2 cannot be stored: nothing at all is written
    mixed = pd.DataFrame(
        {
            "time": ["2024-01-15T13:00:00Z"] * 3,
            "DeviceId": [1, 2, 2],
            "sensor1": [1.5, 2.5, "abc"],
        }
    )
    with pytest.raises(LakeError, match="Parquet"):
        write_records(lake, "quarantine", mixed)
    assert list_partitions(lake, "quarantine") == []
    assert write_records(lake, "processed", pd.DataFrame()) == []


def test_spark_written_partitions_and_bookkeeping_files(lake: Lake) -> None:
    # What a Spark file sink leaves: unpadded hour, _SUCCESS, a _spark_metadata log
    table = pa.table({"time": ["2024-01-15T07:05:00Z"], "DeviceId": [1], "sensor1": [80.0]})
    directory = "processed/device_id=1/date=2024-01-15/hour=7"
    with lake.open(f"{directory}/part-00000-abc.c000.snappy.parquet", "wb") as handle:
        pq.write_table(table, handle)
    lake.write_bytes(f"{directory}/_SUCCESS", b"")
    lake.write_bytes("processed/_spark_metadata/0", b"v1\n{}")
    back = read_zone(lake, "processed")
    assert back[["DeviceId", "hour", "date"]].values.tolist() == [[1, 7, "2024-01-15"]]
    assert [p.directory for p in list_partitions(lake, "processed")] == [directory]


def test_named_batches_are_idempotent(lake: Lake, readings: pd.DataFrame) -> None:
    first = write_records(
        lake, "processed", readings, file_name="part-q1-b000000007.snappy.parquet"
    )
    again = write_records(
        lake, "processed", readings, file_name="part-q1-b000000007.snappy.parquet"
    )
    assert first == again and all(p.endswith("/part-q1-b000000007.snappy.parquet") for p in first)
    assert len(read_zone(lake, "processed")) == len(readings)  # replaced, not added
    assert {len(p.files) for p in list_partitions(lake, "processed")} == {1}
    for bad in ("../x.parquet", "_hidden.parquet", "data.csv"):
        with pytest.raises(LakeError, match="file_name"):
            write_records(lake, "processed", readings, file_name=bad)
