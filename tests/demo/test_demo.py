"""`fmslab demo` end to end: real simulator (failure episodes), Tansu, the Spark stream job, the
collector, `fmslab alerts`, and Alertmanager + Prometheus where installed, with local Slack and
SMTP stand-ins. One short run; its record is checked against the lake, the landing archive,
the notifier's delivery log and the printed output."""

from __future__ import annotations

import html
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from fmslab.collector.archive import iter_archive
from fmslab.jobs.progress import weighted_quality
from fmslab.lake.local import LocalLake
from fmslab.lake.records import read_zone
from fmslab.monitoring import monitor
from fmslab.monitoring.notifier import DeliveryLog
from fmslab.services import pid_alive, stop_service
from tests.private_env import private_env

pytestmark = pytest.mark.timeout(900)  # Spark's start on a busy machine takes minutes
ZONES = ("processed", "alerts", "quarantine", "aggregates", "quality")


def demo_env(tmp_path: Path) -> dict[str, str]:
    """FMSLAB_* variables of a private demo (free ports, its own folders)."""
    env = private_env(tmp_path, seed=7, columns=200)
    return {**os.environ, **env}


def _demo(env: dict[str, str], *args: str, timeout: float = 800) -> subprocess.CompletedProcess:
    """Run `fmslab demo`; on a timeout it gets SIGTERM (it stops its services first)."""
    cmd = [sys.executable, "-m", "fmslab", "demo", *args]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.terminate()
        out, err = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def _stop_leftovers(state: Path) -> None:
    for path in (state / "services").glob("*.json"):
        stop_service(path.stem, state)


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict, str]]:
    """One short demo with 5 devices every 0.5 s (failure episodes)."""
    tmp = tmp_path_factory.mktemp("demo")
    env = demo_env(tmp)
    record = tmp / "reports" / "demo-test.html"
    args = ("--duration", "3", "--devices", "5", "--interval", "0.5", "--alert-timeout", "60")
    try:
        done = _demo(env, *args, "--record", str(record))
    finally:  # whatever a killed demo left running, by recorded pid
        _stop_leftovers(tmp / "state")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    data = json.loads(record.with_suffix(".json").read_text(encoding="utf-8"))
    yield tmp, data, done.stdout


def _step(data: dict, key: str) -> dict:
    return next(s for s in data["steps"] if s["key"] == key)["figures"]


@pytest.mark.slow
def test_the_recorded_counts_equal_the_lake_and_the_broker(demo_run) -> None:
    tmp, data, _out = demo_run
    lake = LocalLake(tmp / "lake")
    archived = list(iter_archive(tmp / "lake" / "landing"))
    collection, topic = _step(data, "collection"), _step(data, "topic")
    assert collection["collected"] == len(archived) > 0
    assert collection["devices"] == 5
    # The broker held every collected reading once, and Spark read each of them.
    assert topic["records"] == len(archived) == sum(topic["per_partition"].values())
    assert _step(data, "stream")["input_rows"] == topic["records"]
    assert _step(data, "stream")["batches_committed"] >= 1
    rows = {zone: read_zone(lake, zone) for zone in ZONES}
    for zone in ZONES:
        files = len(list((tmp / "lake" / zone).glob("**/*.parquet")))
        assert _step(data, "lake")["zones"][zone] == {"rows": len(rows[zone]), "files": files}
    dropped = int(rows["quality"]["duplicates"].sum())
    assert _step(data, "lake")["duplicates"] == dropped
    assert _step(data, "lake")["stored"] + dropped == len(archived)
    stored = [rows[z] for z in ("processed", "alerts", "quarantine") if not rows[z].empty]
    stored_ids = {str(i) for frame in stored for i in frame["reading_id"]}
    assert {s["reading_id"] for s in topic["samples"]} <= stored_ids
    score, dimensions = weighted_quality(rows["quality"])
    assert _step(data, "quality")["score"] == score
    assert _step(data, "quality")["dimensions"] == dimensions


@pytest.mark.slow
def test_a_failing_reading_is_alerted_and_notified(demo_run) -> None:
    tmp, data, _out = demo_run
    alert = _step(data, "alert")
    failing = read_zone(LocalLake(tmp / "lake"), "alerts")
    assert alert["failing"] == len(failing) > 0
    assert alert["first_failure"]["reading_id"] in set(failing["reading_id"])
    log = DeliveryLog(tmp / "state" / "alerts" / "deliveries.jsonl").read()
    failures = [
        e for e in log if e.get("alert", {}).get("labels", {}).get("alertname") == "DeviceFailure"
    ]
    assert alert["events"] == len(failures) == len(failing)
    if monitor.missing_binaries():
        assert alert["events_recorded_only"] == len(failing)
        steps = {s["key"]: s for s in data["steps"]}
        assert any("not installed" in line for line in steps["alert"]["skipped"])
        return
    assert alert["events_accepted"] == len(failing)
    assert alert["emails"] >= 1 and alert["slack"] >= 1
    assert "DeviceFailure" in alert["first_subject"]
    assert alert["page_s"] >= 0  # this alert's page, not an earlier one of another rule
    # What Alertmanager says it sent equals what the stand-ins received.
    assert alert["am_sent_email"] == alert["emails"]
    assert alert["am_sent_slack"] == alert["slack"]


@pytest.mark.slow
def test_the_record_shows_what_was_printed_and_nothing_is_left_running(demo_run) -> None:
    tmp, data, out = demo_run
    assert [s["key"] for s in data["steps"]] == [
        "health", "collection", "topic", "stream", "lake", "quality", "alert",
    ]  # fmt: skip
    page = (tmp / "reports" / "demo-test.html").read_text(encoding="utf-8")
    health = _step(data, "health")
    assert health["healthy"] == health["services"]  # every service answered
    for step in data["steps"]:
        assert f"{step['number']} · {step['title']}" in out
        assert html.escape(step["title"]) in page
        for label, value in step["rows"]:
            assert label in out and value in out, (label, value)
            assert html.escape(label) in page and html.escape(value) in page
    assert "every service stopped" in out
    pids = health["pids"]
    assert {"api", "broker", "stream", "collector", "alerts"} <= set(pids)
    assert not [name for name, pid in pids.items() if pid_alive(pid)]
    assert not list((tmp / "state" / "services").glob("*.json"))  # records cleared too


def test_a_taken_port_is_named_in_two_lines(tmp_path: Path) -> None:
    env = demo_env(tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", int(env["FMSLAB_BROKER_PORT"])))
        taken.listen()
        done = _demo(env, "--duration", "1")
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 2, done.stderr
    assert lines[0].startswith(f"error: port {env['FMSLAB_BROKER_PORT']} (broker)")
    assert lines[1].startswith("fix:") and "FMSLAB_BROKER_PORT" in lines[1]
    assert not (tmp_path / "state" / "services").exists()  # nothing was started


def test_no_jdk_is_named_in_two_lines(tmp_path: Path) -> None:
    env = demo_env(tmp_path) | {"JAVA_HOME": str(tmp_path / "no-jdk"), "PATH": str(tmp_path)}
    done = _demo(env, "--duration", "1")
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 2, done.stderr
    assert "java" in lines[0].lower() and "JDK 17" in lines[0]
    assert lines[1].startswith("fix:") and "openjdk-17-jdk" in lines[1]
