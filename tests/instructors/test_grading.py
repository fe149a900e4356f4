"""`fmslab grade`: lab 03, its solution, and crafted submissions for what students hand in."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import nbformat
import psutil
import pytest

from fmslab.instructor.grading import (
    assemble,
    execute,
    expected_lab,
    grade_submission,
    identify_lab,
    load_references,
    read_submission,
)
from fmslab.services import fmslab_command
from tests.instructors.crafted import cell_with, without_tags
from tests.notebooks.course_notebooks import ROOT, read

LABS = ROOT / "labs"
LAB = LABS / "03_data_quality.ipynb"
SOLUTION = ROOT / "solutions" / "03_data_quality.ipynb"
# Lab 03's exercises (5 today); the expected scores follow it if exercises are added.
N = sum(t.startswith("exercise:") for c in read(LAB).cells for t in c.metadata.get("tags", []))


def answered_lab() -> nbformat.NotebookNode:
    """Lab 03 as a student hands it in with every answer right (tags kept, like Jupyter does)."""
    lab, solution = read(LAB), read(SOLUTION)
    answers = {c.id: c.source for c in solution.cells}
    for cell in lab.cells:
        if any(t.startswith("exercise:") for t in cell.metadata.get("tags", [])):
            cell.source = answers[cell.id]
    return lab


def tampered() -> nbformat.NotebookNode:
    """Check 2 and answer 5 deleted; check 4 edited to pass anything, answer 4 wrong."""
    nb = answered_lab()
    cell_with(nb, "check:4").source = "assert True  # trust me"
    cell_with(nb, "exercise:4").source = "def fill_sentinels(values):\n    return list(values)"
    gone = {id(cell_with(nb, "check:2")), id(cell_with(nb, "exercise:5"))}
    nb.cells = [c for c in nb.cells if id(c) not in gone]
    return nb


def reordered_loud_and_looping() -> nbformat.NotebookNode:
    """Check 1 moved first, exercise 3 (text, answer, check) last; answer 2 prints 3 MB, 1 loops."""
    nb = answered_lab()
    cell_with(nb, "exercise:1").source = (
        "while True:\n    pass\n" + cell_with(nb, "exercise:1").source
    )
    cell_with(nb, "exercise:2").source = (
        'print("x" * 3_000_000)\n' + cell_with(nb, "exercise:2").source
    )
    check1 = cell_with(nb, "check:1")
    start = nb.cells.index(cell_with(nb, "exercise:3")) - 1
    moved = nb.cells[start : start + 3]
    rest = [c for c in nb.cells if c is not check1 and all(c is not m for m in moved)]
    nb.cells = [check1, *rest, *moved]
    return nb


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    folder = tmp_path_factory.mktemp("submissions")
    files = {
        "03_solution.ipynb": read(SOLUTION),
        "03_untouched.ipynb": read(LAB),
        "03_tampered.ipynb": tampered(),
        "03_reordered_loud_looping.ipynb": reordered_loud_and_looping(),
        "03_from_chapter_01.ipynb": read(LABS / "01_prelab_introduction.ipynb"),
    }
    for name, nb in files.items():
        nbformat.write(nb, folder / name)
    (folder / "03_broken.ipynb").write_text('{"cells": [', encoding="utf-8")
    (folder / "03_not_a_notebook.ipynb").write_text('{"cells": 5}', encoding="utf-8")
    paths = sorted(folder.glob("*.ipynb"))
    out = folder / "report"
    args = ["grade", *map(str, paths), "--out", str(out), "--cell-timeout", "10"]
    result = subprocess.run(
        fmslab_command(*args), capture_output=True, text=True, timeout=400, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr[-3000:]
    grades = json.loads((out / "grades.json").read_text())
    return {Path(g["submission"]).name: g | {"out": out} for g in grades}


def scores(grade: dict) -> tuple[str, int, int, list[str]]:
    return grade["status"], grade["score"], grade["total"], [c["status"] for c in grade["checks"]]


@pytest.mark.slow
def test_the_solution_gets_full_marks_and_the_untouched_lab_zero(graded):
    assert scores(graded["03_solution.ipynb"]) == ("graded", N, N, ["passed"] * N)
    assert graded["03_solution.ipynb"]["notes"] == []
    untouched = graded["03_untouched.ipynb"]
    assert scores(untouched) == ("graded", 0, N, ["failed"] * N)
    assert untouched["checks"][2]["hint"].startswith("NotImplementedError")


@pytest.mark.slow
def test_deleted_and_edited_check_cells_are_reported_and_replaced(graded):
    grade = graded["03_tampered.ipynb"]
    expected = ["passed"] * 3 + ["failed"] * 2 + ["passed"] * (N - 5)
    assert scores(grade) == ("graded", N - 2, N, expected)
    assert grade["notes"] == [
        "exercise 2: its check cell (check:2) was deleted; the lab's own was put back",
        "exercise 4: its check cell (check:4) was edited; graded with the lab's own",
        "exercise 5: its answer cell is missing; its check runs at the end",
    ]
    hint = grade["checks"][3]["hint"]  # the lab's own check's message, not the student's
    assert hint.startswith("Hint: ") and hint in cell_with(read(LAB), "check:4").source
    assert grade["checks"][4]["hint"].startswith("NameError: name ")


@pytest.mark.slow
def test_reordering_megabytes_of_output_and_an_endless_answer_still_grade(graded):
    grade = graded["03_reordered_loud_looping.ipynb"]
    assert scores(grade) == ("graded", N - 1, N, ["failed"] + ["passed"] * (N - 1))
    notes = grade["notes"]
    assert notes[0] == "cells were reordered; each check runs right after its exercise's cell"
    assert notes[1:] == [
        "the answer cell of exercise 2 printed 3.0 M characters; its output was truncated",
        "the answer cell of exercise 1 ran over 10 s and was interrupted",
    ]
    assert grade["checks"][0]["hint"].startswith("NameError: name ")
    assert Path(grade["graded_copy"]).stat().st_size < 400_000  # not the 3 MB it printed


@pytest.mark.slow
def test_files_that_cannot_be_graded_get_a_clear_line(graded):
    broken, other = graded["03_broken.ipynb"], graded["03_from_chapter_01.ipynb"]
    assert scores(broken) == ("invalid", 0, N, [])
    assert broken["notes"] == ["not graded: not valid JSON (line 1, column 12: Expecting value)"]
    assert scores(graded["03_not_a_notebook.ipynb"])[:3] == ("invalid", 0, N)
    assert graded["03_not_a_notebook.ipynb"]["notes"][0].startswith("not graded: not a Jupyter")
    assert scores(other) == ("wrong lab", 0, N, [])
    assert other["notes"] == [
        "not graded: this is lab 01_prelab_introduction, expected 03_data_quality"
    ]


@pytest.mark.slow
def test_reports_hold_every_submission(graded):
    out = next(iter(graded.values()))["out"]
    rows = (out / "grades.csv").read_text().splitlines()
    assert len(rows) == 1 + len(graded) and rows[0].startswith("submission,lab,status,score")
    checks = (out / "checks.csv").read_text().splitlines()
    assert len(checks) == 1 + 4 * N  # four graded submissions, N exercises each
    page = (out / "grades.html").read_text()
    assert page.count("<tr class=") == len(graded) and "wrong lab" in page


def test_a_submission_is_matched_to_its_lab_by_metadata_or_by_cell_ids(tmp_path: Path):
    references = load_references(LABS)
    assert identify_lab(read(LAB), references) == "03_data_quality"
    assert identify_lab(without_tags(read(LAB)), references) == "03_data_quality"
    assert identify_lab(read(ROOT / "solutions" / "01_prelab_introduction.ipynb"), references) == (
        "01_prelab_introduction"
    )
    assert expected_lab(Path("kim_03_data_quality.ipynb"), references, None) == "03_data_quality"
    assert expected_lab(Path("homework.ipynb"), references, None) is None
    assert expected_lab(Path("homework.ipynb"), references, "01") == "01_prelab_introduction"
    (tmp_path / "x.ipynb").write_bytes(b"\xff\xfe")
    with pytest.raises(ValueError, match="not valid JSON"):
        read_submission(tmp_path / "x.ipynb")
    # A number no lab has (every chapter 01-13 has one now): in a file name it names no lab.
    chapter = next(f"{n:02d}" for n in range(1, 100) if not list(LABS.glob(f"{n:02d}_*.ipynb")))
    (tmp_path / f"{chapter}_x.ipynb").write_text(
        '{"cells": [{"cell_type": "code"}], "nbformat": 4}'
    )
    grade = grade_submission(tmp_path / f"{chapter}_x.ipynb", references, LABS, tmp_path / "out")
    assert (grade.status, grade.lab, grade.score, grade.total) == ("invalid", "", 0, 0)
    assert grade.notes[0] == f"the file name says chapter {chapter}, which has no lab; ignored"
    assert grade.notes[1].startswith("not graded: not a Jupyter notebook (")
    missing = grade_submission(tmp_path / "03_gone.ipynb", references, LABS, tmp_path / "out")
    assert missing.notes == ["not graded: cannot read the file (No such file or directory)"]


def test_assembly_finds_a_retagged_check_by_its_source_and_reports_setup_edits():
    ref = load_references(LABS)["03_data_quality"]
    nb = answered_lab()
    setup = nb.cells[2]
    setup.source += "\nprint('my own setup')"
    check = cell_with(nb, "check:3")
    check.metadata["tags"], check["id"] = [], "pasted-again"
    graded, notes = assemble(nb, ref)
    assert notes == ["cell 2 of the lab (not an answer cell) was edited; it ran as edited"]
    checks = [c.metadata["fmslab_check"] for c in graded.cells if "fmslab_check" in c.metadata]
    assert checks == ["check:1", "check:2", "check:3", "check:4", "check:5"]
    assert len(graded.cells) == len(nb.cells)
    after = graded.cells[graded.cells.index(cell_with(graded, "exercise:3")) + 1]
    assert after.metadata["fmslab_check"] == "check:3"


@pytest.mark.slow
def test_a_notebook_timeout_ends_the_run_and_a_left_service_is_stopped():
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(source)
            for source in (
                "import sys, tempfile\nfrom pathlib import Path\n"
                "from fmslab.services import start_service",
                'svc = start_service("sleeper", [sys.executable, "-c", "import time; '
                'time.sleep(300)"], state_dir=Path(tempfile.mkdtemp()))',
                "import time\ntime.sleep(60)",
                "after = 1",
            )
        ]
    )
    started = time.monotonic()
    client, notes = execute(nb, cell_timeout=30, notebook_timeout=8)
    assert time.monotonic() - started < 30  # the notebook's budget, not the cell's
    assert notes[0] == "notebook timeout (8 s): cells from 3 on not run"
    assert notes[1].startswith("left running: sleeper (pid ") and notes[1].endswith("); stopped")
    pid = int(notes[1].split("(pid ")[1].split(")")[0])
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    assert notes[2] == "cell 2 was interrupted at the notebook timeout"
    assert 3 not in client.replies  # never ran
