"""The sink's aggregates keep each lake file's window inputs in memory: same windows as reading
every file again, only new or rewritten files read, and changes by other writers followed."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from fmslab.lake.layout import partition_path
from fmslab.lake.local import LocalLake
from fmslab.lake.records import read_zone, write_records
from fmslab.streaming.aggregates import (
    ACCEPTED_ZONES,
    WindowInputCache,
    hour_readings,
    refresh_aggregates,
    window_aggregates,
)
from fmslab.streaming.sinks import BatchWriter, utc_times
from tests.streaming.bench_write import routed_batch

START = pd.Timestamp("2026-01-15T12:40:00")  # 1,500 s: the readings cross into 13:00


@pytest.fixture(scope="module")
def routed() -> pd.DataFrame:
    """1,500 routed readings (5 devices, payload faults), one reading per second from START."""
    frame = routed_batch(1500, seed=11)
    frame["time"] = START + pd.to_timedelta(range(len(frame)), unit="s")
    return frame


def recomputed(lake: LocalLake) -> pd.DataFrame:
    """The windows of every (device, hour) of the lake, each file read afresh (no cache)."""
    accepted = pd.concat([read_zone(lake, zone) for zone in ACCEPTED_ZONES], ignore_index=True)
    hours = pd.to_datetime(accepted["time"], utc=True).dt.floor("1h")
    pairs = sorted({(int(d), h) for d, h in zip(accepted["DeviceId"], hours, strict=True)})
    frames = [hour_readings(lake, device, hour) for device, hour in pairs]
    return window_aggregates(pd.concat(frames, ignore_index=True))


def stored(lake: LocalLake) -> pd.DataFrame:
    """The aggregates zone as the sink wrote it, in the order `window_aggregates` gives."""
    frame = read_zone(lake, "aggregates").drop(columns=["date", "hour"])
    order = {"1 minute": 0, "1 hour": 1}
    frame = frame.assign(order=frame["window"].map(order))
    frame = frame.sort_values(["order", "DeviceId", "window_start"]).drop(columns="order")
    return frame.reset_index(drop=True)


def assert_same_windows(lake: LocalLake) -> None:
    expected = recomputed(lake)
    got = stored(lake)[list(expected.columns)]
    pd.testing.assert_frame_equal(got, expected, check_exact=True, check_dtype=False)


def test_a_batch_reads_only_its_own_files_and_the_windows_equal_a_full_reread(
    tmp_path: Path, routed: pd.DataFrame
) -> None:
    lake = LocalLake(tmp_path / "lake")
    writer = BatchWriter(lake, "cache001")
    cache = writer._window_inputs
    for batch_id in range(3):  # the last batch also opens the hour 13:00
        before = cache.files_read
        rows = routed.iloc[batch_id * 500 : (batch_id + 1) * 500].reset_index(drop=True)
        writer.write(rows, batch_id)
        own = {
            path
            for zone in ACCEPTED_ZONES
            if lake.exists(zone)
            for path in _files(lake, zone)
            if path.endswith(f"b{batch_id:09d}.snappy.parquet")
        }
        # Nothing was read back: the batch's own files were kept as they were written and the
        # earlier ones came from memory.
        assert own and cache.files_read == before
        assert_same_windows(lake)


def _written(
    tmp_path: Path, token: str, routed: pd.DataFrame, *spans: tuple[int, int]
) -> tuple[LocalLake, BatchWriter]:
    """A sink that has written the rows of each span as batches 0, 1, ..."""
    lake = LocalLake(tmp_path / "lake")
    writer = BatchWriter(lake, token)
    for batch_id, (start, stop) in enumerate(spans):
        writer.write(routed.iloc[start:stop].reset_index(drop=True), batch_id)
    return lake, writer


def test_a_replayed_batch_with_other_rows_replaces_its_inputs(
    tmp_path: Path, routed: pd.DataFrame
) -> None:
    lake, writer = _written(tmp_path, "cache002", routed, (0, 400), (400, 800))
    # Batch 1 runs again and routes differently (e.g. the wall-clock checks): fewer rows, and
    # the same files, rewritten under the same names.
    replay = routed.iloc[400:800].reset_index(drop=True)
    replay = replay.assign(sensor1=replay["sensor1"] + 1.0).iloc[::2].reset_index(drop=True)
    cache = writer._window_inputs
    before = cache.files_read
    writer.write(replay, 1)
    # Forgotten before the rewrite whatever its size; what the replay wrote is kept as written,
    # and a batch-1 file it no longer writes (a partition left without rows) is read again.
    # Batch 0's files are not read.
    batch1 = {p for z in ACCEPTED_ZONES for p in _files(lake, z) if "b000000001" in p}
    hours = pd.to_datetime(replay["time"], utc=True).dt.floor("1h")
    written = {
        f"{partition_path(zone, int(d), h)}/part-cache002-b000000001.snappy.parquet"
        for zone, d, h in zip(replay["zone"], replay["DeviceId"], hours, strict=True)
        if zone in ACCEPTED_ZONES
    }
    assert written and written <= batch1
    assert cache.files_read - before == len(batch1 - written)
    assert_same_windows(lake)
    hour_rows = stored(lake).query("window == '1 hour'")["readings"].sum()
    assert hour_rows == len(read_zone(lake, "processed")) + len(read_zone(lake, "alerts"))


def test_files_added_or_removed_by_another_writer_are_followed(
    tmp_path: Path, routed: pd.DataFrame
) -> None:
    lake, writer = _written(tmp_path, "cache003", routed, (0, 400))
    # Reconcile adds readings under a new name; retention or compaction removes a batch file.
    extra = utc_times(routed.iloc[400:500]).assign(batch_id=-1)
    extra = extra[extra["zone"] == "processed"]
    write_records(lake, "processed", extra)
    gone = next(iter(_files(lake, "processed")))
    lake.delete(gone)
    writer.write(routed.iloc[500:900].reset_index(drop=True), 1)
    assert_same_windows(lake)


def test_evicted_hours_are_read_again(tmp_path: Path, routed: pd.DataFrame) -> None:
    lake = LocalLake(tmp_path / "lake")
    writer = BatchWriter(lake, "cache004")
    writer.write(routed.iloc[:400].reset_index(drop=True), 0)
    small = WindowInputCache(max_rows=50)  # less than one device-hour: evicted at once
    touched = {(device, pd.Timestamp("2026-01-15T12:00Z")) for device in range(1, 6)}
    refresh_aggregates(lake, touched, small)
    first = small.files_read
    refresh_aggregates(lake, touched, small)
    assert small.files_read == 2 * first  # read again, not taken from memory
    accepted = sum(len(read_zone(lake, zone)) for zone in ACCEPTED_ZONES)
    assert 0 < small.rows() < accepted / 2  # only the last device-hour is kept
    assert_same_windows(lake)


def _files(lake: LocalLake, zone: str) -> list[str]:
    root = Path(lake.root)
    return sorted(str(p.relative_to(root)) for p in (root / zone).rglob("*.parquet") if p.is_file())
