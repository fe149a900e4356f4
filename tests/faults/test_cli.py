"""`fmslab faults list` and the one-line errors of `fmslab faults run` (no pipeline started)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from fmslab.cli import app
from fmslab.faults import FAULTS
from fmslab.faults.cli import _print

runner = CliRunner()


def test_list_prints_every_fault_with_a_one_line_description() -> None:
    result = runner.invoke(app, ["faults", "list"])
    assert result.exit_code == 0
    lines = result.output.strip().splitlines()
    assert [line.split()[0] for line in lines] == list(FAULTS)
    assert all(len(line.split(maxsplit=1)) == 2 for line in lines)


def test_an_unknown_fault_is_one_clear_line() -> None:
    result = runner.invoke(app, ["faults", "run", "nope", "--json"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"error: unknown fault 'nope'; known: {', '.join(FAULTS)} (fmslab faults list)"
    ]


def test_the_table_shows_a_report(capsys) -> None:
    report = {
        "fault": "stream-kill", "short": True, "accepted": 10, "stored": 10, "lost": 0,
        "duplicates": 0, "reconciled": 0, "detect_s": 1.0, "recover_s": None,
        "availability": 0.9, "health_samples": 10, "duration_s": 12.0,
        "told": {"log_lines": ["stream: stopped"], "incidents": {"LOW": 0, "HIGH": 1}},
        "definitions": {"detect_s": "a", "recover_s": "b"}, "quarantine_reasons": {"x": 2},
    }  # fmt: skip
    _print(json.loads(json.dumps(report)))
    out = capsys.readouterr().out
    assert "fault stream-kill (short)" in out and "HIGH 1" in out and "n/a" in out
    assert "quarantined: x" in out and "told: stream: stopped" in out
