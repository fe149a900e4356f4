"""Per-zone retention, on both backends: dry run lists, real run deletes exactly that."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from fmslab.lake.partitions import list_partitions
from fmslab.lake.records import read_zone, write_records
from fmslab.lake.retention import apply_retention, expired_partitions
from fmslab.lake.storage import Lake

MakeReadings = Callable[..., pd.DataFrame]
DAYS = ("2024-01-01", "2024-01-10", "2024-02-20")


def _fill(lake: Lake, zone: str, make_readings: MakeReadings) -> None:
    for day in DAYS:
        write_records(lake, zone, make_readings(start=f"{day}T13:00:00Z", minutes=60, devices=2))


def _dates(lake: Lake, zone: str) -> set[str]:
    return {p.partition.date for p in list_partitions(lake, zone)}


def test_dry_run_lists_what_would_go_and_deletes_nothing(
    lake: Lake, make_readings: MakeReadings
) -> None:
    _fill(lake, "processed", make_readings)
    listing = sorted(e.path for e in lake.walk("processed"))
    # processed keeps 365 days: at 2025-01-08 the cutoff is 2024-01-09, so only 2024-01-01 is old
    planned = apply_retention(lake, "processed", now="2025-01-08T00:00:00Z", dry_run=True)
    assert [(e.directory, e.files, e.deleted) for e in planned] == [
        ("processed/device_id=1/date=2024-01-01", 1, False),
        ("processed/device_id=2/date=2024-01-01", 1, False),
    ]
    assert all(e.retention_days == 365 and e.age_days == 373 and e.bytes > 0 for e in planned)
    assert sorted(e.path for e in lake.walk("processed")) == listing


def test_real_run_deletes_only_expired_partitions(lake: Lake, make_readings: MakeReadings) -> None:
    _fill(lake, "processed", make_readings)
    before = read_zone(lake, "processed")
    done = apply_retention(lake, "processed", now="2025-01-08T00:00:00Z")
    assert len(done) == 2 and all(e.deleted for e in done)
    assert _dates(lake, "processed") == {"2024-01-10", "2024-02-20"}
    after = read_zone(lake, "processed")
    assert len(after) == len(before[before["date"] != "2024-01-01"])
    # 2024-01-10 ends at 2024-01-11 00:00, which is 365 days (2024 is a leap year) before
    # 2025-01-10 00:00: it goes at that instant, not a second earlier
    assert expired_partitions(lake, "processed", now="2025-01-09T23:59:59Z") == []
    assert len(expired_partitions(lake, "processed", now="2025-01-10T00:00:00Z")) == 2


def test_each_zone_uses_its_own_retention(lake: Lake, make_readings: MakeReadings) -> None:
    for zone in ("quarantine", "alerts", "aggregates"):
        frame = None
        if zone == "aggregates":
            frame = pd.DataFrame(
                {
                    "window_start": [f"{d}T13:00:00Z" for d in DAYS],
                    "DeviceId": [1, 1, 1],
                    "avg": [1.0, 2.0, 3.0],
                }
            )
            write_records(lake, zone, frame)
        else:
            _fill(lake, zone, make_readings)
    now = "2024-03-01T00:00:00Z"
    # quarantine keeps 30 days: only 2024-02-20 survives; alerts and aggregates keep all three
    assert {e.date for e in expired_partitions(lake, "quarantine", now)} == {
        "2024-01-01",
        "2024-01-10",
    }
    assert expired_partitions(lake, "alerts", now) == []
    assert expired_partitions(lake, "aggregates", now) == []
    apply_retention(lake, "quarantine", now)
    assert _dates(lake, "quarantine") == {"2024-02-20"}
    # aggregates have no device level: the date directory is directly under the zone
    old = expired_partitions(lake, "aggregates", "2025-01-15T00:00:00Z")
    assert [e.directory for e in old] == [
        "aggregates/date=2024-01-01",
        "aggregates/date=2024-01-10",
    ]


def test_undated_quarantine_records_are_kept(lake: Lake) -> None:
    bad = pd.DataFrame({"time": [None], "DeviceId": [1], "reason": ["time missing"]})
    write_records(lake, "quarantine", bad)
    assert apply_retention(lake, "quarantine", now="2099-01-01T00:00:00Z") == []
    assert len(read_zone(lake, "quarantine")) == 1
