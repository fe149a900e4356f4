"""The course's self-assessment rubric (`data/rubric.yaml`): run its automatic checks, mark the
rest for the instructor, and return one table.

    table = assess(load_rubric(), root=project_root(), reports=Path("reports"), fast_only=True)

A criterion is `auto` (a command, files, a JSON report's fields, or a lab graded by its own
checks, each with a time limit) or `instructor` (what the instructor looks at). A check that
fails scores 0 with its reason; nothing is assumed to pass.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from fmslab.config import data_dir

FOR_INSTRUCTOR = "for the instructor"
NOT_RUN = "not run (slow)"
KINDS = ("command", "files", "report", "lab")


class RubricError(ValueError):
    """The rubric file is not valid (the message names the criterion and the problem)."""


@dataclass
class Result:
    """The outcome of one criterion."""

    id: str
    title: str
    points: int
    checked: str  # how: "auto: command ...", "instructor"
    score: float | None  # None: for the instructor, or not run
    status: str  # passed | failed | partial | for the instructor | not run (slow)
    reason: str = ""
    seconds: float = 0.0


def load_rubric(path: Path | None = None) -> dict[str, Any]:
    """Read and validate a rubric: unique ids, one of auto/instructor each, points summing to
    `total` (100 for the course's)."""
    path = Path(path) if path is not None else data_dir() / "rubric.yaml"
    rubric = yaml.safe_load(path.read_text(encoding="utf-8"))
    criteria = rubric.get("criteria") or []
    seen: set[str] = set()
    for criterion in criteria:
        name = criterion.get("id", "?")
        if name in seen:
            raise RubricError(f"{path}: criterion {name!r} appears twice")
        seen.add(name)
        if ("auto" in criterion) == ("instructor" in criterion):
            raise RubricError(f"{path}: {name}: give exactly one of `auto:` or `instructor:`")
        kind = criterion.get("auto", {}).get("kind", "command") if "auto" in criterion else None
        if kind is not None and kind not in KINDS:
            raise RubricError(f"{path}: {name}: unknown check kind {kind!r} (known: {KINDS})")
    total = sum(int(c["points"]) for c in criteria)
    if total != int(rubric.get("total", 100)):
        raise RubricError(f"{path}: the points add up to {total}, not {rubric.get('total', 100)}")
    return rubric


def _executable(name: str) -> str:
    """A tool of this environment (the venv's `fmslab`, `ruff`, `pytest`) before PATH's."""
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.is_file() else (shutil.which(name) or name)


def check_command(auto: dict[str, Any], root: Path) -> tuple[bool, str]:
    """Run argv in `root` within `timeout` seconds; passes on exit code 0."""
    argv = [_executable(auto["argv"][0]), *map(str, auto["argv"][1:])]
    timeout = float(auto.get("timeout", 60))
    try:
        done = subprocess.run(argv, cwd=root, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return False, f"did not finish within {timeout:g} s"
    except OSError as err:
        return False, f"could not run {argv[0]}: {err}"
    if done.returncode == 0:
        return True, "exit code 0"
    tail = (done.stdout + done.stderr).strip().splitlines()[-1:] or [""]
    return False, f"exit code {done.returncode}: {tail[0][:200]}"


def check_files(auto: dict[str, Any], root: Path) -> tuple[bool, str]:
    """Every path (or glob) matches at least one file under `root`."""
    missing = [p for p in auto["paths"] if not any(root.glob(p))]
    if missing:
        return False, f"missing: {', '.join(missing)}"
    return True, f"{len(auto['paths'])} found"


def _field(data: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(data, dict) or part not in data:
            raise KeyError(dotted)
        data = data[part]
    return data


def _meets(value: Any, expected: Any) -> bool:
    if isinstance(expected, dict):
        number = len(value) if isinstance(value, list | dict) else value
        low, high = expected.get("min"), expected.get("max")
        return (low is None or number >= low) and (high is None or number <= high)
    return bool(value == expected)


def check_report(auto: dict[str, Any], reports: Path) -> tuple[bool, str]:
    """The newest report matching `file` has every expected field value."""
    found = sorted(Path(reports).glob(auto["file"]), key=lambda p: p.stat().st_mtime)
    if not found:
        return False, f"no {auto['file']} in {reports}"
    path = found[-1]
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as err:
        return False, f"{path.name} is not JSON: {err}"
    for dotted, expected in (auto.get("expect") or {}).items():
        try:
            value = _field(data, dotted)
        except KeyError:
            return False, f"{path.name} has no {dotted}"
        if not _meets(value, expected):
            return False, f"{path.name}: {dotted} is {value!r}, expected {expected!r}"
    return True, f"{path.name}: {', '.join(auto.get('expect') or {})} as expected"


def check_lab(auto: dict[str, Any], root: Path) -> tuple[float, str]:
    """The fraction of a submitted lab's checks that pass (graded in a fresh kernel)."""
    import tempfile

    from fmslab.instructor.grading import grade_submission, load_references

    submission = root / auto["submission"]
    if not submission.is_file():
        return 0.0, f"no submission at {auto['submission']}"
    labs = root / "labs"
    with tempfile.TemporaryDirectory(prefix="fmslab-rubric-") as out:
        grade = grade_submission(
            submission, load_references(labs), labs, Path(out),
            notebook_timeout=float(auto.get("timeout", 600)),
        )  # fmt: skip
    if grade.status != "graded" or not grade.total:
        return 0.0, f"{grade.status}: {'; '.join(grade.notes)[:200]}"
    return grade.score / grade.total, f"{grade.score} of {grade.total} checks passed"


def _how(criterion: dict[str, Any]) -> str:
    if "instructor" in criterion:
        return "instructor"
    auto = criterion["auto"]
    detail = {
        "command": lambda: " ".join(map(str, auto.get("argv", []))),
        "files": lambda: ", ".join(auto.get("paths", [])),
        "report": lambda: f"reports/{auto.get('file')}",
        "lab": lambda: f"grade {auto.get('submission')}",
    }[auto.get("kind", "command")]()
    return f"auto: {auto.get('kind', 'command')} · {detail}"


def run_check(criterion: dict[str, Any], root: Path, reports: Path) -> tuple[float, str]:
    """The fraction of the points earned (0..1) and why."""
    auto = criterion["auto"]
    kind = auto.get("kind", "command")
    if kind == "lab":
        return check_lab(auto, root)
    if kind == "command":
        passed, reason = check_command(auto, root)
    elif kind == "files":
        passed, reason = check_files(auto, root)
    else:
        passed, reason = check_report(auto, reports)
    return (1.0 if passed else 0.0), reason


def _assess_one(criterion: dict[str, Any], root: Path, reports: Path, fast_only: bool) -> Result:
    points = int(criterion["points"])
    result = Result(criterion["id"], criterion.get("title", ""), points, _how(criterion), None, "")
    if "instructor" in criterion:
        result.status, result.reason = (
            FOR_INSTRUCTOR,
            " ".join(str(criterion["instructor"]).split()),
        )
        return result
    if fast_only and not criterion["auto"].get("fast", True):
        result.status, result.reason = NOT_RUN, "run it with fast_only=False"
        return result
    began = time.monotonic()
    try:
        fraction, result.reason = run_check(criterion, root, reports)
    except Exception as err:  # noqa: BLE001 - a broken check scores 0 with its reason
        fraction, result.reason = 0.0, f"{type(err).__name__}: {err}"[:300]
    result.seconds = round(time.monotonic() - began, 1)
    result.score = round(points * fraction, 1)
    result.status = "passed" if fraction == 1 else "failed" if fraction == 0 else "partial"
    return result


def assess(
    rubric: dict[str, Any],
    root: Path,
    reports: Path | None = None,
    *,
    fast_only: bool = False,
    only: list[str] | None = None,
) -> list[Result]:
    """Every criterion's result (`only`: just these ids; the others are listed as not run)."""
    root = Path(root)
    reports = Path(reports) if reports is not None else root / "reports"
    results = []
    for criterion in rubric["criteria"]:
        if only is not None and criterion["id"] not in only and "auto" in criterion:
            skipped = Result(criterion["id"], criterion.get("title", ""), int(criterion["points"]),
                             _how(criterion), None, "not run", "not selected")  # fmt: skip
            results.append(skipped)
            continue
        results.append(_assess_one(criterion, root, reports, fast_only))
    return results


def rubric_table(results: list[Result]) -> pd.DataFrame:
    """criterion, points, how checked, score (or "for the instructor"), reason."""
    rows = [
        {
            "criterion": r.id,
            "points": r.points,
            "how checked": r.checked,
            "score": r.score if r.score is not None else r.status,
            "reason": r.reason,
        }
        for r in results
    ]
    return pd.DataFrame(rows).set_index("criterion")


def totals(results: list[Result]) -> dict[str, float]:
    """Points in all, scored automatically, earned, left for the instructor, not run."""
    return {
        "points": sum(r.points for r in results),
        "checked automatically": sum(r.points for r in results if r.score is not None),
        "earned": round(sum(r.score or 0 for r in results), 1),
        "for the instructor": sum(r.points for r in results if r.status == FOR_INSTRUCTOR),
        "not run": sum(r.points for r in results if r.score is None and r.status != FOR_INSTRUCTOR),
    }


def as_dicts(results: list[Result]) -> list[dict[str, Any]]:
    """The results as JSON-ready rows."""
    return [asdict(r) for r in results]


# The names chapter 13 uses through `fmslab.course`.
assess_rubric = assess
rubric_totals = totals
