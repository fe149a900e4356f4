"""`fmslab notebooks run`: a batch over real notebooks with failing, leaky and hanging ones."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import psutil
import pytest

from fmslab.instructor.cli import split_arguments
from fmslab.instructor.processes import marked
from fmslab.instructor.runner import RunError, check_parameters, select_notebooks
from fmslab.services import fmslab_command
from tests.instructors.crafted import hanging, leaky, notebook
from tests.notebooks.course_notebooks import ROOT

pytestmark = pytest.mark.slow


def run(*args: str, timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run(
        fmslab_command("notebooks", "run", *args),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )


def test_a_batch_reports_each_notebook_and_leaves_nothing_running(tmp_path: Path):
    out = tmp_path / "out"
    leak, hang = leaky(tmp_path / "91_leaky.ipynb"), hanging(tmp_path / "92_hanging.ipynb")
    result = run(
        "--kind", "solutions", "01",
        str(ROOT / "labs" / "03_data_quality.ipynb"), str(leak), str(hang),
        "-p", "seed", "7", "--mode", "embedded",
        "--out", str(out), "--timeout", "10", "--keep-going",
    )  # fmt: skip
    assert result.returncode == 1, result.stderr[-3000:]
    summary = json.loads((out / "summary.json").read_text())
    rows = summary["results"]
    assert [Path(r["notebook"]).name for r in rows] == [
        "01_prelab_introduction.ipynb",
        "03_data_quality.ipynb",
        "91_leaky.ipynb",
        "92_hanging.ipynb",
    ]
    assert [r["status"] for r in rows] == ["passed", "failed", "leftovers", "timeout"]
    assert (summary["passed"], summary["failed"], summary["exit_code"]) == (1, 3, 1)
    solution, lab, leaked, hung = rows
    assert solution["parameters"] == {"seed": 7, "mode": "embedded"}
    assert solution["peak_memory_mb"] > 20 and solution["seconds"] > 0
    executed = json.loads(Path(solution["output"]).read_text())
    assert any("seed = 7" in "".join(c["source"]) for c in executed["cells"])
    # The lab's first exercise defines a function that raises; its check cell (index 5) calls it.
    assert lab["failed_cell"] == 5 and lab["error"].startswith("NotImplementedError")
    assert "iqr_bounds" in lab["cell_source"]
    assert [p["name"] for p in leaked["leftovers"]] == ["sleeper"]
    assert not psutil.pid_exists(leaked["leftovers"][0]["pid"])
    assert hung["failed_cell"] == 2 and "time.sleep(600)" in hung["cell_source"]
    assert "timed out" in hung["error"]
    assert all(not marked(r["run_id"]) for r in rows), "a notebook's process still runs"
    page = (out / "summary.html").read_text()
    assert page.count("<tr class=") == 4 and "NotImplementedError" in page
    assert "[4/4] 92_hanging" not in result.stderr  # labels name the folder too
    assert f"[4/4] {tmp_path.name}/92_hanging.ipynb: timeout" in result.stderr
    assert "sleeper (pid" in result.stdout + result.stderr


def test_without_keep_going_the_rest_is_not_run(tmp_path: Path):
    bad = notebook(tmp_path / "81_bad.ipynb", "raise ValueError('broken on purpose')")
    good = notebook(tmp_path / "82_good.ipynb", "print('fine')")
    result = run(str(bad), str(good), "--out", str(tmp_path / "out"))
    assert result.returncode == 1
    rows = json.loads((tmp_path / "out" / "summary.json").read_text())["results"]
    assert [(r["status"], r["failed_cell"], r["error"]) for r in rows] == [
        ("failed", 1, "ValueError: broken on purpose"),
        ("not run", None, "not run: an earlier one failed"),
    ]


def test_an_unknown_parameter_is_an_error_listing_the_known_ones():
    chosen = select_notebooks(ROOT, "solutions", ["01", "03"])
    assert [p.name for p in chosen] == ["01_prelab_introduction.ipynb", "03_data_quality.ipynb"]
    with pytest.raises(RunError) as error:
        check_parameters(chosen, {"rounds": 3, "seed": 7})
    message = str(error.value)
    assert "03_data_quality.ipynb: unknown parameter rounds" in message
    assert "has: mode, seed, devices, readings" in message
    assert "01_prelab" not in message  # 01 declares rounds
    with pytest.raises(RunError, match="no labs notebook matches 'no-such-lab'"):
        select_notebooks(ROOT, "labs", ["no-such-lab"])


def test_command_line_parameters_read_like_papermills():
    patterns, parameters = split_arguments(["01", "-p", "seed", "7", "-p", "mode", "stack", "03"])
    assert (patterns, parameters) == (["01", "03"], {"seed": 7, "mode": "stack"})
    with pytest.raises(RunError, match="-p NAME VALUE"):
        split_arguments(["-p", "seed"])
