"""`fmslab notebooks run`: execute chosen course notebooks one after another with papermill.

Each executed copy goes to the output folder (never over the committed notebook). Each run gets
a marker in its environment and a private TMPDIR, so its memory can be measured and whatever it
leaves running can be found and stopped by pid afterwards (`fmslab.instructor.processes`).
"""

from __future__ import annotations

import fnmatch
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from fmslab.instructor.processes import MARKER, Watch, environment, stop_leftovers

if TYPE_CHECKING:
    import nbformat

KINDS = {"chapters": "notebooks", "solutions": "solutions", "labs": "labs"}
_NOTEBOOK = re.compile(r"^\d\d_.*\.ipynb$")
EXCERPT_LINES = 6


class RunError(ValueError):
    """The run cannot start: no such notebook, an unknown parameter, a bad output folder."""


@dataclass
class NotebookResult:
    """How one notebook's run went (a row of the summary)."""

    notebook: str
    output: str
    status: str = "not run"  # passed | failed | timeout | leftovers | error | not run
    seconds: float = 0.0
    peak_memory_mb: float = 0.0
    failed_cell: int | None = None
    cell_source: str = ""
    error: str = ""
    leftovers: list[dict[str, object]] = field(default_factory=list)
    parameters: dict[str, object] = field(default_factory=dict)
    run_id: str = ""  # the FMSLAB_NOTEBOOK_RUN marker its processes carried

    @property
    def ok(self) -> bool:
        return self.status == "passed"

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def course_notebooks(folder: Path) -> list[Path]:
    """The course notebooks (`NN_*.ipynb`) of a folder, in order."""
    return sorted(p for p in folder.glob("*.ipynb") if _NOTEBOOK.match(p.name))


def select_notebooks(root: Path, kind: str, patterns: Sequence[str]) -> list[Path]:
    """The notebooks of `kind` matching the patterns (a name, a glob, a part of a name, a path)."""
    if kind not in KINDS:
        raise RunError(f"--kind must be one of {', '.join(KINDS)}, not {kind!r}")
    known = course_notebooks(root / KINDS[kind])
    if not patterns:
        return known
    chosen: list[Path] = []
    for pattern in patterns:
        if pattern.endswith(".ipynb") and Path(pattern).is_file():
            matches = [Path(pattern).resolve()]
        else:
            matches = [
                p
                for p in known
                if fnmatch.fnmatch(p.name, pattern) or fnmatch.fnmatch(p.stem, f"*{pattern}*")
            ]
        if not matches:
            names = ", ".join(p.stem for p in known) or "none"
            raise RunError(f"no {kind} notebook matches {pattern!r} (there are: {names})")
        chosen += [p for p in matches if p not in chosen]
    return chosen


def declared_parameters(path: Path) -> dict[str, dict]:
    """The names (and defaults) of a notebook's `parameters` cell, as papermill reads them."""
    import papermill

    return papermill.inspect_notebook(str(path))


def check_parameters(paths: Sequence[Path], parameters: dict[str, object]) -> None:
    """Every given parameter must be declared by every chosen notebook; else one error lists all."""
    problems = []
    for path in paths:
        known = declared_parameters(path)
        unknown = [name for name in parameters if name not in known]
        if unknown:
            problems.append(
                f"{path.name}: unknown parameter {', '.join(unknown)} "
                f"(its parameters cell has: {', '.join(known) or 'nothing'})"
            )
    if problems:
        raise RunError("\n".join(problems))


def output_path(path: Path, out: Path) -> Path:
    """Where the executed copy of `path` goes: out/<folder>/<name>, never the notebook itself."""
    target = (out / path.parent.name / path.name).resolve()
    if target == path.resolve():
        raise RunError(f"--out {out} would overwrite {path}; choose another folder")
    return target


def run_notebook(
    path: Path,
    output: Path,
    parameters: dict[str, object],
    *,
    cell_timeout: float,
    notebook_timeout: float | None = None,
    label: str = "",
) -> NotebookResult:
    """Run one notebook with papermill; stop and report what it leaves running."""
    import papermill

    token = uuid.uuid4().hex
    state = Path(tempfile.mkdtemp(prefix=f"fmslab-run-{path.stem}-"))
    output.parent.mkdir(parents=True, exist_ok=True)
    result = NotebookResult(str(path), str(output), parameters=dict(parameters), run_id=token)
    error: BaseException | None = None
    started = time.monotonic()
    with (
        environment({MARKER: token, "TMPDIR": str(state)}),
        Watch(token, limit=notebook_timeout) as watch,
    ):
        try:
            papermill.execute_notebook(
                str(path),
                str(output),
                parameters=parameters,
                execution_timeout=int(cell_timeout),
                cwd=str(path.parent),
                progress_bar={"desc": label or path.stem, "leave": False},
                log_output=False,
            )
        except Exception as exc:  # noqa: BLE001 - any failure is this notebook's, the batch goes on
            error = exc
    result.seconds = round(time.monotonic() - started, 1)
    result.peak_memory_mb = round(watch.peak_bytes / 2**20, 1)
    result.leftovers = [left.as_dict() for left in stop_leftovers(token, state)]
    describe_outcome(result, path, output, error, notebook_timeout if watch.timed_out else None)
    shutil.rmtree(state, ignore_errors=True)
    return result


