"""`fmslab monitor up|status|down` with the real binaries; the message where they are missing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fmslab.config import Settings
from fmslab.monitoring import monitor
from fmslab.services import pid_alive, wait_until


def _fmslab(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "fmslab", *args], capture_output=True, text=True, env=env,
        timeout=120,
    )  # fmt: skip


def test_up_status_down(tmp_path: Path) -> None:
    if monitor.missing_binaries():
        pytest.skip(monitor.INSTALL_HINT)
    env = {**os.environ, "FMSLAB_STATE_DIR": str(tmp_path / "state"), "COLUMNS": "200"}
    done = _fmslab(env, "monitor", "up", "--scrape-interval", "1s")
    try:
        assert done.returncode == 0, done.stderr

        # Prometheus lists its targets a moment after it is ready (polled in-process: cheaper).
        settings = Settings(state_dir=tmp_path / "state")
        assert wait_until(lambda: len(monitor.status(settings)[1].get("targets") or {}) == 6, 20)
        rows = json.loads(_fmslab(env, "monitor", "status", "--json").stdout)
        assert [(r["name"], r["alive"], r["ready"]) for r in rows] == [
            ("alertmanager", True, True),
            ("prometheus", True, True),
        ]
        # Prometheus scrapes every service of the pipeline (none runs here, so they are not up).
        jobs = set(rows[1]["targets"])
        assert jobs == {"fms-api", "collector", "stream", "alerts", "prometheus", "alertmanager"}
        again = _fmslab(env, "monitor", "up")
        assert again.returncode == 1 and "already running" in again.stderr
    finally:
        down = _fmslab(env, "monitor", "down")
    assert down.stdout.strip() == "stopped: prometheus, alertmanager"
    assert not any(pid_alive(r["pid"]) for r in rows)
    assert not (tmp_path / "state" / "monitor").exists()


def test_missing_binaries_say_how_to_install(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": "", "FMSLAB_STATE_DIR": str(tmp_path / "state")}
    done = _fmslab(env, "monitor", "up")
    assert done.returncode == 1
    for hint in ("prometheus and alertmanager not found", "apt-get install", "brew", "conda"):
        assert hint in done.stderr
