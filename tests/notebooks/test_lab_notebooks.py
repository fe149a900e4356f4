"""Labs come from the solutions: exercises raise NotImplementedError, nothing else differs."""

from __future__ import annotations

from pathlib import Path

import nbclient
import pytest

from fmslab.labs import generate, has_solution, stale_labs
from tests.notebooks.course_notebooks import CELL_TIMEOUT, LABS, NOTEBOOK_TIMEOUT, ROOT, ids, read

pytestmark = pytest.mark.notebook


def test_regenerating_the_labs_changes_nothing():
    # The same function `fmslab labs generate --check` runs (its CLI is tested in tests/labs).
    differ = generate(ROOT / "solutions", ROOT / "labs", check=True)
    assert not differ, f"run `fmslab labs generate`: {[p.name for p in differ]} differ"
    assert not stale_labs(ROOT / "solutions", ROOT / "labs")


@pytest.mark.parametrize("path", LABS, ids=ids(LABS))
def test_labs_hold_no_answers_and_no_outputs(path: Path):
    solution = read(ROOT / "solutions" / path.name)
    lab = read(path)
    assert len(lab.cells) == len(solution.cells)
    for lab_cell, solution_cell in zip(lab.cells, solution.cells, strict=True):
        assert "### BEGIN SOLUTION" not in lab_cell.source
        if lab_cell.cell_type == "code":
            assert lab_cell.outputs == [] and lab_cell.execution_count is None
            if has_solution(solution_cell.source):
                assert "raise NotImplementedError()" in lab_cell.source


@pytest.mark.slow
@pytest.mark.timeout(NOTEBOOK_TIMEOUT)
@pytest.mark.parametrize("path", LABS, ids=ids(LABS))
def test_every_lab_exercise_raises_not_implemented_when_run(path: Path):
    lab = read(path)
    client = nbclient.NotebookClient(
        lab,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    code = [c for c in lab.cells if c.cell_type == "code"]
    exercises = [i for i, c in enumerate(code) if "raise NotImplementedError()" in c.source]
    assert exercises
    for i in exercises:
        # An exercise that defines a function raises when its check cell calls it.
        raised = [
            o.get("ename")
            for cell in code[i : i + 2]
            for o in cell.outputs
            if o["output_type"] == "error"
        ]
        assert "NotImplementedError" in raised, f"exercise cell {i} raised {raised}"
