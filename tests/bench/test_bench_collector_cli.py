"""`fmslab bench collector` with tiny numbers: its report's keys, and that nothing is lost."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from fmslab.measure import SUMMARY_KEYS
from fmslab.services import fmslab_command, free_port

KEYS = {
    "devices",
    "interval_s",
    "duration_s",
    "target_per_s",
    "polls",
    "collected",
    "produced",
    "readings_per_s",
    "poll_to_ack_ms",
    "on_topic",
    "archived",
    "spool_depth",
    "quarantined",
    "errors",
    "lost",
    "cpu_ms_per_reading",
    "load_average_1m",
    "bootstrap",
}


@pytest.mark.slow  # an `fmslab` subprocess with its own simulator and broker for 3 s
def test_cli_measures_a_small_run_and_writes_its_report(tmp_path: Path) -> None:
    report = tmp_path / "bench-collector.json"
    args = ["--devices", "20", "--interval", "0.5", "--duration", "3", "--output", str(report)]
    result = subprocess.run(
        fmslab_command("bench", "collector", "--json", *args),
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "FMSLAB_STATE_DIR": str(tmp_path / "state")},
    )
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert json.loads(report.read_text()) == printed
    assert set(printed) >= KEYS
    assert printed["devices"] == 20 and printed["interval_s"] == 0.5
    assert printed["target_per_s"] == 40.0
    assert printed["collected"] > 0
    assert printed["lost"] == 0
    assert printed["on_topic"] == printed["archived"] == printed["collected"]
    assert tuple(printed["poll_to_ack_ms"]) == SUMMARY_KEYS


def test_cli_rejects_a_broker_that_does_not_answer(tmp_path: Path) -> None:
    result = subprocess.run(
        fmslab_command(
            "bench", "collector", "--devices", "2", "--duration", "1",
            "--bootstrap", f"127.0.0.1:{free_port()}", "--output", str(tmp_path / "r.json"),
        ),
        capture_output=True,
        text=True,
        timeout=60,
    )  # fmt: skip
    assert result.returncode == 1
    assert "no Kafka broker answers" in result.stderr
    assert not (tmp_path / "r.json").exists()


def test_help_names_the_flags() -> None:
    result = subprocess.run(
        fmslab_command("bench", "collector", "--help"), capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0
    for flag in ("--devices", "--interval", "--duration", "--json"):
        assert flag in result.stdout
