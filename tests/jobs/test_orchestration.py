"""`fmslab up|status|down`: the embedded pipeline as background services, checked and stopped."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from fmslab.jobs.orchestration import up
from fmslab.services import ServiceError, pid_alive

from .conftest import settings_of


def _fmslab(env: dict[str, str], *args: str, timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "fmslab", *args],
        capture_output=True, text=True, env=env, timeout=timeout,
    )  # fmt: skip


def test_status_of_a_pipeline_never_started_is_down(pipeline_env) -> None:
    result = _fmslab(pipeline_env, "status", "--json", timeout=60)
    assert result.returncode == 1
    rows = json.loads(result.stdout)
    assert [r["name"] for r in rows] == ["api", "broker", "stream", "collector"]
    assert not any(r["healthy"] or r["alive"] for r in rows)
    assert "nothing was running" in _fmslab(pipeline_env, "down", timeout=60).stdout


@pytest.mark.slow
def test_up_is_healthy_and_down_leaves_no_process(pipeline_env) -> None:
    up = _fmslab(pipeline_env, "up", "--interval", "1", "--faults", "none")
    assert up.returncode == 0, up.stderr + up.stdout
    status = _fmslab(pipeline_env, "status", "--json", timeout=60)
    assert status.returncode == 0, status.stdout
    rows = {r["name"]: r for r in json.loads(status.stdout)}
    assert all(r["healthy"] and r["alive"] for r in rows.values()), rows
    assert rows["api"]["port"] == int(pipeline_env["FMSLAB_API_PORT"])
    assert rows["broker"]["port"] == int(pipeline_env["FMSLAB_BROKER_PORT"])
    assert rows["collector"]["port"] == int(pipeline_env["FMSLAB_METRICS_PORT"])
    pids = [r["pid"] for r in rows.values()]
    assert all(pid_alive(pid) for pid in pids)
    # A second `up` refuses: the services already run.
    again = _fmslab(pipeline_env, "up", timeout=60)
    assert again.returncode == 1 and "already running" in again.stderr
    down = _fmslab(pipeline_env, "down", timeout=120)
    assert down.returncode == 0
    assert "collector, stream, broker, api" in down.stdout
    assert not [pid for pid in pids if pid_alive(pid)]
    after = json.loads(_fmslab(pipeline_env, "status", "--json", timeout=60).stdout)
    assert not any(r["alive"] for r in after)


def test_up_refuses_an_unknown_service_and_starts_nothing(pipeline_env, tmp_path) -> None:
    with pytest.raises(ServiceError, match="unknown services: spark"):
        up(settings_of(pipeline_env), names=("api", "spark"))
    assert not list((tmp_path / "state").glob("services/*.json"))
