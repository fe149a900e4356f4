"""Execute chapter notebooks in place so their stored outputs are what nbval compares against.

    .venv/bin/python tools/store_notebook_outputs.py notebooks/03_data_quality.ipynb [...]

Per-cell execution timestamps are dropped and not recorded, so re-running an unchanged, seeded
notebook leaves git clean. Afterwards run the nbval test twice (tests/notebooks).
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbclient
import nbformat

CELL_TIMEOUT = 600


def store_outputs(path: Path) -> None:
    """Run `path` top to bottom with the `python3` kernel and write it back with its outputs."""
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)
    client = nbclient.NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=CELL_TIMEOUT,
        record_timing=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    nbformat.write(notebook, path)


def main(paths: list[str]) -> int:
    if not paths:
        print(__doc__)
        return 2
    for name in paths:
        print(f"executing {name} ...", flush=True)
        store_outputs(Path(name))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
