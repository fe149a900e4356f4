"""Tiny crafted notebooks and submissions for the instructors' tools' tests."""

from __future__ import annotations

from pathlib import Path

import nbformat

KERNEL = {"name": "python3", "display_name": "Python 3", "language": "python"}


def notebook(path: Path, *sources: str, parameters: str = "seed = 1") -> Path:
    """Write a notebook with a tagged parameters cell and one code cell per source."""
    params = nbformat.v4.new_code_cell(parameters)
    params.metadata["tags"] = ["parameters"]
    nb = nbformat.v4.new_notebook(
        cells=[params, *(nbformat.v4.new_code_cell(s) for s in sources)],
        metadata={"kernelspec": KERNEL},
    )
    nbformat.write(nb, path)
    return path


def leaky(path: Path) -> Path:
    """A notebook that starts a daemon service (it outlives the kernel) and never stops it."""
    return notebook(
        path,
        "import sys, tempfile\nfrom pathlib import Path\nfrom fmslab.services import start_service",
        'svc = start_service("sleeper", [sys.executable, "-c", "import time; time.sleep(300)"],'
        " state_dir=Path(tempfile.mkdtemp()))\nprint(svc.pid)",
    )


def hanging(path: Path) -> Path:
    """A notebook whose second cell never ends."""
    return notebook(path, "x = 1", "import time\ntime.sleep(600)", "print('never')")


def cell_with(nb: nbformat.NotebookNode, tag: str) -> nbformat.NotebookNode:
    return next(c for c in nb.cells if tag in c.metadata.get("tags", []))


def without_tags(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy whose cells lost their tags and metadata (an old Jupyter, a copy-paste)."""
    copy = nbformat.from_dict(nb)
    copy.metadata.pop("fmslab", None)
    for cell in copy.cells:
        cell.metadata.pop("tags", None)
    return copy
