"""Chapter 12's results and plan cells work with no reports and with reports present.

The chapter's stored outputs show `reports/reference/` as committed (one quiet-machine run of
every scenario and fault); here its own cells run again, without a kernel, on a folder of fixture
reports with the contract's keys, and on an empty one (a fresh folder of one's own).
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import matplotlib
import nbformat
import pytest

from tests.docs.test_improvements import fault, scenario

matplotlib.use("Agg")

CHAPTER = Path(__file__).resolve().parents[2] / "notebooks" / "12_project_documentation.ipynb"
RESULTS = "## Results of the measured runs"


def _cells() -> tuple[str, list[str]]:
    """(the setup cell's code, the code cells from the results heading to the end)."""
    cells = nbformat.read(CHAPTER, as_version=4).cells
    start = next(i for i, c in enumerate(cells) if c.source.startswith(RESULTS))
    setup = next(c.source for c in cells if "from fmslab.course import" in c.source)
    return setup, [c.source for c in cells[start:] if c.cell_type == "code"]


def _run(folder: Path) -> tuple[dict, str]:
    setup, cells = _cells()
    namespace: dict = {"reference_reports": str(folder)}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(setup, namespace)  # noqa: S102 (the chapter's own code)
        namespace["reports_folder"] = folder
        for source in cells:
            exec(source, namespace)  # noqa: S102
    return namespace, printed.getvalue()


@pytest.fixture
def reports(tmp_path: Path) -> Path:
    folder = tmp_path / "reference"
    folder.mkdir()
    runs = [scenario("normal", 300, 20.0, 4.0), scenario("stress", 3000, 140.0, 25.0)]
    runs += [fault("broker-restart", 8.5), fault("stream-kill", 31.0, availability=0.9)]
    for r in runs:
        name = r.get("scenario") or r.get("fault")
        (folder / f"{r['kind']}-{name}.json").write_text(json.dumps(r))
    return folder


def test_with_reports_the_chapter_shows_them_and_plans_from_them(reports: Path) -> None:
    namespace, printed = _run(reports)
    assert "4 reports in" in printed and "none yet" not in printed
    areas = [item.area for item in namespace["plan"]]
    assert "measure first" not in areas and "CPU per component" in areas
    assert namespace["verdicts"].loc["NFR-001", "result"] == "pass"  # p95 2 s < 30 s


def test_with_no_reports_the_chapter_says_which_commands_write_them(tmp_path: Path) -> None:
    namespace, printed = _run(tmp_path / "empty")
    assert "0 reports in" in printed and "fmslab bench scenario" in printed
    assert [item.area for item in namespace["plan"]] == ["measure first"]
