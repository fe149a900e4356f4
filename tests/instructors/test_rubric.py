"""The self-assessment rubric: fixture rubrics whose checks really run (commands, files, reports),
so a failing check scores 0 with its reason, and the course's own rubric adds up to 100."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml

from fmslab.instructor.rubric import (
    FOR_INSTRUCTOR,
    NOT_RUN,
    RubricError,
    assess,
    load_rubric,
    rubric_table,
    totals,
)


def _rubric(tmp_path: Path, criteria: list[dict], total: int = 100) -> Path:
    path = tmp_path / "rubric.yaml"
    path.write_text(yaml.safe_dump({"version": 1, "total": total, "criteria": criteria}))
    return path


def _python(code: str, timeout: float = 30) -> dict:
    return {"kind": "command", "argv": [sys.executable, "-c", code], "timeout": timeout}


def test_the_course_rubric_has_100_points_and_grounds_every_criterion() -> None:
    rubric = load_rubric()
    assert sum(c["points"] for c in rubric["criteria"]) == 100
    assert all(c.get("seed") and c.get("title") for c in rubric["criteria"])
    kinds = {c["auto"]["kind"] for c in rubric["criteria"] if "auto" in c}
    assert kinds == {"command", "files", "report", "lab"}
    assert any("instructor" in c for c in rubric["criteria"])


def test_points_that_do_not_add_up_are_refused(tmp_path: Path) -> None:
    path = _rubric(tmp_path, [{"id": "a", "points": 60, "instructor": "look"}])
    with pytest.raises(RubricError, match="add up to 60, not 100"):
        load_rubric(path)


def test_a_criterion_needs_exactly_one_way_of_checking(tmp_path: Path) -> None:
    both = {"id": "a", "points": 100, "instructor": "look", "auto": _python("pass")}
    with pytest.raises(RubricError, match="exactly one"):
        load_rubric(_rubric(tmp_path, [both]))


def test_failing_checks_score_zero_with_their_reason(tmp_path: Path) -> None:
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "run-report.json").write_text(
        json.dumps({"exactly_once": {"not_stored": 2}, "collected": 10})
    )
    criteria = [
        {"id": "exits", "points": 20, "auto": _python("import sys; print('boom'); sys.exit(3)")},
        {"id": "slow", "points": 10, "auto": _python("import time; time.sleep(10)", timeout=0.5)},
        {"id": "files", "points": 10, "auto": {"kind": "files", "paths": ["docs/*.md"]}},
        {"id": "lost", "points": 20, "auto": {"kind": "report", "file": "run-report.json",
                                              "expect": {"exactly_once.not_stored": 0}}},
        {"id": "absent", "points": 10, "auto": {"kind": "report", "file": "scenario-*.json"}},
        {"id": "lab", "points": 10, "auto": {"kind": "lab", "submission": "labs/none.ipynb"}},
        {"id": "talk", "points": 20, "instructor": "watch the talk"},
    ]  # fmt: skip
    results = {r.id: r for r in assess(load_rubric(_rubric(tmp_path, criteria)), tmp_path)}
    assert results["exits"].score == 0 and results["exits"].reason == "exit code 3: boom"
    assert results["slow"].score == 0 and "did not finish within 0.5 s" in results["slow"].reason
    assert results["files"].reason == "missing: docs/*.md"
    assert results["lost"].reason == "run-report.json: exactly_once.not_stored is 2, expected 0"
    assert results["absent"].reason.startswith("no scenario-*.json in")
    assert results["lab"].score == 0 and "no submission" in results["lab"].reason
    assert results["talk"].score is None and results["talk"].status == FOR_INSTRUCTOR
    assert {r.status for r in results.values() if r.id != "talk"} == {"failed"}
    assert totals(list(results.values())) == {
        "points": 100, "checked automatically": 80, "earned": 0.0,
        "for the instructor": 20, "not run": 0,
    }  # fmt: skip


def test_passing_checks_earn_their_points_and_slow_ones_can_wait(tmp_path: Path) -> None:
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "demo-1.json").write_text(
        json.dumps({"kind": "demo", "steps": [1] * 7})
    )
    (tmp_path / "notes.md").write_text("x")
    criteria = [
        {"id": "ok", "points": 30, "auto": _python("pass")},
        {"id": "files", "points": 20, "auto": {"kind": "files", "paths": ["*.md"]}},
        {"id": "demo", "points": 30, "auto": {"kind": "report", "file": "demo-*.json",
                                              "expect": {"kind": "demo", "steps": {"min": 7}}}},
        {"id": "slow", "points": 20, "auto": {**_python("pass"), "fast": False}},
    ]  # fmt: skip
    results = assess(load_rubric(_rubric(tmp_path, criteria)), tmp_path, fast_only=True)
    table = rubric_table(results)
    assert table.loc["ok", "score"] == 30 and table.loc["demo", "score"] == 30
    assert table.loc["files", "score"] == 20
    assert table.loc["slow", "score"] == NOT_RUN
    assert table.loc["ok", "how checked"].startswith("auto: command")
    assert totals(results)["earned"] == 80 and totals(results)["not run"] == 20
