"""`fmslab labs generate`: build the exercise notebooks in labs/ from the answers in solutions/.

nbgrader's convention: every `### BEGIN SOLUTION` ... `### END SOLUTION` region of a code cell
becomes `# YOUR CODE HERE` + `raise NotImplementedError(TODO)` at the region's indentation, TODO
telling a student what to do (`YOUR ANSWER HERE` in markdown cells). Outputs and execution
counts are cleared; metadata and tags are kept. The output is deterministic, so regenerating
leaves git clean.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from fmslab.config import project_root

if TYPE_CHECKING:  # nbformat pulls in jsonschema: import it only when notebooks are handled
    import nbformat

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
_NOTEBOOK = re.compile(r"^\d\d_.*\.ipynb$")
TODO = (
    "This exercise is not done yet: replace `# YOUR CODE HERE` and this `raise` line with your "
    "answer, then run this cell and the check cell below it again."
)


class LabError(ValueError):
    """A lab cannot be generated (a missing folder, an unreadable notebook, bad markers)."""


class SolutionMarkerError(LabError):
    """A solution region is not closed, or closed without being opened."""


def strip_solution(source: str, *, markdown: bool = False) -> str:
    """Replace every solution region of a cell's source with the exercise placeholder."""
    lines = source.split("\n")
    out: list[str] = []
    inside = False
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if stripped == BEGIN:
            if inside:
                raise SolutionMarkerError(f"line {number}: {BEGIN} inside another solution")
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            if markdown:
                out.append(f"{indent}YOUR ANSWER HERE")
            else:
                out += [f"{indent}# YOUR CODE HERE", f"{indent}raise NotImplementedError({TODO!r})"]
        elif stripped == END:
            if not inside:
                raise SolutionMarkerError(f"line {number}: {END} without {BEGIN}")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise SolutionMarkerError(f"{BEGIN} is never closed")
    return "\n".join(out)


def has_solution(source: str) -> bool:
    """Whether a cell's source holds a solution region."""
    return any(line.strip() == BEGIN for line in source.split("\n"))


