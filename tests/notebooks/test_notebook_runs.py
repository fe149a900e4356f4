"""Every chapter notebook runs end to end; chapters reproduce their stored outputs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import papermill
import pytest

from tests.notebooks.course_notebooks import (
    CELL_TIMEOUT,
    CHAPTERS,
    NOTEBOOK_TIMEOUT,
    ROOT,
    SANITIZE,
    SMALL_PARAMETERS,
    ids,
    read,
)

pytestmark = [pytest.mark.notebook, pytest.mark.slow, pytest.mark.timeout(NOTEBOOK_TIMEOUT)]

# Solutions run in test_lab_notebooks: in one kernel per lab, with wrong answers and re-runs.
RUNNABLE = CHAPTERS


def small_parameters(path: Path) -> dict[str, object]:
    """The small test values for the parameters this notebook declares."""
    declared = papermill.inspect_notebook(str(path))
    return {name: value for name, value in SMALL_PARAMETERS.items() if name in declared}


@pytest.mark.parametrize("path", RUNNABLE, ids=ids(RUNNABLE))
def test_runs_end_to_end_under_papermill(path: Path, tmp_path: Path):
    output = tmp_path / path.name  # never over the committed notebook
    parameters = small_parameters(path)
    papermill.execute_notebook(
        str(path),
        str(output),
        parameters=parameters,
        kernel_name="python3",
        execution_timeout=CELL_TIMEOUT,
        cwd=str(path.parent),
        progress_bar=False,
    )
    executed = read(output)
    code = [c for c in executed.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code), "a cell did not run"
    errors = [o for c in code for o in c.outputs if o["output_type"] == "error"]
    assert not errors, errors[0]
    injected = [c for c in code if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and f"seed = {parameters['seed']}" in injected[0].source


@pytest.mark.parametrize("path", CHAPTERS, ids=ids(CHAPTERS))
def test_chapter_reproduces_its_stored_outputs_under_nbval(path: Path):
    cmd = [
        sys.executable, "-m", "pytest", "--nbval",
        "--nbval-sanitize-with", str(SANITIZE),
        "--nbval-cell-timeout", str(CELL_TIMEOUT),
        "-p", "no:cacheprovider", "-q", str(path),
    ]  # fmt: skip
    result = subprocess.run(
        cmd, cwd=ROOT, capture_output=True, text=True, timeout=NOTEBOOK_TIMEOUT - 10
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    code_cells = sum(c.cell_type == "code" for c in read(path).cells)
    assert f"{code_cells} passed" in result.stdout, result.stdout[-2000:]
