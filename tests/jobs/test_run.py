"""The main job (`fmslab run`) end to end: a real simulator process, real HTTP, real rules."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fmslab.services import free_port


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "FMSLAB_API_PORT": str(free_port()),
        "FMSLAB_STATE_DIR": str(tmp_path / "state"),
        "FMSLAB_REPORTS_DIR": str(tmp_path / "reports"),
        "FMSLAB_SEED": "11",
        "COLUMNS": "120",
    }
    return subprocess.run(
        [sys.executable, "-m", "fmslab", "run", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


@pytest.mark.slow
def test_run_polls_every_device_each_interval_and_writes_the_report(tmp_path: Path) -> None:
    result = _run(tmp_path, "--duration", "3", "--interval", "0.5", "--faults", "none")
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "reports" / "quality-report.json").read_text())
    # 6 ticks x 5 devices, nothing lost: every request brought back a payload.
    assert report["requests"] == 30
    assert report["payloads"] == 30
    assert report["api_errors"] == {}
    zones = [r["zone"] for r in report["records"]]
    assert len(zones) == 30
    assert set(zones) <= {"processed", "alerts", "quarantine", "dropped"}
    assert set(report["dimensions"]) == {"completeness", "accuracy", "consistency", "timeliness"}
    assert 0.0 <= report["score"] <= 1.0
    assert "Quality report" in (tmp_path / "reports" / "quality-report.md").read_text()
    assert "completeness" in result.stdout
    # The simulator it started is stopped: no service state left behind.
    assert not list((tmp_path / "state" / "services").glob("*.json"))


def test_run_rejects_an_interval_longer_than_the_duration(tmp_path: Path) -> None:
    result = _run(tmp_path, "--duration", "1", "--interval", "5")
    assert result.returncode == 2
    assert "interval" in result.stderr
