"""Static checks of every course notebook: parameters, kernel, stored outputs, chapter shape."""

from __future__ import annotations

import configparser
import re
from pathlib import Path

import papermill
import pytest

from tests.notebooks.course_notebooks import CHAPTERS, LABS, SANITIZE, SOLUTIONS, ids, read

pytestmark = pytest.mark.notebook

ALL = CHAPTERS + SOLUTIONS + LABS
TITLE = re.compile(r"^# \d\d · .+ \(.*[\uac00-\ud7a3].*\)", re.MULTILINE)  # Korean beside English


def tagged(nb, tag: str) -> list:
    return [c for c in nb.cells if tag in c.get("metadata", {}).get("tags", [])]


def test_the_course_has_notebooks():
    assert CHAPTERS and SOLUTIONS
    assert [p.name for p in LABS] == [p.name for p in SOLUTIONS]


@pytest.mark.parametrize("path", ALL, ids=ids(ALL))
def test_one_parameters_cell_first_with_mode_and_seed(path: Path):
    nb = read(path)
    params = tagged(nb, "parameters")
    assert len(params) == 1, f"{path.name}: {len(params)} cells tagged 'parameters'"
    first_code = next(c for c in nb.cells if c.cell_type == "code")
    assert first_code is params[0], "the parameters cell must be the first code cell"
    names = papermill.inspect_notebook(str(path))
    assert {"mode", "seed"} <= set(names), f"parameters are {sorted(names)}"
    assert names["mode"]["default"] == '"embedded"'


@pytest.mark.parametrize("path", ALL, ids=ids(ALL))
def test_kernel_is_python3_and_title_is_bilingual(path: Path):
    nb = read(path)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert TITLE.search(nb.cells[0].source), nb.cells[0].source.splitlines()[0]


@pytest.mark.parametrize("path", CHAPTERS, ids=ids(CHAPTERS))
def test_every_chapter_code_cell_has_a_stored_execution_count(path: Path):
    # nbval silently skips cells stored without an execution count.
    code = [c for c in read(path).cells if c.cell_type == "code"]
    missing = [i for i, c in enumerate(code) if c.execution_count is None]
    assert not missing, f"code cells {missing} have no stored execution count: re-execute"
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1))


@pytest.mark.parametrize("path", CHAPTERS, ids=ids(CHAPTERS))
def test_chapter_opens_with_goals_and_a_diagram_and_ends_with_a_recap(path: Path):
    markdown = [c.source for c in read(path).cells if c.cell_type == "markdown"]
    opening = "\n".join(markdown[:4])
    assert re.search(r"^## Goals", opening, re.MULTILINE), "no '## Goals' near the top"
    assert re.search(r"^```(mermaid)?\n", opening, re.MULTILINE), "no diagram near the top"
    assert re.search(r"^## Recap", markdown[-1], re.MULTILINE), "the last cell is not a recap"


@pytest.mark.parametrize("path", CHAPTERS, ids=ids(CHAPTERS))
def test_chapter_outputs_hold_no_errors_or_stderr(path: Path):
    for cell in read(path).cells:
        for output in cell.get("outputs", []):
            assert output["output_type"] != "error", f"stored error: {output.get('ename')}"
            assert output.get("name") != "stderr", f"stored stderr: {output.get('text', '')[:200]}"


@pytest.mark.parametrize("path", SOLUTIONS, ids=ids(SOLUTIONS))
def test_solutions_hold_3_to_6_exercises_each_followed_by_a_check(path: Path):
    code = [c for c in read(path).cells if c.cell_type == "code"]
    exercises = [i for i, c in enumerate(code) if "### BEGIN SOLUTION" in c.source]
    assert 3 <= len(exercises) <= 6, f"{len(exercises)} exercises"
    for i in exercises:
        check = code[i + 1].source
        assert "assert" in check and "Correct!" in check, f"exercise cell {i} has no check cell"
    assert all(not c.outputs for c in code), "solutions are stored without outputs"


@pytest.mark.parametrize("path", CHAPTERS, ids=ids(CHAPTERS))
def test_no_chapter_cell_relies_on_a_trailing_semicolon(path: Path):
    # nbval runs cells without history, so IPython does not suppress a value ended with `;`:
    # the stored and the re-run outputs would differ. Assign the figure instead.
    for cell in read(path).cells:
        lines = [line for line in cell.source.splitlines() if line.strip()]
        if cell.cell_type == "code" and lines:
            assert not lines[-1].rstrip().endswith(";"), lines[-1]


def test_sanitize_file_masks_only_timestamps_durations_ports_and_paths():
    config = configparser.ConfigParser()
    config.read(SANITIZE)
    assert set(config.sections()) == {"timestamps", "durations", "ports", "absolute-paths"}
    for section in config.sections():
        assert set(config[section]) == {"regex", "replace"}


@pytest.mark.parametrize("path", CHAPTERS, ids=ids(CHAPTERS))
def test_chapters_store_no_execution_timings(path: Path):
    # Re-executing must leave git clean: store outputs with
    # tools/store_notebook_outputs.py (or nbconvert with --ExecutePreprocessor.record_timing=False).
    timed = [i for i, c in enumerate(read(path).cells) if "execution" in c.metadata]
    assert not timed, f"cells {timed} carry execution timestamps"