def lab_notebook(solution: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The lab version of a solution notebook: answers removed, outputs cleared."""
    import nbformat

    lab = nbformat.from_dict(solution)
    for cell in lab.cells:
        if cell.cell_type == "code":
            cell.source = strip_solution(cell.source)
            cell.outputs = []
            cell.execution_count = None
        elif cell.cell_type == "markdown":
            cell.source = strip_solution(cell.source, markdown=True)
        cell.metadata.pop("execution", None)  # papermill/jupyter timing stamps
    lab.metadata.pop("papermill", None)
    tag_exercises_and_checks(lab, solution)
    return lab


EXERCISE_TAG = "exercise:"
CHECK_TAG = "check:"


def _is_check(source: str) -> bool:
    """Whether a code cell checks an answer: it holds an `assert` statement."""
    import ast

    try:
        return any(isinstance(node, ast.Assert) for node in ast.walk(ast.parse(source)))
    except SyntaxError:  # IPython magics and the like: fall back to the text
        return re.search(r"^\s*assert\b", source, re.MULTILINE) is not None


def _own_tag(cell: nbformat.NotebookNode) -> str | None:
    return next(
        (t for t in cell.metadata.get("tags", []) if t.startswith((EXERCISE_TAG, CHECK_TAG))), None
    )


def _add_tag(cell: nbformat.NotebookNode, tag: str) -> None:
    cell.metadata["tags"] = [*cell.metadata.get("tags", []), tag]


def tag_exercises_and_checks(lab: nbformat.NotebookNode, solution: nbformat.NotebookNode) -> None:
    """Give each exercise cell `exercise:<n>` and each of its check cells `check:<n>`.

    An exercise is a cell of the solution with a solution region, numbered 1, 2, ... in order; its
    checks are the code cells after it (up to the next exercise or markdown cell) that `assert`
    something; a second check of the same exercise is `check:<n>.2`. Grading finds cells by these
    tags, not by position. A cell that already carries such a tag in the solution keeps it.
    """
    exercise, checks = 0, 0
    for lab_cell, cell in zip(lab.cells, solution.cells, strict=True):
        if _own_tag(cell):
            continue
        if has_solution(cell.source):
            exercise, checks = exercise + 1, 0
            _add_tag(lab_cell, f"{EXERCISE_TAG}{exercise}")
        elif cell.cell_type == "markdown":
            checks = -1  # checks sit right after their exercise, before any new text
        elif exercise and checks >= 0 and _is_check(cell.source):
            checks += 1
            _add_tag(lab_cell, f"{CHECK_TAG}{exercise}" + (f".{checks}" if checks > 1 else ""))


def stamp_lab_name(lab: nbformat.NotebookNode, name: str) -> nbformat.NotebookNode:
    """Record which lab a notebook is (`metadata.fmslab.lab`): grading spots another chapter."""
    lab.metadata["fmslab"] = {**lab.metadata.get("fmslab", {}), "lab": name}
    return lab


def render(notebook: nbformat.NotebookNode) -> str:
    """A notebook as stable JSON text (sorted keys, one-space indent, trailing newline)."""
    import nbformat

    return nbformat.writes(notebook).rstrip("\n") + "\n"


def solution_notebooks(solutions_dir: Path) -> list[Path]:
    """The solution notebooks (`NN_*.ipynb`) in order."""
    return sorted(p for p in solutions_dir.glob("*.ipynb") if _NOTEBOOK.match(p.name))


def generate(solutions_dir: Path, labs_dir: Path, *, check: bool = False) -> list[Path]:
    """Write labs_dir/NN_*.ipynb from solutions_dir; returns the labs that changed (or would)."""
    import nbformat

    if not solutions_dir.is_dir():
        raise LabError(f"no solutions folder at {solutions_dir}")
    changed = []
    for source in solution_notebooks(solutions_dir):
        try:
            solution = nbformat.read(source, as_version=4)
        except (ValueError, KeyError, OSError) as exc:
            raise LabError(f"{source}: not a readable notebook ({exc})") from exc
        try:
            text = render(stamp_lab_name(lab_notebook(solution), source.stem))
        except SolutionMarkerError as exc:
            raise SolutionMarkerError(f"{source}: {exc}") from exc
        target = labs_dir / source.name
        if target.is_file() and target.read_text(encoding="utf-8") == text:
            continue
        changed.append(target)
        if not check:
            labs_dir.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
    return changed


def stale_labs(solutions_dir: Path, labs_dir: Path) -> list[Path]:
    """Lab notebooks that no solution notebook generates any more."""
    expected = {p.name for p in solution_notebooks(solutions_dir)}
    return sorted(p for p in labs_dir.glob("*.ipynb") if p.name not in expected)


def register(app: typer.Typer) -> None:
    """Add `fmslab labs generate` to the `fmslab` command."""
    labs_app = typer.Typer(help="Exercise notebooks generated from the solutions.")
    app.add_typer(labs_app, name="labs")

    @labs_app.command("generate")
    def generate_command(
        check: bool = typer.Option(
            False, "--check", help="Write nothing; exit 1 listing the labs that differ."
        ),
        solutions: Path = typer.Option(None, help="Solutions folder (default: solutions/)."),
        labs: Path = typer.Option(None, help="Labs folder (default: labs/)."),
    ) -> None:
        """Generate labs/NN_*.ipynb from solutions/NN_*.ipynb (answers removed, outputs cleared)."""
        root = project_root()
        solutions = solutions or root / "solutions"
        labs = labs or root / "labs"
        try:
            changed = generate(solutions, labs, check=check)
        except LabError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
        stale = stale_labs(solutions, labs)
        for path in changed:
            typer.echo(f"{'differs' if check else 'wrote'}: {path}")
        for path in stale:
            typer.echo(f"no solution generates: {path}")
        if check and (changed or stale):
            raise typer.Exit(1)
        if not changed:
            typer.echo(f"labs up to date ({len(solution_notebooks(solutions))} notebooks)")
