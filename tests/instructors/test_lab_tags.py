"""The labs generator tags exercise and check cells, so grading does not depend on positions."""

from __future__ import annotations

import nbformat
import pytest

from fmslab.labs import lab_notebook, stamp_lab_name
from tests.notebooks.course_notebooks import LABS, ids, read


def tags(nb: nbformat.NotebookNode) -> list[list[str]]:
    return [c.metadata.get("tags", []) for c in nb.cells]


def test_exercises_and_their_assert_cells_are_numbered_in_order():
    new = nbformat.v4
    solution = new.new_notebook(
        cells=[
            new.new_code_cell("x = 0\nassert x == 0"),  # before any exercise: not a check
            new.new_code_cell("### BEGIN SOLUTION\nx = 1\n### END SOLUTION"),
            new.new_code_cell("assert x == 1, 'Hint: one'"),
            new.new_code_cell("%time y = 2\nassert x"),  # a magic: found by its text
            new.new_code_cell("print(x)"),  # no assert: not a check
            new.new_markdown_cell("## Clean up"),
            new.new_code_cell("assert True"),  # after new text: not a check
            new.new_code_cell(
                "def f():\n    ### BEGIN SOLUTION\n    return 2\n    ### END SOLUTION"
            ),
            new.new_code_cell("assert f() == 2"),
        ]
    )
    solution.cells[4].metadata["tags"] = ["check:custom"]  # an author's own tag wins
    assert tags(lab_notebook(solution)) == [
        [],
        ["exercise:1"],
        ["check:1"],
        ["check:1.2"],
        ["check:custom"],
        [],
        [],
        ["exercise:2"],
        ["check:2"],
    ]
    assert stamp_lab_name(lab_notebook(solution), "05_x").metadata["fmslab"] == {"lab": "05_x"}


@pytest.mark.parametrize("path", LABS, ids=ids(LABS))
def test_every_lab_exercise_has_one_check_and_the_lab_its_name(path):
    lab = read(path)
    assert lab.metadata["fmslab"]["lab"] == path.stem
    found = [t for cell_tags in tags(lab) for t in cell_tags if ":" in t]
    exercises = [t for t in found if t.startswith("exercise:")]
    assert exercises, f"{path.name} has no tagged exercise"
    assert found == [
        t for n in range(1, len(exercises) + 1) for t in (f"exercise:{n}", f"check:{n}")
    ]
