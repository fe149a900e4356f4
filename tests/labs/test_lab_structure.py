"""Every lab opens with the standard instructions and ends with a recap, as the chapters do."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fmslab.labs import has_solution
from tests.notebooks.course_notebooks import LABS, SOLUTIONS, ids, read

BOTH = SOLUTIONS + LABS
INSTRUCTIONS = (
    "Write your answer where a cell says `# YOUR CODE HERE`, in place of the "
    "`raise NotImplementedError(...)` line, then run the check cell below it: it prints "
    "**Correct!** or fails with a hint."
)


def words(text: str) -> str:
    return " ".join(text.split())  # the paragraph may wrap anywhere


@pytest.mark.parametrize("path", BOTH, ids=ids(BOTH))
def test_a_lab_opens_with_the_standard_instructions(path: Path):
    first = read(path).cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# ")
    assert re.match(r"# \d\d · .+ — lab$", first.source.splitlines()[0]), first.source[:80]
    assert INSTRUCTIONS in words(first.source), "the standard instructions paragraph is missing"
    assert f"Exercises for chapter {path.name[:2]}." in words(first.source)


@pytest.mark.parametrize("path", BOTH, ids=ids(BOTH))
def test_a_lab_ends_with_a_recap(path: Path):
    last = read(path).cells[-1]
    assert last.cell_type == "markdown" and re.match(r"## Recap\n\n\S", last.source), last.source


@pytest.mark.parametrize("path", SOLUTIONS, ids=ids(SOLUTIONS))
def test_every_exercise_has_a_heading_and_one_check(path: Path):
    cells = read(path).cells
    exercises = [i for i, c in enumerate(cells) if c.cell_type == "code" and has_solution(c.source)]
    for number, i in enumerate(exercises, start=1):
        heading = next(c for c in reversed(cells[:i]) if c.cell_type == "markdown")
        assert re.match(rf"## Exercise {number}\b", heading.source), heading.source[:60]
        check = cells[i + 1]
        assert check.cell_type == "code" and not has_solution(check.source)
        assert "Correct!" in check.source and "Hint:" in check.source
