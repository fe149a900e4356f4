"""Where the course notebooks are, and the parameters the notebook tests run them with."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
SANITIZE = Path(__file__).with_name("nbval_sanitize.cfg")
_NAME = re.compile(r"^\d\d_.*\.ipynb$")

CELL_TIMEOUT = 120  # seconds per cell (papermill execution_timeout, nbval cell timeout)
NOTEBOOK_TIMEOUT = 300  # seconds per notebook test (pytest-timeout)

# Small values for the parameters a notebook declares; a run passes only those it has.
# The seed differs from the notebooks' own (42) so results do not hinge on one seed.
SMALL_PARAMETERS = {
    "mode": "embedded",
    "seed": 7,
    "devices": 5,
    "readings": 60,
    "requests": 20,
}


def notebooks_in(folder: str) -> list[Path]:
    """The course notebooks (NN_*.ipynb) in one folder of the checkout, in order."""
    return sorted(p for p in (ROOT / folder).glob("*.ipynb") if _NAME.match(p.name))


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def ids(paths: list[Path]) -> list[str]:
    return [f"{p.parent.name}/{p.stem}" for p in paths]


CHAPTERS = notebooks_in("notebooks")
SOLUTIONS = notebooks_in("solutions")
LABS = notebooks_in("labs")
