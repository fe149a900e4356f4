"""`fmslab stack ...` where no Docker engine runs: real commands, real messages, cause and fix.

Run as subprocesses against the real docker CLI and SDK. DOCKER_HOST points at a socket that
does not exist, so the engine is absent whatever the machine has; PATH without docker stands for
a machine without Docker at all.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from fmslab.cli import app
from fmslab.config import Settings
from fmslab.stack.compose import load_stack
from fmslab.stack.engine import memory_problem, plan
from tests.stack.conftest import ROOT

FMSLAB = [sys.executable, "-m", "fmslab", "stack"]


def run(*args: str, path: str | None = None, tmp: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DOCKER_HOST": f"unix://{tmp}/no-engine.sock", "NO_COLOR": "1"}
    if path is not None:
        env["PATH"] = path
    return subprocess.run([*FMSLAB, *args], capture_output=True, text=True, env=env, timeout=120)


def compose_installed() -> bool:
    docker = shutil.which("docker")
    if docker is None:
        return False
    return subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0


def test_status_and_logs_say_no_engine_runs_and_how_to_start_one(tmp_path: Path) -> None:
    for args in (["status"], ["logs", "kafka-1"]):
        done = run(*args, tmp=tmp_path)
        assert done.returncode == 1, done
        assert "no Docker engine answers" in done.stderr, done.stderr
        assert "start Docker Desktop" in done.stderr and "systemctl start docker" in done.stderr
        assert "Traceback" not in done.stderr
        assert len(done.stderr.strip().splitlines()) <= 2


@pytest.mark.parametrize("args", [["up", "--profile", "pipeline"], ["down"]])
def test_up_and_down_name_the_first_missing_piece(tmp_path: Path, args: list[str]) -> None:
    done = run(*args, tmp=tmp_path)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    if shutil.which("docker") is None:
        assert "docker command is not installed" in done.stderr
    elif not compose_installed():  # this machine: the CLI without its compose plugin
        assert "Docker Compose v2 is missing" in done.stderr
        assert "docker-compose-plugin" in done.stderr
    else:
        assert "no Docker engine answers" in done.stderr


def test_without_docker_at_all_up_says_what_to_install(tmp_path: Path) -> None:
    bare = tmp_path / "bin"
    bare.mkdir()
    (bare / "git").symlink_to(shutil.which("git") or "/usr/bin/git")
    done = run("up", path=str(bare), tmp=tmp_path)
    assert done.returncode == 1
    assert "the docker command is not installed: install Docker Desktop" in done.stderr


def test_smoke_skips_with_the_reason(tmp_path: Path) -> None:
    done = run("smoke", tmp=tmp_path)
    assert done.returncode == 0, done.stderr
    first = done.stdout.strip().splitlines()[0]
    assert first.startswith("smoke skipped: ")
    assert "Compose v2 is missing" in first or "no Docker engine answers" in first, first


def test_an_unknown_profile_is_refused_with_the_known_ones() -> None:
    result = CliRunner().invoke(app, ["stack", "up", "--profile", "gui"])
    assert result.exit_code == 1
    assert "no profile gui" in result.output and "pipeline, monitoring, ui" in result.output


def test_validate_command_passes_here_and_fails_on_a_broken_copy(edit_compose) -> None:
    ok = CliRunner().invoke(app, ["stack", "validate"])
    assert ok.exit_code == 0 and ok.output.strip().endswith("stack OK"), ok.output
    # promtool and amtool are Debian packages: where they are missing, the report says so.
    for name in ("promtool", "amtool"):
        skipped = f"skipped {name}: {name} is not on PATH" in ok.output
        assert skipped == (shutil.which(name) is None), ok.output
    root = edit_compose(lambda c: c["services"]["kafka-ui"].update(image="kafbat/kafka-ui:latest"))
    bad = CliRunner().invoke(app, ["stack", "validate", "--root", str(root), "--json"])
    assert bad.exit_code == 1
    report = yaml.safe_load(bad.output)  # JSON is YAML
    assert [f["key"] for f in report["findings"]] == ["services.kafka-ui.image"]


def test_memory_of_a_plan_is_the_sum_of_its_limits_and_too_little_is_explained() -> None:
    stack = load_stack(ROOT / "stack" / "docker-compose.yml")
    raw = yaml.safe_load((ROOT / "stack" / "docker-compose.yml").read_text())["services"]

    def mib(value: str) -> int:
        return int(value[:-1]) * (1024 if value.endswith("g") else 1)

    limits = {n: mib(s["deploy"]["resources"]["limits"]["memory"]) for n, s in raw.items()}
    core = sum(v for n, v in limits.items() if "profiles" not in raw[n])
    pipeline = core + sum(v for n, v in limits.items() if raw[n].get("profiles") == ["pipeline"])
    assert plan(stack, []).memory_mib == core <= 4096
    assert plan(stack, ["pipeline"], workers=2).memory_mib == pipeline + limits["spark-worker"]
    assert sum(limits.values()) <= 6144
    message = memory_problem(2 * 1024**3, pipeline, ["pipeline"])
    assert message is not None and "2048 MiB" in message and f"{pipeline} MiB" in message
    assert "Settings > Resources" in message
    assert memory_problem(8 * 1024**3, pipeline, ["pipeline"]) is None


def test_stack_mode_settings_name_the_compose_services_and_ports() -> None:
    stack = load_stack(ROOT / "stack" / "docker-compose.yml")
    settings = Settings(mode="stack")
    for broker in settings.bootstrap.split(","):
        host, port = broker.split(":")
        advertised = stack.services[host].environment["KAFKA_ADVERTISED_LISTENERS"]
        assert f"PLAINTEXT://{host}:{port}" in advertised, (broker, advertised)
    for url in (settings.api_url, settings.hdfs_url):
        host, port = url.removeprefix("http://").split(":")
        assert int(port) in stack.services[host].container_ports, url
    jupyter = stack.services["jupyter"]
    assert "spark.driver.host=jupyter" in jupyter.environment["PYSPARK_SUBMIT_ARGS"]
    assert jupyter.hostname == "jupyter"
    assert stack.services["datanode"].hostname == "datanode"


@pytest.mark.parametrize("command", ["validate", "up", "down", "status", "logs", "smoke"])
def test_every_stack_command_has_help(command: str) -> None:
    result = CliRunner().invoke(app, ["stack", command, "--help"])
    assert result.exit_code == 0 and "Usage" in result.output


def test_status_urls_come_from_the_engine_s_port_bindings() -> None:
    # The shape of a container's NetworkSettings.Ports in the Docker Engine API.
    from fmslab.stack.containers import _urls

    ports = {
        "3000/tcp": [{"HostIp": "127.0.0.1", "HostPort": "3000"}],
        "9999/tcp": [{"HostIp": "127.0.0.1", "HostPort": "9999"}],
        "8080/tcp": None,
    }
    assert _urls("grafana", ports) == ("Grafana: http://127.0.0.1:3000",)
    worker = {"8081/tcp": [{"HostIp": "127.0.0.1", "HostPort": "8083"}]}
    assert _urls("spark-worker", worker) == ("Spark worker UI: http://127.0.0.1:8083",)


def test_up_needs_the_secrets_of_the_profiles_it_starts(tmp_path: Path) -> None:
    from fmslab.stack.engine import StackError, check_env_file

    with pytest.raises(StackError, match=r"\.env is missing: copy stack/\.env\.example"):
        check_env_file(tmp_path, [])
    (tmp_path / ".env").write_text((ROOT / "stack" / ".env.example").read_text())
    with pytest.raises(StackError, match="sets no JUPYTER_TOKEN"):
        check_env_file(tmp_path, ["pipeline"])
    (tmp_path / ".env").write_text("JUPYTER_TOKEN=3f9a\n# GRAFANA_ADMIN_PASSWORD=x\n")
    check_env_file(tmp_path, ["pipeline", "monitoring"])  # nothing else needed
    with pytest.raises(StackError, match="sets no GRAFANA_ADMIN_PASSWORD"):
        check_env_file(tmp_path, ["ui"])
