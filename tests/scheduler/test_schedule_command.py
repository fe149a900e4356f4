"""`fmslab schedule` in-process (typer's CliRunner): real simulator, Tansu, Spark and lake."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pyspark.sql import SparkSession
from typer.testing import CliRunner

from fmslab.cli import app
from fmslab.config import Settings
from fmslab.lake.records import read_zone
from fmslab.lake.storage import open_lake
from fmslab.services import free_port

runner = CliRunner()


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        "FMSLAB_STATE_DIR": str(tmp_path / "state"),
        "FMSLAB_LAKE_DIR": str(tmp_path / "lake"),
        "FMSLAB_SEED": "5",
        "COLUMNS": "120",
    }


def _rows(work: Path) -> list[dict]:
    return [json.loads(line) for line in (work / "runs.jsonl").read_text().splitlines()]


def test_help_names_every_option_and_the_exit_codes() -> None:
    result = runner.invoke(app, ["schedule", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for option in ("--cycles", "--every", "--duration", "--collect", "--api-url", "--bootstrap"):
        assert option in result.output
    assert "collection -> processing -> quality check" in result.output
    assert "2 a cycle ended CRITICAL" in result.output


def test_a_stopped_broker_fails_each_cycle_high_after_retries(tmp_path: Path) -> None:
    work = tmp_path / "work"
    args = ["schedule", "--cycles", "2", "--work-dir", str(work)]
    args += [
        "--api-url",
        f"http://127.0.0.1:{free_port()}",
        "--bootstrap",
        f"127.0.0.1:{free_port()}",
    ]
    result = runner.invoke(app, args, env=_env(tmp_path))
    assert result.exit_code == 1, result.output
    assert result.output.count(": HIGH") == 2  # both cycle titles
    assert "collection: BrokerUnreachable" in result.output
    assert "2 cycle(s), 0 ok" in result.output and "HIGH 2" in result.output
    rows = _rows(work)
    assert [(r["cycle"], r["step"], r["status"], r["attempts"]) for r in rows] == [
        (c, step, status, n)
        for c in (1, 2)
        for step, status, n in (
            ("collection", "failed", 3),
            ("processing", "skipped", 0),
            ("quality_check", "skipped", 0),
        )
    ]


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_two_cycles_store_what_they_collect(spark: SparkSession, tmp_path: Path) -> None:
    work = tmp_path / "work"
    args = ["schedule", "--cycles", "2", "--collect", "2.5", "--devices", "3", "--interval", "1"]
    result = runner.invoke(app, [*args, "--work-dir", str(work), "--json"], env=_env(tmp_path))
    assert result.exit_code == 0, result.output
    assert "cycle 1: ok" in result.output and "cycle 2: ok" in result.output
    rows = json.loads(result.output[result.output.index("[\n") :])
    assert [r["status"] for r in rows] == ["ok"] * 6
    produced = [r["result"]["produced"] for r in rows if r["step"] == "collection"]
    processed = [r["result"]["records"] for r in rows if r["step"] == "processing"]
    checked = [r["result"]["records"] for r in rows if r["step"] == "quality_check"]
    assert produced == processed == checked and all(n > 0 for n in produced)
    lake = open_lake(Settings(lake_dir=tmp_path / "lake"))
    stored = sum(len(read_zone(lake, z)) for z in ("processed", "alerts", "quarantine"))
    assert stored == sum(produced)
    assert SparkSession.getActiveSession() is spark  # the folder's session was reused, not stopped
    assert not list((work / "services" / "services").glob("*.json"))  # services stopped by pid
