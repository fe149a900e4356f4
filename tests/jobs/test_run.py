"""The main job (`fmslab run`) end to end: real simulator, broker, collector, Spark stream job."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from fmslab.collector.archive import iter_archive
from fmslab.lake.local import LocalLake
from fmslab.lake.records import read_zone
from fmslab.services import pid_alive

from .conftest import settings_of


def _run(env: dict[str, str], *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "fmslab", "run", *args],
        capture_output=True, text=True, env=env, timeout=timeout,
    )  # fmt: skip


def lake_rows(lake_dir: Path) -> pd.DataFrame:
    """reading_id, DeviceId and time of every row in the reading zones."""
    lake = LocalLake(lake_dir)
    frames = []
    for zone in ("processed", "alerts", "quarantine"):
        frame = read_zone(lake, zone)
        if not frame.empty:
            frames.append(frame[["reading_id", "device_id", "time"]].assign(zone=zone))
    return pd.concat(frames, ignore_index=True)


def assert_exactly_once(archive_dir: Path, lake_dir: Path) -> int:
    """Every archived reading is in the lake once by reading_id, or was dropped as a duplicate of
    a stored (DeviceId, time); no reading_id is stored twice. Returns the archived count."""
    archived = list(iter_archive(archive_dir))
    rows = lake_rows(lake_dir)
    counts = Counter(rows["reading_id"])
    assert max(counts.values()) == 1, [k for k, v in counts.items() if v > 1][:5]
    accepted = rows[rows["zone"] != "quarantine"]
    keys = {
        (int(d), pd.Timestamp(t))
        for d, t in zip(accepted["device_id"], accepted["time"], strict=True)
    }
    for reading in archived:
        if reading["reading_id"] not in counts:
            key = (int(reading["DeviceId"]), pd.Timestamp(reading["time"]))
            assert key in keys, f"{reading['reading_id']} is neither stored nor a duplicate"
    return len(archived)


@pytest.mark.slow
def test_run_writes_the_reports_and_stores_every_reading_once(pipeline_env, tmp_path) -> None:
    result = _run(pipeline_env, "--duration", "15", "--interval", "1", "--faults", "none")
    assert result.returncode == 0, result.stderr + result.stdout
    reports = tmp_path / "reports"
    figures = json.loads((reports / "run-report.json").read_text())
    page = (reports / "run-report.html").read_text()
    assert page.count("data:image/png;base64,") >= 2
    assert "Readings per device" in page
    # About 15 polls of 5 devices, every device polled.
    assert 50 <= figures["collected"] <= 100
    assert set(figures["readings_per_device"]) == {"1", "2", "3", "4", "5"}
    assert figures["exactly_once"]["stored_twice"] == 0
    assert sum(figures["zones"].values()) + figures["dropped_duplicates"] == figures["collected"]
    assert set(figures["quality"]["dimensions"]) == {
        "completeness", "accuracy", "consistency", "timeliness"
    }  # fmt: skip
    assert 0.0 <= figures["quality"]["score"] <= 1.0
    assert "readings collected" in result.stdout
    settings = settings_of(pipeline_env)
    count = assert_exactly_once(Path(settings.lake_dir) / "landing", Path(settings.lake_dir))
    assert count == figures["collected"]
    # The collector started only once the stream job had committed its first micro-batch, so no
    # reading's latency holds Spark's start-up.
    assert "starting the stream job" in result.stdout
    assert figures["seconds"]["stream_ready"] > 0
    (checkpoint,) = (tmp_path / "state" / "checkpoints").glob("stream-*")
    first_commit = (checkpoint / "commits" / "0").stat().st_mtime
    archived = iter_archive(Path(settings.lake_dir) / "landing")
    first_collected = min(pd.Timestamp(r["collected_at"]).timestamp() for r in archived)
    assert first_commit <= first_collected
    # Every service it started is stopped: no record left, no recorded pid alive.
    assert not list((tmp_path / "state" / "services").glob("*.json"))
    assert set(figures["services"]) == {"api", "broker", "stream", "collector"}
    assert not [name for name, pid in figures["services"].items() if pid_alive(pid)]


def test_run_rejects_an_interval_longer_than_the_duration(pipeline_env) -> None:
    result = _run(pipeline_env, "--duration", "1", "--interval", "5", timeout=60)
    assert result.returncode == 2
    assert "interval" in result.stderr
