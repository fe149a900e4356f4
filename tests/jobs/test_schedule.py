"""`fmslab schedule` as a real process: a missing JDK ends it CRITICAL; --duration bounds it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from fmslab.services import free_port


def _schedule(env: dict[str, str], *args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "fmslab", "schedule", *args],
        capture_output=True, text=True, env=env, timeout=timeout,
    )  # fmt: skip


def _rows(work: Path) -> list[dict]:
    return [json.loads(line) for line in (work / "runs.jsonl").read_text().splitlines()]


def test_a_missing_jdk_ends_the_first_cycle_critical_and_stops_the_run(
    pipeline_env: dict[str, str], tmp_path: Path
) -> None:
    work = tmp_path / "work"
    env = {**pipeline_env, "JAVA_HOME": str(tmp_path / "no-jdk")}  # a JDK that is not there
    args = ["--cycles", "3", "--collect", "1", "--interval", "0.5", "--devices", "2"]
    result = _schedule(env, *args, "--work-dir", str(work))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "cycle 1: CRITICAL" in result.stdout and "cycle 2" not in result.stdout
    assert "processing: JavaNotFoundError" in result.stdout
    assert "CRITICAL 1; notified 1" in result.stdout
    assert "CRITICAL" in result.stderr  # the default notifier's log line
    rows = _rows(work)
    assert [(r["step"], r["status"], r["attempts"]) for r in rows] == [
        ("collection", "ok", 1),
        ("processing", "failed", 1),  # CRITICAL is never retried
        ("quality_check", "skipped", 0),
    ]
    assert rows[0]["result"]["produced"] > 0  # the private simulator and broker did run
    broker_log = work / "services" / "log" / "broker.log"
    assert broker_log.is_file() and broker_log.stat().st_size > 0
    assert not list((work / "services" / "services").glob("*.json"))  # both stopped by pid


def test_duration_bounds_the_cycles_and_failures_exit_1(
    pipeline_env: dict[str, str], tmp_path: Path
) -> None:
    work = tmp_path / "work"
    stopped = [
        "--api-url",
        f"http://127.0.0.1:{free_port()}",
        "--bootstrap",
        f"127.0.0.1:{free_port()}",
    ]
    result = _schedule(
        pipeline_env, "--every", "1", "--duration", "2.5", "--work-dir", str(work), *stopped
    )
    assert result.returncode == 1, result.stdout + result.stderr
    # Each cycle spends ~1.5 s retrying the broker: cycles start at 0 and ~1.5 s, none at ~3 s.
    cycles = sorted({r["cycle"] for r in _rows(work)})
    assert cycles == [1, 2]
    assert "2 cycle(s), 0 ok" in result.stdout
    assert "retrying" in result.stderr  # tenacity's retries are logged


def test_a_default_run_writes_its_records_under_the_state_dir(
    pipeline_env: dict[str, str],
) -> None:
    stopped = [
        "--api-url",
        f"http://127.0.0.1:{free_port()}",
        "--bootstrap",
        f"127.0.0.1:{free_port()}",
    ]
    result = _schedule(pipeline_env, *stopped)
    assert result.returncode == 1
    runs = list((Path(pipeline_env["FMSLAB_STATE_DIR"]) / "schedule").glob("run-*/runs.jsonl"))
    assert len(runs) == 1 and len(runs[0].read_text().splitlines()) == 3
