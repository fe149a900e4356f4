"""Labs come from the solutions, and a student can use them: run in one kernel as a student would.

Each lab runs once, in one kernel. At every exercise: the untouched exercise (it must say what to
do), each wrong answer of tests/labs/wrong_answers.py (its check must fail with the hint that
names the mistake), the solution's answer (the check prints Correct!) and the check once more (a
re-run keeps the verdict, whatever the earlier attempts left behind).
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import nbclient
import nbformat
import papermill
import pytest

from fmslab.labs import BEGIN, END, TODO, generate, has_solution, stale_labs
from tests.labs.wrong_answers import WRONG, Wrong
from tests.notebooks.course_notebooks import CELL_TIMEOUT, LABS, ROOT, SMALL_PARAMETERS, ids, read

pytestmark = pytest.mark.notebook
LAB_TIMEOUT = 900  # seconds for one lab's whole run (lab 09 runs its stream job and six checks)
LAB_CELL_TIMEOUT = 2 * CELL_TIMEOUT  # lab 09's setup drains a topic with the stream job


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
                assert f"raise NotImplementedError({TODO!r})" in lab_cell.source


# --- running a lab as a student ----------------------------------------------------------------


def with_answer(source: str, regions: tuple[str | None, ...]) -> str:
    """`source` with its n-th solution region's code replaced by regions[n] (None keeps it)."""
    out: list[str] = []
    region, inside = 0, False
    for line in source.split("\n"):
        stripped = line.strip()
        if stripped == BEGIN:
            inside = True
            replacement = regions[region] if region < len(regions) else None
            if replacement is not None:
                indent = line[: len(line) - len(line.lstrip())]
                out.append(textwrap.indent(textwrap.dedent(replacement), indent))
        elif stripped == END:
            inside = False
            region += 1
        elif not inside or replacement is None:
            out.append(line)
    assert region == len(regions), f"{len(regions)} answers for {region} solution regions"
    return "\n".join(out)


def injected_parameters(path: Path) -> str:
    """The test's seed, and its small values where they are smaller than the lab's own."""
    declared = papermill.inspect_notebook(str(path))
    lines = [f"seed = {SMALL_PARAMETERS['seed']}"]
    for name, value in SMALL_PARAMETERS.items():
        if name == "seed" or name not in declared or not isinstance(value, int):
            continue
        if value < ast.literal_eval(declared[name]["default"]):
            lines.append(f"{name} = {value}")
    return "\n".join(lines)


class Kernel:
    """Runs cell sources one by one in one kernel and describes what they printed."""

    def __init__(self, client: nbclient.NotebookClient) -> None:
        self.client = client

    def run(self, source: str) -> list[dict]:
        cell = nbformat.v4.new_code_cell(source)
        # nbclient stores the executed cell at its index in the client's own scratch notebook.
        self.client.execute_cell(cell, 0)
        return cell.outputs

    @staticmethod
    def errors(outputs: list[dict]) -> list[tuple[str, str]]:
        return [(o["ename"], o["evalue"]) for o in outputs if o["output_type"] == "error"]

    @staticmethod
    def stdout(outputs: list[dict]) -> str:
        return "".join(o.get("text", "") for o in outputs if o.get("name") == "stdout")


def attempt(kernel: Kernel, exercise: str, check: str) -> list[dict]:
    """Run an exercise cell and then its check cell (as a student does, even after an error)."""
    return kernel.run(exercise) + kernel.run(check)


def expect_untouched(kernel: Kernel, where: str, lab_cell: str, check: str) -> None:
    errors = kernel.errors(attempt(kernel, lab_cell, check))
    assert errors and errors[0][0] == "NotImplementedError", f"{where} untouched: {errors}"
    assert "not done yet" in errors[0][1], f"{where} untouched: {errors[0]}"


def expect_hint(kernel: Kernel, where: str, exercise: str, check: str, mistake: Wrong) -> None:
    outputs = attempt(kernel, with_answer(exercise, mistake.regions), check)
    errors = kernel.errors(outputs)
    assert errors, f"{where}: the check accepted a wrong answer ({mistake.hint!r})"
    name, value = errors[-1]
    assert "Hint:" in value and mistake.hint in value, (
        f"{where}: a wrong answer ({mistake.hint!r}) failed with {name}: {value[:300]}"
    )


def expect_correct(kernel: Kernel, where: str, outputs: list[dict], what: str) -> None:
    errors = kernel.errors(outputs)
    assert not errors, f"{where} {what}: {errors}"
    assert "Correct!" in kernel.stdout(outputs), f"{where} {what}: {kernel.stdout(outputs)!r}"


def exercise_numbers(cells: list) -> dict[int, int]:
    """{cell index: exercise number} of the solution's exercise cells."""
    code = [i for i, c in enumerate(cells) if c.cell_type == "code" and has_solution(c.source)]
    return {i: n for n, i in enumerate(code, start=1)}


@pytest.mark.slow
@pytest.mark.timeout(LAB_TIMEOUT)
@pytest.mark.parametrize("path", LABS, ids=ids(LABS))
def test_a_student_runs_every_exercise_wrong_then_right_then_again(path: Path):
    lab, solution = read(path), read(ROOT / "solutions" / path.name)
    wrong_answers = WRONG.get(path.stem, {})
    numbers = exercise_numbers(solution.cells)
    missing = sorted(set(numbers.values()) - {n for n, w in wrong_answers.items() if w})
    assert not missing, (
        f"tests/labs/wrong_answers.py has no wrong answer for {path.stem} exercise(s) {missing}: "
        "add one per mistake its check's hint names"
    )
    scratch = nbformat.v4.new_notebook(metadata=lab.metadata, cells=[nbformat.v4.new_code_cell()])
    client = nbclient.NotebookClient(
        scratch,
        timeout=LAB_CELL_TIMEOUT,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(path.parent)}},
    )
    with client.setup_kernel():
        kernel = Kernel(client)
        checks = {i + 1 for i in numbers}
        for i, cell in enumerate(lab.cells):
            if cell.cell_type != "code" or i in checks:
                continue
            if i not in numbers:  # setup, clean-up
                outputs = kernel.run(cell.source)
                assert not kernel.errors(outputs), f"cell {i}: {kernel.errors(outputs)}"
                if "parameters" in cell.metadata.get("tags", []):
                    kernel.run(injected_parameters(path))
                continue
            where = f"{path.stem} exercise {numbers[i]}"
            check = lab.cells[i + 1].source
            expect_untouched(kernel, where, cell.source, check)
            for mistake in wrong_answers[numbers[i]]:
                expect_hint(kernel, where, solution.cells[i].source, check, mistake)
            right = attempt(kernel, solution.cells[i].source, check)
            expect_correct(kernel, where, right, "right answer")
            expect_correct(kernel, where, kernel.run(check), "check run again")
