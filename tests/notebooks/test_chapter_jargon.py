"""A chapter explains the course's jargon where a reader first meets it, in its narrative.

For each term, the first markdown cell of a chapter that names it must also hold a phrase that
explains it. Checked for every chapter in notebooks/.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.notebooks.course_notebooks import ROOT, read

pytestmark = pytest.mark.notebook

# term -> phrases of which one must stand in the cell where the term first appears
JARGON = {
    "Tansu": ("Kafka-compatible",),
    "high watermark": ("offset after the last", "offset the next record", "end of the partition"),
    "PSS": ("proportional set size",),
    "column-wise path": ("one column at a time", "column by column"),
    "Arrow": ("columnar",),
}
PATHS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def test_every_chapter_is_checked() -> None:
    assert len(PATHS) >= 10


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_jargon_is_explained_on_first_use(path: Path) -> None:
    cells = [c.source for c in read(path).cells if c.cell_type == "markdown"]
    for term, phrases in JARGON.items():
        first = next((text for text in cells if term in text), None)
        if first is None:
            continue
        assert any(p in first for p in phrases), (
            f"{path.name}: {term!r} first appears without an explanation ({' / '.join(phrases)}):"
            f" {first[:200]!r}"
        )
