"""`fmslab grade`: run submitted labs in a fresh kernel and score them by the lab's own check cells.

A submission is matched to its lab by `metadata.fmslab.lab` (written by `fmslab labs generate`)
or by its cells' ids. Check cells are found by their `check:<n>` tag (or the lab's cell id), never
by position. The graded copy holds the lab's own check right after each exercise cell: a check the
student edited or deleted is reported and replaced, so only the lab's checks decide the score.
Each cell has a timeout, the notebook one too, and a cell's output is truncated past a limit.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError

from fmslab.config import project_root
from fmslab.instructor.processes import MARKER, environment, stop_leftovers
from fmslab.labs import CHECK_TAG, EXERCISE_TAG

OUTPUT_LIMIT = 100_000  # characters of output kept per cell
_CHAPTER = re.compile(r"(?:^|[^0-9])(\d\d)_")


@dataclass
class CheckResult:
    """One exercise of one submission: passed, failed (with the check's hint) or not run."""

    exercise: str
    status: str
    hint: str = ""


@dataclass
class Grade:
    """How one submission was graded (a row of grades.csv)."""

    submission: str
    lab: str = ""
    status: str = "graded"  # graded | invalid | wrong lab | unknown lab | error
    score: int = 0
    total: int = 0
    checks: list[CheckResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    graded_copy: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Reference:
    """A lab as generated: its exercise cells' ids and its check cells, in order."""

    name: str
    notebook: nbformat.NotebookNode
    exercises: dict[str, str]  # exercise number -> id of the exercise cell
    checks: list[tuple[str, str, nbformat.NotebookNode]]  # (tag, exercise number, cell)

    @property
    def total(self) -> int:
        return len({number for _, number, _ in self.checks})


def _grading_tag(cell: nbformat.NotebookNode, prefix: str) -> str | None:
    return next((t for t in cell.metadata.get("tags", []) if t.startswith(prefix)), None)


def _exercise_number(tag: str) -> str:
    return tag.split(":", 1)[1].split(".", 1)[0]


def load_reference(path: Path) -> Reference:
    """The exercises and checks of a generated lab."""
    lab = nbformat.read(path, as_version=4)
    exercises, checks = {}, []
    for cell in lab.cells:
        if tag := _grading_tag(cell, EXERCISE_TAG):
            exercises[_exercise_number(tag)] = cell.get("id", "")
        elif tag := _grading_tag(cell, CHECK_TAG):
            checks.append((tag, _exercise_number(tag), cell))
    return Reference(path.stem, lab, exercises, checks)


def load_references(labs_dir: Path) -> dict[str, Reference]:
    """Every generated lab of a folder, by name."""
    from fmslab.instructor.runner import course_notebooks

    return {p.stem: load_reference(p) for p in course_notebooks(labs_dir)}


def read_submission(path: Path) -> nbformat.NotebookNode:
    """A submission as a notebook; ValueError with the reason when it is not one."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise ValueError(f"cannot read the file ({exc.strerror})") from exc
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from exc
    try:
        notebook = nbformat.reads(text, as_version=4)
    except Exception as exc:  # noqa: BLE001 - nbformat raises many kinds for a broken notebook
        raise ValueError(f"not a Jupyter notebook ({type(exc).__name__}: {exc})"[:300]) from exc
    if not isinstance(notebook.get("cells"), list):
        raise ValueError("not a Jupyter notebook (no list of cells)")
    try:
        nbformat.validate(notebook)
    except nbformat.ValidationError as exc:
        raise ValueError(f"not a valid notebook ({str(exc).splitlines()[0]})"[:300]) from exc
    return notebook


def identify_lab(notebook: nbformat.NotebookNode, references: dict[str, Reference]) -> str | None:
    """Which lab a submission is: its metadata, else the lab most of its cell ids come from."""
    own = notebook.metadata.get("fmslab")
    claimed = own.get("lab") if isinstance(own, dict) else None
    if claimed in references:
        return claimed
    ids = {cell.get("id") for cell in notebook.cells} - {None, ""}
    counts = {
        name: sum(cell.get("id") in ids for cell in ref.notebook.cells)
        for name, ref in references.items()
    }
    best = max(counts, key=counts.get, default=None)
    return best if best is not None and counts[best] else None


def expected_lab(path: Path, references: dict[str, Reference], lab: str | None) -> str | None:
    """The lab a submission should be: --lab, else the NN_ chapter number in its file name."""
    wanted = lab
    if wanted is None and (match := _CHAPTER.search(path.name)):
        wanted = match.group(1)
    if wanted is None:
        return None
    names = [name for name in references if name == wanted or name.startswith(f"{wanted}_")]
    return names[0] if names else wanted


def _same_source(a: str, b: str) -> bool:
    def norm(text: str) -> list[str]:
        return [line.rstrip() for line in text.strip().splitlines()]

    return norm(a) == norm(b)


def _find(cells: list, tag: str, own: nbformat.NotebookNode) -> nbformat.NotebookNode | None:
    """A student's copy of a lab's check cell: by tag, else by cell id, else by its exact source."""
    by_tag = [c for c in cells if _grading_tag(c, CHECK_TAG) == tag]
    if by_tag:
        return by_tag[0]
    cell_id = own.get("id")
    by_id = [c for c in cells if cell_id and c.get("id") == cell_id]
    if by_id:
        return by_id[0]
    return next(
        (c for c in cells if c.cell_type == "code" and _same_source(c.source, own.source)), None
    )


def assemble(
    submission: nbformat.NotebookNode, ref: Reference
) -> tuple[nbformat.NotebookNode, list[str]]:
    """The notebook to run: the student's cells, with the lab's checks after their exercises."""
    notes: list[str] = []
    cells = [nbformat.from_dict(c) for c in submission.cells]
    matched = set()
    for tag, number, own in ref.checks:
        found = _find(cells, tag, own)
        if found is None:
            notes.append(
                f"exercise {number}: its check cell ({tag}) was deleted; the lab's own was put back"
            )
            continue
        matched.add(id(found))
        if not _same_source(found.source, own.source):
            notes.append(
                f"exercise {number}: its check cell ({tag}) was edited; graded with the lab's own"
            )
    kept = [c for c in cells if id(c) not in matched and not _grading_tag(c, CHECK_TAG)]
    _note_edits_outside_answers(kept, ref, notes)
    _note_reordering(kept, ref, notes)
    placed = _place_checks(kept, ref, notes)
    for cell in placed:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    graded = nbformat.from_dict(submission)
    graded.cells = placed
    return graded, notes


def _place_checks(kept: list, ref: Reference, notes: list[str]) -> list[nbformat.NotebookNode]:
    """The cells with each exercise's checks right after its answer cell (or at the end)."""
    placed: list[nbformat.NotebookNode] = []
    pending = list(ref.checks)
    for cell in kept:
        placed.append(cell)
        number = _answered_exercise(cell, ref)
        if number is not None:
            placed += [_check_cell(tag, own) for tag, n, own in pending if n == number]
            pending = [item for item in pending if item[1] != number]
    for number in sorted({n for _, n, _ in pending}, key=int):
        notes.append(f"exercise {number}: its answer cell is missing; its check runs at the end")
    return placed + [_check_cell(tag, own) for tag, _, own in pending]


def _note_edits_outside_answers(cells: list, ref: Reference, notes: list[str]) -> None:
    """Report lab code cells (setup, parameters, ...) the student changed; their version runs."""
    answers = set(ref.exercises.values())
    students = {c.get("id"): c for c in cells if c.get("id")}
    for index, own in enumerate(ref.notebook.cells):
        cell = students.get(own.get("id"))
        if own.cell_type != "code" or own.get("id") in answers or _grading_tag(own, CHECK_TAG):
            continue
        if cell is not None and not _same_source(cell.source, own.source):
            notes.append(
                f"cell {index} of the lab (not an answer cell) was edited; it ran as edited"
            )


def _answered_exercise(cell: nbformat.NotebookNode, ref: Reference) -> str | None:
    tag = _grading_tag(cell, EXERCISE_TAG)
    if tag:
        return _exercise_number(tag)
    return next(
        (n for n, cell_id in ref.exercises.items() if cell_id and cell.get("id") == cell_id), None
    )


def _cell_name(graded: nbformat.NotebookNode, index: int, ref: Reference) -> str:
    """A graded cell as a student knows it: an exercise's answer or check, else its position."""
    cell = graded.cells[index]
    if tag := cell.metadata.get("fmslab_check"):
        return f"the check of exercise {_exercise_number(tag)}"
    number = _answered_exercise(cell, ref)
    return f"the answer cell of exercise {number}" if number else f"cell {index} of the graded copy"


def _check_cell(tag: str, own: nbformat.NotebookNode) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(own.source, id=own.get("id") or None)
    cell.metadata["tags"] = [tag]
    cell.metadata["fmslab_check"] = tag
    return cell


def _note_reordering(cells: list, ref: Reference, notes: list[str]) -> None:
    position = {cell.get("id"): i for i, cell in enumerate(ref.notebook.cells) if cell.get("id")}
    seen = [position[c.get("id")] for c in cells if c.get("id") in position]
    if seen != sorted(seen):
        notes.append("cells were reordered; each check runs right after its exercise's cell")


class _GradingClient(NotebookClient):
    """nbclient with a cap on each cell's output and a record of each cell's reply."""

    def __init__(self, nb: nbformat.NotebookNode, **kwargs: Any) -> None:
        super().__init__(nb, **kwargs)
        self.replies: dict[int, dict] = {}
        self.output_chars: dict[int, int] = {}
        self.seconds: dict[int, float] = {}
        self.on_cell_executed = self._record

    def _record(self, cell: Any, cell_index: int, execute_reply: dict | None) -> None:
        self.replies[cell_index] = (execute_reply or {}).get("content", {})

    def output(self, outs: list, msg: dict, display_id: str | None, cell_index: int) -> Any:
        content = msg.get("content", {})
        size = len(content.get("text", "")) + sum(
            len(str(v)) for v in content.get("data", {}).values()
        )
        used = self.output_chars.get(cell_index, 0)
        self.output_chars[cell_index] = used + size
        if msg["msg_type"] != "error" and used + size > OUTPUT_LIMIT:
            if used <= OUTPUT_LIMIT:
                outs.append(
                    nbformat.v4.new_output("stream", name="stderr", text="\n[output truncated]\n")
                )
            return None
        return super().output(outs, msg, display_id, cell_index)


def execute(
    graded: nbformat.NotebookNode,
    *,
    cell_timeout: float,
    notebook_timeout: float,
    name_of: Callable[[int], str] = lambda index: f"cell {index}",
) -> tuple[_GradingClient, list[str]]:
    """Run the assembled notebook in a fresh kernel; returns the client and notes on the run.

    The kernel works in a scratch folder (a submission's files never land in the checkout) and
    finds the course's data through FMSLAB_HOME; what it leaves running is stopped by pid.
    """
    deadline = [time.monotonic() + notebook_timeout]  # set again once the kernel is up
    state = Path(tempfile.mkdtemp(prefix="fmslab-grade-"))
    client = _GradingClient(
        graded,
        kernel_name="python3",
        allow_errors=True,
        interrupt_on_timeout=True,
        error_on_timeout={
            "ename": "CellTimeoutError",
            "evalue": f"the cell ran longer than {cell_timeout:g} s and was interrupted",
            "traceback": [],
        },
        timeout_func=lambda cell: max(
            1, math.ceil(min(cell_timeout, deadline[0] - time.monotonic()))
        ),
        shell_timeout_interval=1,  # nbclient checks its timeout in these steps (default 5 s)
        resources={"metadata": {"path": str(state)}},
    )
    token = uuid.uuid4().hex
    env = {MARKER: token, "TMPDIR": str(state), "FMSLAB_HOME": str(project_root())}
    with environment(env), client.setup_kernel():
        deadline[0] = time.monotonic() + notebook_timeout  # the budget is for the cells
        notes = _run_cells(client, graded, deadline[0], notebook_timeout)
    notes += [
        f"left running: {left.name} (pid {left.pid}); stopped"
        for left in stop_leftovers(token, state)
    ]
    shutil.rmtree(state, ignore_errors=True)
    for index, used in client.output_chars.items():
        if used > OUTPUT_LIMIT:
            notes.append(
                f"{name_of(index)} printed {used / 1e6:.1f} M characters; its output was truncated"
            )
    for index, reply in client.replies.items():
        if reply.get("ename") != "CellTimeoutError":
            continue
        if client.seconds.get(index, 0) >= cell_timeout:
            notes.append(f"{name_of(index)} ran over {cell_timeout:g} s and was interrupted")
        else:
            notes.append(f"{name_of(index)} was interrupted at the notebook timeout")
    return client, notes


def _run_cells(
    client: _GradingClient, graded: nbformat.NotebookNode, deadline: float, limit: float
) -> list[str]:
    for index, cell in enumerate(graded.cells):
        if time.monotonic() > deadline:
            return [f"notebook timeout ({limit:g} s): cells from {index} on not run"]
        started = time.monotonic()
        try:
            client.execute_cell(cell, index)
            client.seconds[index] = time.monotonic() - started
        except DeadKernelError:
            return [f"the kernel died in cell {index}; the cells after it did not run"]
    return []


def score(
    graded: nbformat.NotebookNode, client: _GradingClient, ref: Reference
) -> list[CheckResult]:
    """Each exercise passes when every one of its checks ran without an error."""
    results: dict[str, CheckResult] = {}
    for index, cell in enumerate(graded.cells):
        tag = cell.metadata.get("fmslab_check")
        if not tag:
            continue
        number = _exercise_number(tag)
        reply = client.replies.get(index)
        if reply is None:
            outcome = CheckResult(number, "not run", "the notebook stopped before this check")
        elif reply.get("status") == "ok":
            outcome = CheckResult(number, "passed")
        else:
            outcome = CheckResult(number, "failed", _hint(reply))
        earlier = results.get(number)
        if earlier is None or earlier.status == "passed":
            results[number] = outcome
    return [results[n] for n in sorted(results, key=int)]


def _hint(reply: dict) -> str:
    name, value = reply.get("ename", "Error"), str(reply.get("evalue", "")).strip()
    if name == "AssertionError" and value:
        return value.splitlines()[0][:300]
    return (f"{name}: {value.splitlines()[0]}" if value else name)[:300]


def grade_submission(
    path: Path,
    references: dict[str, Reference],
    labs_dir: Path,
    out: Path,
    *,
    lab: str | None = None,
    cell_timeout: float = 60.0,
    notebook_timeout: float = 600.0,
) -> Grade:
    """Grade one submission; every problem becomes a note or a status, never an exception."""
    try:
        return _grade(path, references, labs_dir, out, lab, cell_timeout, notebook_timeout)
    except Exception as exc:  # noqa: BLE001 - one broken submission must not stop the others
        grade = Grade(str(path), status="error")
        grade.notes.append(f"not graded: {type(exc).__name__}: {exc}"[:300])
        return grade


def _free_name(folder: Path, stem: str) -> Path:
    """folder/stem.ipynb, or stem-2, stem-3, ... when taken (students hand in the same names)."""
    folder.mkdir(parents=True, exist_ok=True)
    candidate, number = folder / f"{stem}.ipynb", 1
    while candidate.exists():
        number += 1
        candidate = folder / f"{stem}-{number}.ipynb"
    return candidate


def _grade(
    path: Path,
    references: dict[str, Reference],
    labs_dir: Path,
    out: Path,
    lab: str | None,
    cell_timeout: float,
    notebook_timeout: float,
) -> Grade:
    started = time.monotonic()
    grade = Grade(str(path))
    wanted = expected_lab(path, references, lab)
    if wanted in references:
        grade.lab, grade.total = wanted, references[wanted].total
    elif wanted is not None:  # a file name like 05_x.ipynb when chapter 05 has no lab
        grade.notes.append(f"the file name says chapter {wanted}, which has no lab; ignored")
        wanted = None
    try:
        notebook = read_submission(path)
    except ValueError as exc:
        grade.status = "invalid"
        grade.notes.append(f"not graded: {exc}")
        return grade
    found = identify_lab(notebook, references)
    if found is None:
        grade.status = "unknown lab"
        grade.notes.append(
            "not graded: no cell of this notebook comes from a lab in " + str(labs_dir)
        )
        return grade
    if wanted is not None and found != wanted:
        grade.status = "wrong lab"
        grade.notes.append(f"not graded: this is lab {found}, expected {wanted}")
        return grade
    ref = references[found]
    grade.lab, grade.total = found, ref.total
    graded, notes = assemble(notebook, ref)
    grade.notes += notes
    client, notes = execute(
        graded,
        cell_timeout=cell_timeout,
        notebook_timeout=notebook_timeout,
        name_of=lambda index: _cell_name(graded, index, ref),
    )
    grade.notes += notes
    grade.checks = score(graded, client, ref)
    grade.score = sum(check.status == "passed" for check in grade.checks)
    copy = _free_name(out / "graded", f"{path.parent.name}_{path.stem}")
    nbformat.write(graded, copy)
    grade.graded_copy = str(copy)
    grade.seconds = round(time.monotonic() - started, 1)
    return grade
