"""`write_records` with one file name per row: one file per (partition, name), same rows."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from fmslab.lake.local import LocalLake
from fmslab.lake.records import read_zone, write_records
from fmslab.lake.storage import LakeError


def windows() -> pd.DataFrame:
    starts = pd.to_datetime(
        ["2024-01-15T13:00Z", "2024-01-15T13:01Z", "2024-01-15T14:00Z", "2024-01-15T13:02Z"]
    )
    return pd.DataFrame(
        {"DeviceId": [1, 2, 1, 1], "window_start": starts, "readings": [3, 4, 5, 6]}
    )


def test_each_partition_gets_one_file_per_name(tmp_path: Path) -> None:
    lake = LocalLake(tmp_path)
    frame = windows()
    names = [f"part-device-{d}.snappy.parquet" for d in frame["DeviceId"]]
    paths = write_records(lake, "aggregates", frame, names)
    assert paths == [
        "aggregates/date=2024-01-15/hour=13/part-device-1.snappy.parquet",
        "aggregates/date=2024-01-15/hour=13/part-device-2.snappy.parquet",
        "aggregates/date=2024-01-15/hour=14/part-device-1.snappy.parquet",
    ]
    back = read_zone(lake, "aggregates").sort_values("readings").reset_index(drop=True)
    assert back["readings"].tolist() == [3, 4, 5, 6]
    assert back["DeviceId"].tolist() == [1, 2, 1, 1]
    # Written again with other rows: the named files are replaced, not added to.
    write_records(lake, "aggregates", frame.assign(readings=frame["readings"] * 10), names)
    again = read_zone(lake, "aggregates")
    assert sorted(again["readings"].tolist()) == [30, 40, 50, 60]


def test_names_must_be_one_per_row_and_plain(tmp_path: Path) -> None:
    lake = LocalLake(tmp_path)
    with pytest.raises(LakeError, match="one per row"):
        write_records(lake, "aggregates", windows(), ["part-a.parquet"] * 3)
    with pytest.raises(LakeError, match="plain visible"):
        write_records(lake, "aggregates", windows(), ["part-a.parquet"] * 3 + ["x/y.parquet"])
    assert not lake.exists("aggregates")  # nothing written before the check