def describe_outcome(
    result: NotebookResult,
    path: Path,
    output: Path,
    error: BaseException | None,
    notebook_timeout: float | None,
) -> None:
    """Fill in the status and, for a failure, the failing cell, its excerpt and the error line."""
    left = ", ".join(f"{p['name']} (pid {p['pid']})" for p in result.leftovers)
    if error is None:
        result.status = "leftovers" if result.leftovers else "passed"
        result.error = f"left running: {left}" if left else ""
        return
    from nbclient.exceptions import CellTimeoutError

    timed_out = isinstance(error, CellTimeoutError) or notebook_timeout is not None
    result.status = "timeout" if timed_out else "failed"
    index, cell = failing_cell(path, output)
    result.failed_cell = index
    result.cell_source = excerpt(cell.source) if cell is not None else ""
    if notebook_timeout is not None:
        result.error = f"notebook timeout: stopped after {notebook_timeout:g} s"
    elif timed_out:
        result.error = _first_line(error)
    else:
        result.error = (error_line(cell) if cell is not None else "") or _first_line(error)
    if left:
        result.error += f"; left running: {left}"


def _first_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    lines = [line for line in text.splitlines() if line.strip() and not set(line) <= {"-"}]
    return f"{type(error).__name__}: {lines[0] if lines else text}"[:300]


def excerpt(source: str, lines: int = EXCERPT_LINES) -> str:
    """The first lines of a cell's source."""
    parts = source.splitlines()
    return "\n".join(parts[:lines]) + ("\n..." if len(parts) > lines else "")


def error_line(cell: nbformat.NotebookNode) -> str:
    """`Name: value` of a cell's error output ('' when it has none)."""
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            value = str(out.get("evalue", "")).strip().splitlines()
            return f"{out.get('ename', 'Error')}" + (f": {value[0]}" if value else "")[:300]
    return ""


def failing_cell(path: Path, output: Path) -> tuple[int | None, nbformat.NotebookNode | None]:
    """The index (in the committed notebook) and executed copy of the cell that failed or hung."""
    import nbformat

    try:
        executed = nbformat.read(output, as_version=4)
        source = nbformat.read(path, as_version=4)
    except (OSError, ValueError):
        return None, None
    positions = {cell.get("id"): i for i, cell in enumerate(source.cells)}
    cells = [c for c in executed.cells if c.get("id") in positions]

    def marker(cell: nbformat.NotebookNode) -> dict:
        return cell.metadata.get("papermill", {})

    # papermill marks a failed cell; a timed-out one is the last cell that started.
    candidates = [c for c in cells if marker(c).get("status") == "failed"]
    candidates += [c for c in cells if error_line(c)]
    candidates += [c for c in cells if marker(c).get("start_time")][-1:]
    if not candidates:
        return None, None
    return positions[candidates[0].get("id")], candidates[0]


def run_batch(
    paths: Sequence[Path],
    out: Path,
    parameters: dict[str, object],
    *,
    cell_timeout: float,
    notebook_timeout: float | None = None,
    keep_going: bool = False,
    mode: str | None = None,
    announce: Callable[[str], None] = print,
) -> list[NotebookResult]:
    """Run the notebooks in order; after a failure, the rest only with `keep_going`.

    `mode` goes to the notebooks whose parameters cell declares `mode`.
    """
    results: list[NotebookResult] = []
    stopped = False
    for number, path in enumerate(paths, start=1):
        target = output_path(path, out)
        label = f"[{number}/{len(paths)}] {path.parent.name}/{path.name}"
        if stopped:
            results.append(
                NotebookResult(str(path), str(target), error="not run: an earlier one failed")
            )
            continue
        own = dict(parameters)
        if mode is not None and "mode" in declared_parameters(path):
            own["mode"] = mode
        announce(f"{label}: running")
        result = run_notebook(
            path,
            target,
            own,
            cell_timeout=cell_timeout,
            notebook_timeout=notebook_timeout,
            label=label,
        )
        announce(
            f"{label}: {result.status} in {result.seconds:.1f} s"
            + (f" ({result.error})" if result.error else "")
        )
        results.append(result)
        stopped = not result.ok and not keep_going
    return results
