"""`fmslab quality check` on files of readings: as a real subprocess (the contract: exit codes,
exactly one JSON object on stdout) and through typer's runner for the options (fast)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fmslab.cli import app
from tests.quality.quality_crafting import reading


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "fmslab", "quality", "check", *map(str, args)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def invoke(*args: str | Path):
    result = CliRunner().invoke(app, ["quality", "check", *map(str, args)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def write_lines(path: Path, lines: list[str | bytes]) -> Path:
    data = b"\n".join(line if isinstance(line, bytes) else line.encode() for line in lines)
    path.write_bytes(data + b"\n")
    return path


@pytest.mark.slow
def test_mixed_file_accounts_for_every_line(tmp_path: Path) -> None:
    lines: list[str | bytes] = [
        json.dumps(reading(device=1, t=0)),  # 1
        json.dumps(reading(device=2, t=0, motor1=1200.0)),  # 2
        '{"time": "2024-01-15T14:30:10Z", "DeviceId": 1, "sensor1": ',  # 3 malformed JSON
        json.dumps([reading(device=3)]),  # 4 a JSON array
        "",  # 5 empty line
        json.dumps(reading(device=1, t=0)),  # 6 duplicate of line 1
        "   ",  # 7 blank
        b"\x00\xff\xfe binary junk",  # 8
        '{"time": "2024-01-15T14:30:10Z", "DeviceId": 1, "sensor1": NaN, "motor1": Infinity}',
        json.dumps(reading(device=7, t=0)),  # 10 DeviceId out of range
        json.dumps(reading(device=2, t=10, isFail=True, extra={"nested": [1, {"a": None}]})),
        json.dumps(reading(device=3, t=0, motor2=True, sensor3=10**30)),  # 12
    ]
    path = write_lines(tmp_path / "mixed.jsonl", lines)
    proc = run(path, "--json")
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)  # exactly one JSON object
    records = payload["records"]
    expected_lines = [n for n, line in enumerate(lines, 1) if line.strip()]
    assert [r["line"] for r in records] == expected_lines
    assert [r["index"] for r in records] == list(range(len(expected_lines)))
    zones = {r["line"]: r["zone"] for r in records}
    assert zones == {
        1: "processed",
        2: "processed",
        3: "quarantine",
        4: "quarantine",
        6: "dropped",
        8: "quarantine",
        9: "quarantine",
        10: "quarantine",
        11: "alerts",
        12: "quarantine",
    }
    by_line = {r["line"]: r for r in records}
    assert by_line[3]["reasons"][0].startswith("malformed JSON: ")
    assert by_line[4]["reasons"] == ["not a JSON object (array)"]
    assert by_line[6]["reasons"] == ["duplicate of (1, 2024-01-15T14:30:00Z)"]
    assert by_line[8]["reasons"] == ["malformed JSON: not valid UTF-8"]
    assert "DeviceId: out of range (7) rejected" in by_line[10]["reasons"]
    assert by_line[2]["record"]["motor1"] == 1200
    assert "motor2: not an integer (true) rejected" in by_line[12]["reasons"]
    assert set(payload["dimensions"]) == {"completeness", "accuracy", "consistency", "timeliness"}
    assert all(0 <= v <= 1 for v in payload["dimensions"].values())
    assert 0 <= payload["score"] <= 1
    assert sum(payload["zone_counts"].values()) == len(expected_lines)


def test_table_output(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "r.jsonl", [json.dumps(reading(t=10 * i)) for i in range(3)])
    proc = run(path)
    assert proc.returncode == 0, proc.stderr
    for word in (
        "completeness",
        "accuracy",
        "consistency",
        "timeliness",
        "processed",
        "quarantine",
    ):
        assert word in proc.stdout
    assert "score 100.0%" in proc.stdout


def test_interval_option_changes_timeliness(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "r.jsonl", [json.dumps(reading(t=5 * i)) for i in range(5)])
    at_10 = json.loads(invoke(path, "--json").stdout)["dimensions"]["timeliness"]
    at_5 = json.loads(invoke(path, "--json", "--interval", "5").stdout)["dimensions"]["timeliness"]
    assert (at_10, at_5) == (0.0, 1.0)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    out = invoke(path, "--json")
    assert out.exit_code == 0
    assert json.loads(out.stdout)["records"] == []


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    proc = run(tmp_path / "nope.jsonl", "--json")
    assert proc.returncode == 2
    assert "no such file" in proc.stderr and proc.stdout == ""


def test_help() -> None:
    out = invoke("--help")
    assert out.exit_code == 0 and "--interval" in out.stdout and "--json" in out.stdout


def test_bad_now_and_bad_rules_are_clear_errors(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "r.jsonl", [json.dumps(reading())])
    bad_now = invoke(path, "--now", "later")
    assert bad_now.exit_code == 2 and "ISO-8601" in bad_now.stderr
    rules = tmp_path / "rules.yaml"
    rules.write_text("fields: {}\n")
    bad_rules = invoke(path, "--rules", rules)
    assert bad_rules.exit_code == 2 and "Error" in bad_rules.stderr
    missing_rules = invoke(path, "--rules", tmp_path / "none.yaml")
    assert missing_rules.exit_code == 2


def test_devices_option(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "r.jsonl", [json.dumps(reading(device=12))])
    default = json.loads(invoke(path, "--json").stdout)["records"][0]
    wide = json.loads(invoke(path, "--json", "--devices", "20").stdout)["records"][0]
    assert (default["zone"], wide["zone"]) == ("quarantine", "processed")
