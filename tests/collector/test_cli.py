"""`fmslab collect` as a process: SIGTERM stops it with a summary; bad flags fail clearly."""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path

from fmslab.broker.offsets import end_offsets
from fmslab.collector import RAW_TOPIC
from fmslab.services import fmslab_command, wait_until


def _collect_cmd(api: str, bootstrap: str, tmp_path: Path, *extra: str) -> list[str]:
    return fmslab_command(
        "collect", "--devices", "3", "--interval", "0.5", "--api", api,
        "--bootstrap", bootstrap, "--no-metrics",
        "--spool-dir", str(tmp_path / "spool"), "--archive-dir", str(tmp_path / "archive"),
        "--quarantine-file", str(tmp_path / "quarantine.jsonl"), *extra,
    )  # fmt: skip


def test_sigterm_stops_collect_with_exit_0_and_a_summary(
    shared_api: str, broker: str, tmp_path: Path
) -> None:
    api = shared_api
    archive = tmp_path / "archive"
    proc = subprocess.Popen(
        _collect_cmd(api, broker, tmp_path, "--json"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert wait_until(lambda: any(archive.glob("date=*/hour=*.jsonl")), 30)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    summary = json.loads(out)
    assert summary["collected"] > 0
    assert (
        summary["produced"] == summary["collected"] == sum(end_offsets(broker, RAW_TOPIC).values())
    )
    assert summary["spool_depth"] == 0
    assert {"spooled", "quarantined", "errors", "poll_to_ack_s"} <= summary.keys()


def test_sigint_also_stops_it_and_prints_the_table(
    shared_api: str, broker: str, tmp_path: Path
) -> None:
    api = shared_api
    proc = subprocess.Popen(
        _collect_cmd(api, broker, tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert wait_until(lambda: any((tmp_path / "archive").glob("date=*/*.jsonl")), 30)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert "collector summary" in out and "collected" in out and "quarantined" in out


def test_invalid_settings_fail_with_a_clear_message(tmp_path: Path) -> None:
    result = subprocess.run(
        _collect_cmd("http://127.0.0.1:9", "127.0.0.1:9", tmp_path, "--duration", "1")
        + ["--retries", "-1"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "--retries" in result.stderr


def test_duration_ends_the_run_and_an_unreachable_broker_spools(
    shared_api: str, tmp_path: Path
) -> None:
    api = shared_api
    result = subprocess.run(
        _collect_cmd(api, "127.0.0.1:9", tmp_path, "--duration", "2", "--json"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["produced"] == 0
    assert summary["spool_depth"] == summary["spooled"] == summary["collected"] > 0
    spooled = (tmp_path / "spool" / "spool.jsonl").read_text().splitlines()
    assert len(spooled) == summary["collected"]
