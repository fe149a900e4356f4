"""Compaction of closed hours, on both backends: same rows, one file per closed hour."""

from __future__ import annotations

import json
import posixpath
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from fmslab.lake.compaction import COMPACTED_FROM, compact_zone
from fmslab.lake.partitions import list_partitions
from fmslab.lake.records import read_zone, write_records
from fmslab.lake.storage import Lake, LakeError

MakeReadings = Callable[..., pd.DataFrame]

# Readings cover 13:00-14:59 UTC; at 14:30 with the zones file's 10 min grace, hour 13 is closed
# (it ended at 14:00) and hour 14 is still open.
NOW = "2024-01-15T14:30:00Z"


def _fill(lake: Lake, make_readings: MakeReadings, batches: int = 4) -> pd.DataFrame:
    frames = [make_readings(seed=seed) for seed in range(batches)]
    for frame in frames:
        write_records(lake, "processed", frame)  # one small file per partition per batch
    return pd.concat(frames, ignore_index=True)


def _files_by_hour(lake: Lake) -> dict[str, int]:
    return {p.directory: len(p.files) for p in list_partitions(lake, "processed")}


def _key(frame: pd.DataFrame) -> pd.DataFrame:
    cols = ["time", "DeviceId", "sensor1", "motor1", "isFail"]
    return frame[cols].sort_values(cols).reset_index(drop=True)


@pytest.mark.slow
def test_compaction_merges_closed_hours_and_keeps_every_row(
    lake: Lake, make_readings: MakeReadings
) -> None:
    written = _fill(lake, make_readings)
    before = read_zone(lake, "processed")
    assert set(_files_by_hour(lake).values()) == {4}

    results = compact_zone(lake, "processed", now=NOW)
    by_status = {r.partition: r.status for r in results}
    assert sorted(by_status.values()) == ["compacted"] * 3 + ["open"] * 3
    files = _files_by_hour(lake)
    for directory, count in files.items():
        assert count == (1 if directory.endswith("hour=13") else 4), directory
    for result in results:
        assert result.rows_before == result.rows_after == 4 * 60
    after = read_zone(lake, "processed")
    assert len(after) == len(before) == len(written)
    pd.testing.assert_frame_equal(_key(after), _key(before))

    # the merged file is snappy Parquet, sorted by time, and records what it replaced
    merged = next(r for r in results if r.status == "compacted")
    with lake.open(merged.merged_file) as handle:
        table = pq.read_table(handle)
        codec = pq.ParquetFile(handle).metadata.row_group(0).column(0).compression
    assert codec == "SNAPPY"
    assert table.column("time").to_pylist() == sorted(table.column("time").to_pylist())
    assert COMPACTED_FROM in table.schema.metadata

    # a second run finds nothing to do in closed hours
    again = compact_zone(lake, "processed", now=NOW)
    assert [r.status for r in again] == ["open"] * 3
    # once the day is over, the open hours are compacted too
    compact_zone(lake, "processed", now="2024-01-16T00:00:00Z")
    assert set(_files_by_hour(lake).values()) == {1}
    assert len(read_zone(lake, "processed")) == len(written)


def test_dry_run_changes_nothing(lake: Lake, make_readings: MakeReadings) -> None:
    _fill(lake, make_readings, batches=3)
    listing = sorted(e.path for e in lake.walk("processed"))
    results = compact_zone(lake, "processed", now=NOW, dry_run=True)
    assert sorted(r.status for r in results) == ["open"] * 3 + ["would-compact"] * 3
    assert all(r.files_before == 3 for r in results)
    assert sorted(e.path for e in lake.walk("processed")) == listing


def test_interrupted_compaction_is_finished_without_duplicates(
    lake: Lake, make_readings: MakeReadings
) -> None:
    _fill(lake, make_readings, batches=3)
    rows = len(read_zone(lake, "processed"))
    # Simulate a crash after the merged file was written but before the sources were deleted:
    # merge one partition's files by hand, recording them, and delete only one source.
    part = next(p for p in list_partitions(lake, "processed") if p.directory.endswith("hour=13"))
    tables = []
    for entry in part.files:
        with lake.open(entry.path) as handle:
            tables.append(pq.read_table(handle))
    merged = pa.concat_tables(tables)
    names = sorted(e.name for e in part.files)
    merged = merged.replace_schema_metadata({COMPACTED_FROM: json.dumps(names).encode()})
    with lake.open(posixpath.join(part.directory, "part-merged.snappy.parquet"), "wb") as handle:
        pq.write_table(merged, handle, compression="snappy")
    lake.delete(part.files[0].path)
    assert len(read_zone(lake, "processed")) > rows  # the crash left duplicates behind

    results = compact_zone(lake, "processed", now=NOW)
    fixed = next(r for r in results if r.partition == part.directory)
    assert len(fixed.leftovers_removed) == 2
    assert _files_by_hour(lake)[part.directory] == 1
    assert len(read_zone(lake, "processed")) == rows


def test_schema_drift_between_files_is_merged_with_nulls(
    lake: Lake, make_readings: MakeReadings
) -> None:
    old = make_readings(minutes=30, devices=1, seed=1)
    new = make_readings(start="2024-01-15T13:30:00Z", minutes=30, devices=1, seed=2)
    new["sensor2"] = 88.5  # a later batch carries a new column
    write_records(lake, "processed", old)
    write_records(lake, "processed", new)
    compact_zone(lake, "processed", now=NOW)
    back = read_zone(lake, "processed")
    assert len(back) == 60 and back["sensor2"].isna().sum() == 30
    assert _files_by_hour(lake) == {"processed/device_id=1/date=2024-01-15/hour=13": 1}


def test_a_running_compaction_locks_the_zone(lake: Lake, make_readings: MakeReadings) -> None:
    _fill(lake, make_readings, batches=2)
    lock = "processed/_compaction.lock"
    assert lake.create_new(lock, datetime.now(UTC).isoformat().encode())
    listing = sorted(e.path for e in lake.walk("processed"))
    with pytest.raises(LakeError, match="another compaction"):
        compact_zone(lake, "processed", now=NOW)
    assert sorted(e.path for e in lake.walk("processed")) == listing
    # a lock left by a crashed run two hours ago is broken
    lake.write_bytes(lock, (datetime.now(UTC) - timedelta(hours=2)).isoformat().encode(), True)
    results = compact_zone(lake, "processed", now=NOW)
    assert sum(r.status == "compacted" for r in results) == 3
    assert not lake.exists(lock)  # released after the run


def test_a_batch_replayed_after_compaction_is_not_counted_twice(
    lake: Lake, make_readings: MakeReadings
) -> None:
    batches = {f"part-q-b{n:09d}.snappy.parquet": make_readings(seed=n) for n in range(3)}
    for name, frame in batches.items():
        write_records(lake, "processed", frame, file_name=name)
    rows = len(read_zone(lake, "processed"))
    compact_zone(lake, "processed", now="2024-01-16T00:00:00Z")
    compact_zone(lake, "processed", now="2024-01-16T00:00:00Z")  # nothing left to merge
    # the pipeline restarts and replays batch 1 (same offsets, same rows, same file name)
    name = "part-q-b000000001.snappy.parquet"
    write_records(lake, "processed", batches[name], file_name=name)
    assert len(read_zone(lake, "processed")) == rows + len(batches[name])
    results = compact_zone(lake, "processed", now="2024-01-16T00:00:00Z")
    assert all(r.leftovers_removed and r.files_after == 1 for r in results)
    assert len(read_zone(lake, "processed")) == rows
