"""`fmslab reconcile`: the landing archive against the lake, backfilled through the rule engine."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from fmslab.collector.archive import LandingArchive
from fmslab.jobs.reconcile import reconcile
from fmslab.lake.local import LocalLake
from fmslab.lake.records import read_zone

START = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def readings(first: int, count: int, devices: int = 2, seed: int = 5) -> list[dict]:
    """Readings first..first+count-1 of each device, 10 s apart, as the collector archives them."""
    rng = np.random.default_rng(seed + first)
    out = []
    for step in range(first, first + count):
        moment = START + timedelta(seconds=10 * step)
        for device in range(1, devices + 1):
            out.append(
                {
                    "time": _iso(moment),
                    "DeviceId": device,
                    "sensor1": round(float(rng.normal(80, 5)), 2),
                    "sensor2": round(float(rng.normal(60, 4)), 2),
                    "sensor3": round(float(rng.normal(75, 6)), 2),
                    "motor1": round(float(rng.normal(1200, 100)), 2),
                    "motor2": round(float(rng.normal(850, 80)), 2),
                    "motor3": round(float(rng.normal(1100, 90)), 2),
                    "isFail": bool(step % 7 == 3 and device == 2),
                    "collected_at": _iso(moment + timedelta(milliseconds=40)),
                    "reading_id": f"{device}-{int(moment.timestamp() * 1000)}-{step}",
                }
            )
    return out


def lake_ids(lake: LocalLake) -> Counter[str]:
    ids: Counter[str] = Counter()
    for zone in ("processed", "alerts", "quarantine"):
        frame = read_zone(lake, zone)
        if not frame.empty:
            ids.update(frame["reading_id"])
    return ids


@pytest.fixture
def archive(tmp_path: Path) -> LandingArchive:
    return LandingArchive(tmp_path / "landing")


@pytest.fixture
def lake(tmp_path: Path) -> LocalLake:
    return LocalLake(tmp_path / "lake")


def test_an_empty_lake_is_backfilled_once_and_a_second_run_finds_nothing(archive, lake) -> None:
    batch = readings(0, 12)
    archive.append(batch)
    first = reconcile(archive.root, lake)
    assert (first.archived, first.in_lake, first.missing) == (24, 0, 24)
    assert first.backfilled == 24
    # isFail readings go to the alert zone, the rest to processed: the engine routed them.
    assert first.zones["alerts"] == sum(r["isFail"] for r in batch)
    assert first.zones["processed"] == 24 - first.zones["alerts"]
    assert first.token.startswith("reconcile")
    ids = lake_ids(lake)
    assert set(ids) == {r["reading_id"] for r in batch}
    assert max(ids.values()) == 1
    second = reconcile(archive.root, lake)
    assert (second.in_lake, second.missing, second.backfilled) == (24, 0, 0)
    assert lake_ids(lake) == ids


def test_dry_run_counts_and_writes_nothing(archive, lake) -> None:
    archive.append(readings(0, 3))
    result = reconcile(archive.root, lake, dry_run=True)
    assert (result.missing, result.backfilled, result.dry_run) == (6, 0, True)
    assert not lake_ids(lake)


def test_only_the_missing_part_is_backfilled_after_the_devices_history(archive, lake) -> None:
    archive.append(readings(0, 10))
    reconcile(archive.root, lake)
    later = readings(10, 5)
    archive.append(later)
    result = reconcile(archive.root, lake)
    assert (result.archived, result.in_lake, result.missing, result.backfilled) == (30, 20, 10, 10)
    ids = lake_ids(lake)
    assert len(ids) == 30 and max(ids.values()) == 1
    # Seeded with the earlier readings, the later ones are in order, not flagged as disorder.
    processed = read_zone(lake, "processed")
    reasons = [
        r
        for rid, rs in zip(processed["reading_id"], processed["reasons"], strict=True)
        if rid in {x["reading_id"] for x in later}
        for r in rs
    ]
    assert not [r for r in reasons if "order" in r]


def test_a_duplicate_of_a_stored_reading_counts_as_accounted(archive, lake) -> None:
    batch = readings(0, 4)
    archive.append(batch)
    reconcile(archive.root, lake)
    copy = {**batch[0], "reading_id": "1-duplicate-poll"}  # same (DeviceId, time), new id
    archive.append([copy])
    result = reconcile(archive.root, lake)
    assert (result.duplicates, result.missing, result.backfilled) == (1, 0, 0)
    assert "1-duplicate-poll" not in lake_ids(lake)


def test_two_missing_copies_of_one_reading_store_one(archive, lake) -> None:
    batch = readings(0, 2)
    copy = {**batch[0], "reading_id": "copy"}
    archive.append([*batch, copy])
    first = reconcile(archive.root, lake)
    assert first.missing == 5
    assert first.zones["dropped"] == 1 and first.backfilled == 4
    second = reconcile(archive.root, lake)
    assert (second.missing, second.duplicates, second.backfilled) == (0, 1, 0)


def test_out_of_range_readings_go_to_quarantine_with_a_reason(archive, lake) -> None:
    bad = {**readings(0, 1, devices=1)[0], "sensor3": 999.0}
    archive.append([bad])
    result = reconcile(archive.root, lake)
    assert result.backfilled == 1
    stored = read_zone(lake, "processed")
    quarantine = read_zone(lake, "quarantine")
    where = stored if not stored.empty else quarantine
    assert list(where["reading_id"]) == [bad["reading_id"]]
    assert any("sensor3" in reason for reason in where["reasons"].iloc[0])


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fmslab", "reconcile", *args],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_the_command_prints_counts_as_json_and_text(archive, lake, tmp_path: Path) -> None:
    archive.append(readings(0, 2))
    args = ("--archive-dir", str(archive.root), "--lake-dir", str(tmp_path / "lake"))
    dry = _cli(*args, "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    assert json.loads(dry.stdout)["missing"] == 4
    real = _cli(*args)
    assert real.returncode == 0, real.stderr
    assert "archived 4" in real.stdout and "backfilled 4" in real.stdout
    again = json.loads(_cli(*args, "--json").stdout)
    assert (again["in_lake"], again["missing"], again["backfilled"]) == (4, 0, 0)


def test_a_missing_archive_is_a_clear_error(tmp_path: Path) -> None:
    result = _cli("--archive-dir", str(tmp_path / "nowhere"), "--lake-dir", str(tmp_path))
    assert result.returncode == 2
    assert "no landing archive" in result.stderr


def test_the_engine_is_seeded_with_the_devices_history_in_the_lake(archive, lake) -> None:
    batch = readings(0, 5, devices=1)
    archive.append(batch)
    reconcile(archive.root, lake)
    # A read failure (-1) is interpolated with the device's previous valid value: the last
    # reading already in the lake, which only a seeded engine knows.
    failed = {**readings(5, 1, devices=1)[0], "sensor1": -1}
    archive.append([failed])
    assert reconcile(archive.root, lake).backfilled == 1
    stored = read_zone(lake, "processed").set_index("reading_id")
    assert stored.loc[failed["reading_id"], "sensor1"] == batch[-1]["sensor1"]
