"""`fmslab lake ...` on both backends (HDFS chosen the way the stack does: FMSLAB_MODE=stack)."""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from fmslab.config import load_settings
from fmslab.lake.cli import register
from fmslab.lake.local import LocalLake
from fmslab.lake.partitions import list_partitions
from fmslab.lake.records import write_records
from fmslab.lake.storage import Lake, open_lake
from fmslab.lake.webhdfs import HdfsLake
from fmslab.services import fmslab_command

MakeReadings = Callable[..., pd.DataFrame]

app = typer.Typer()
register(app)


@dataclass
class Target:
    """A lake and how the command reaches it."""

    lake: Lake
    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)

    def run(self, *args: str, code: int = 0) -> str:
        result = CliRunner().invoke(app, ["lake", *args, *self.args], env=self.env)
        assert result.exit_code == code, result.output
        return result.output


@pytest.fixture(params=["local", "hdfs"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Target:
    if request.param == "local":
        lake_dir = tmp_path / "lake"
        return Target(LocalLake(lake_dir), ["--lake-dir", str(lake_dir)])
    url = request.getfixturevalue("webhdfs")
    root = f"/fms-{uuid.uuid4().hex[:8]}"
    env = {"FMSLAB_MODE": "stack", "FMSLAB_HDFS_URL": url, "FMSLAB_HDFS_ROOT": root}
    return Target(HdfsLake(url, root), env=env)


@pytest.fixture
def filled(target: Target, make_readings: MakeReadings) -> Target:
    for seed in range(3):
        write_records(target.lake, "processed", make_readings(seed=seed, devices=2))
    return target


def test_open_lake_follows_the_mode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    local = open_lake(load_settings().with_(mode="embedded", lake_dir=tmp_path / "l"))
    assert isinstance(local, LocalLake) and local.root == (tmp_path / "l").resolve()
    monkeypatch.setenv("FMSLAB_HDFS_URL", "http://namenode:9870")
    monkeypatch.delenv("FMSLAB_HDFS_ROOT", raising=False)
    stack = open_lake(load_settings().with_(mode="stack"))
    assert isinstance(stack, HdfsLake) and (stack.url, stack.root) == (
        "http://namenode:9870",
        "/fms",
    )


def test_ls_and_du(filled: Target) -> None:
    zones = json.loads(filled.run("ls", "--json"))
    processed = next(z for z in zones if z["zone"] == "processed")
    assert (processed["partitions"], processed["files"], processed["retention_days"]) == (
        4,
        12,
        365,
    )
    assert processed["bytes"] == filled.lake.du("processed").bytes
    assert {z["zone"] for z in zones if z["files"] == 0} == {
        "raw", "alerts", "quarantine", "aggregates", "quality"
    }  # fmt: skip
    parts = json.loads(filled.run("ls", "processed/device_id=2", "--json"))
    assert [p["partition"].rsplit("/", 1)[1] for p in parts] == ["hour=13", "hour=14"]
    assert all(p["files"] == 3 for p in parts)
    usage = {row["path"]: row for row in json.loads(filled.run("du", "--json"))}
    assert usage["processed"]["files"] == 12 and usage["(total)"]["files"] == 12
    assert "processed" in filled.run("ls")  # the rich table


def test_cat_shows_records_of_a_partition(filled: Target) -> None:
    out = filled.run(
        "cat", "processed/device_id=2/date=2024-01-15/hour=14", "--limit", "5", "--json"
    )
    records = [json.loads(line) for line in out.splitlines()]
    assert len(records) == 5
    assert {(r["DeviceId"], r["device_id"], r["hour"]) for r in records} == {(2, 2, 14)}
    table = filled.run("cat", "processed/device_id=1", "--limit", "3")
    assert "3 of 360 records" in table
    filled.lake.write_bytes("notes/readme.txt", b"chapter 6 sample\n")
    assert filled.run("cat", "notes/readme.txt") == "chapter 6 sample\n"
    listing = json.loads(filled.run("ls", "notes", "--json"))
    assert listing == [{"path": "notes/readme.txt", "kind": "file", "size": 17}]


def test_compact_dry_run_then_real(filled: Target) -> None:
    now = "2024-01-15T14:30:00Z"
    plan = json.loads(filled.run("compact", "processed", "--now", now, "--dry-run", "--json"))
    assert sorted(r["status"] for r in plan) == ["open", "open", "would-compact", "would-compact"]
    assert all(len(p.files) == 3 for p in list_partitions(filled.lake, "processed"))
    out = filled.run("compact", "processed", "--now", now)
    assert "compacted 2 partitions: files 6 -> 2, rows 360 -> 360; 2 open hours left alone" in out
    counts = {p.directory[-7:]: len(p.files) for p in list_partitions(filled.lake, "processed")}
    assert counts == {"hour=13": 1, "hour=14": 3}
    # a zero grace closes hour 14 at 15:00 sharp
    out = filled.run("compact", "--now", "2024-01-15T15:00:00Z", "--grace-minutes", "0")
    assert "compacted 2 partitions: files 6 -> 2" in out


def test_retention_dry_run_then_real(filled: Target) -> None:
    now = "2025-01-20T00:00:00Z"
    plan = json.loads(filled.run("retention", "--now", now, "--dry-run", "--json"))
    assert [(r["zone"], r["date"], r["files"], r["deleted"]) for r in plan] == [
        ("processed", "2024-01-15", 6, False),
        ("processed", "2024-01-15", 6, False),
    ]
    assert len(list_partitions(filled.lake, "processed")) == 4
    assert "would delete 0 date partitions" in filled.run(
        "retention", "--now", "2025-01-01", "--dry-run"
    )
    out = filled.run("retention", "processed", "--now", now)
    assert "deleted 2 date partitions: 12 files" in out
    assert list_partitions(filled.lake, "processed") == []


def test_bad_input_is_a_clear_error(target: Target) -> None:
    assert "unknown lake zone 'nozone'" in target.run("cat", "nozone", code=1)
    assert "not a timestamp" in target.run("retention", "--now", "yesterday-ish", code=1)
    assert "absolute" in target.run("ls", "/etc", code=1)


@pytest.mark.slow  # starts the whole fmslab command in a subprocess
def test_fmslab_command_has_the_lake_commands(tmp_path: Path, make_readings: MakeReadings) -> None:
    lake = LocalLake(tmp_path / "lake")
    write_records(lake, "alerts", make_readings(minutes=5, devices=1))
    cmd = fmslab_command("lake", "ls", "--json", "--lake-dir", str(lake.root))
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=True).stdout
    alerts = next(z for z in json.loads(out) if z["zone"] == "alerts")
    assert (alerts["files"], alerts["retention_days"]) == (1, 1095)
