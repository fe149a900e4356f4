"""The lab generator: solution regions become exercises, outputs go, output is stable."""

from __future__ import annotations

import subprocess
from pathlib import Path

import nbformat
import pytest

from fmslab.labs import (
    TODO,
    LabError,
    SolutionMarkerError,
    generate,
    lab_notebook,
    render,
    strip_solution,
)
from fmslab.services import fmslab_command

ANSWER = """def completeness(values):
    \"\"\"Share of values that are not None.\"\"\"
    ### BEGIN SOLUTION
    present = [v for v in values if v is not None]
    return len(present) / len(values)
    ### END SOLUTION

print("defined")"""


def solution_notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    params = nbformat.v4.new_code_cell("mode = 'embedded'\nseed = 42", id="params")
    params.metadata["tags"] = ["parameters"]
    answer = nbformat.v4.new_code_cell(ANSWER, id="answer", execution_count=3)
    answer.outputs = [nbformat.v4.new_output("stream", name="stdout", text="defined\n")]
    answer.metadata["tags"] = ["exercise"]
    top = nbformat.v4.new_code_cell("### BEGIN SOLUTION\nx = 1\n### END SOLUTION", id="top")
    note = nbformat.v4.new_markdown_cell("Why?\n\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION")
    note["id"] = "note"
    nb.cells = [params, answer, top, note]
    return nb


def test_region_becomes_placeholder_at_the_same_indentation():
    lab = strip_solution(ANSWER)
    assert lab.splitlines() == [
        "def completeness(values):",
        '    """Share of values that are not None."""',
        "    # YOUR CODE HERE",
        f"    raise NotImplementedError({TODO!r})",
        "",
        'print("defined")',
    ]


def test_top_level_and_markdown_regions():
    assert strip_solution("### BEGIN SOLUTION\nx = 1\n### END SOLUTION") == (
        f"# YOUR CODE HERE\nraise NotImplementedError({TODO!r})"
    )
    text = strip_solution("Why?\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION", markdown=True)
    assert text == "Why?\nYOUR ANSWER HERE"


def test_the_placeholder_tells_a_student_what_to_do():
    placeholder = strip_solution("### BEGIN SOLUTION\nx = 1\n### END SOLUTION").splitlines()[-1]
    with pytest.raises(NotImplementedError, match="not done yet: replace `# YOUR CODE HERE`"):
        exec(placeholder)  # the line a student meets, as the kernel runs it
    assert "run this cell and the check cell below it again" in TODO


def test_unbalanced_markers_are_reported():
    with pytest.raises(SolutionMarkerError, match="never closed"):
        strip_solution("### BEGIN SOLUTION\nx = 1")
    with pytest.raises(SolutionMarkerError, match="without"):
        strip_solution("x = 1\n### END SOLUTION")


def test_lab_clears_outputs_and_counts_but_keeps_tags_and_ids():
    lab = lab_notebook(solution_notebook())
    params, answer, top, note = lab.cells
    assert params.metadata["tags"] == ["parameters"]
    assert answer.metadata["tags"] == ["exercise", "exercise:1"]  # kept, plus the grading tag
    assert answer.outputs == [] and answer.execution_count is None
    assert "raise NotImplementedError(" in answer.source and "present" not in answer.source
    assert top.source.endswith(f"raise NotImplementedError({TODO!r})")
    assert note.source.endswith("YOUR ANSWER HERE")
    assert [c.id for c in lab.cells] == ["params", "answer", "top", "note"]
    nbformat.validate(lab)


def test_generate_is_deterministic_and_check_reports_differences(tmp_path: Path):
    solutions, labs = tmp_path / "solutions", tmp_path / "labs"
    solutions.mkdir()
    nbformat.write(solution_notebook(), solutions / "01_demo.ipynb")
    assert generate(solutions, labs) == [labs / "01_demo.ipynb"]
    first = (labs / "01_demo.ipynb").read_text()
    assert first.endswith("}\n") and not first.endswith("\n\n")
    assert generate(solutions, labs) == []
    assert generate(solutions, labs, check=True) == []
    assert (labs / "01_demo.ipynb").read_text() == first
    (labs / "01_demo.ipynb").write_text(first.replace("YOUR CODE HERE", "edited by hand"))
    assert generate(solutions, labs, check=True) == [labs / "01_demo.ipynb"]
    assert "edited by hand" in (labs / "01_demo.ipynb").read_text()  # --check writes nothing
    assert render(nbformat.read(labs / "01_demo.ipynb", as_version=4)) != first


@pytest.mark.slow
def test_cli_check_exits_1_and_lists_the_lab_that_differs(tmp_path: Path):
    solutions, labs = tmp_path / "solutions", tmp_path / "labs"
    solutions.mkdir()
    nbformat.write(solution_notebook(), solutions / "02_demo.ipynb")
    args = ["labs", "generate", "--solutions", str(solutions), "--labs", str(labs)]
    check = subprocess.run(
        fmslab_command(*args, "--check"), capture_output=True, text=True, timeout=60
    )
    assert check.returncode == 1 and "02_demo.ipynb" in check.stdout
    assert not (labs / "02_demo.ipynb").exists()
    write = subprocess.run(fmslab_command(*args), capture_output=True, text=True, timeout=60)
    assert write.returncode == 0 and (labs / "02_demo.ipynb").is_file()
    again = subprocess.run(
        fmslab_command(*args, "--check"), capture_output=True, text=True, timeout=60
    )
    assert again.returncode == 0, again.stdout


def test_bad_inputs_are_clear_errors(tmp_path: Path):
    with pytest.raises(LabError, match="no solutions folder"):
        generate(tmp_path / "missing", tmp_path / "labs")
    solutions = tmp_path / "solutions"
    solutions.mkdir()
    (solutions / "01_broken.ipynb").write_text("{not json")
    with pytest.raises(LabError, match="01_broken.ipynb: not a readable notebook"):
        generate(solutions, tmp_path / "labs")
    (solutions / "01_broken.ipynb").unlink()
    nb = solution_notebook()
    nb.cells[1].source = "### BEGIN SOLUTION\nx = 1"
    nbformat.write(nb, solutions / "02_open.ipynb")
    with pytest.raises(SolutionMarkerError, match="02_open.ipynb: .* never closed"):
        generate(solutions, tmp_path / "labs")
    assert not (tmp_path / "labs").exists()


@pytest.mark.slow
def test_cli_reports_a_bad_solution_without_a_traceback(tmp_path: Path):
    solutions = tmp_path / "solutions"
    solutions.mkdir()
    (solutions / "01_broken.ipynb").write_text("{not json")
    args = ["labs", "generate", "--solutions", str(solutions), "--labs", str(tmp_path / "labs")]
    result = subprocess.run(fmslab_command(*args), capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "error:" in result.stderr and "01_broken.ipynb" in result.stderr
    assert "Traceback" not in result.stderr
