"""The repository stands alone: no file names a design note or a path that lives outside it.

Code and notebooks refer to docs/architecture.md; a path of one machine (an absolute path, a
sibling folder of the checkout) works there and nowhere else, or silently skips a test elsewhere.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Built from parts so that this file does not match itself.
FORBIDDEN = (
    "DESIGN" + ".md",  # the session's design note: the repository's own is docs/architecture.md
    "DESIGN" + " section",
    "/" + "work/",  # the machine the course was built on
    "../" + "shared",
)
# Files that still name one of them, each to be fixed by its owner; remove a line once fixed.
KNOWN: dict[str, set[str]] = {}
SKIPPED_DIRS = ("docs/",)
UNTRACKED_SKIP = (".git", ".venv", ".fmslab", "lake", "reports", "__pycache__")


def repository_files(root: Path) -> list[str]:
    """Tracked and untracked-but-not-ignored files (git), or a walk when this is no checkout."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "-co", "--exclude-standard", "-z"],
            cwd=root,
            capture_output=True,
            check=True,
        ).stdout
        return sorted(p for p in out.decode().split("\0") if p and (root / p).is_file())
    except (OSError, subprocess.CalledProcessError):
        return sorted(
            str(p.relative_to(root))
            for p in root.rglob("*")
            if p.is_file() and not any(part in UNTRACKED_SKIP for part in p.parts)
        )


def _names(text: str, data: bytes) -> bool:
    """Whether `data` holds `text`; a path (text starting with /) only where it begins, so a
    folder called work inside another path (`cluster/work/worker-1`) is no machine's path."""
    if not text.startswith("/"):
        return text.encode() in data
    return re.search(rb"(?<![\w.>/-])" + re.escape(text.encode()), data) is not None


def outside_references(root: Path, files: list[str]) -> dict[str, set[str]]:
    """File -> the forbidden strings it contains (docs/ excluded)."""
    found: dict[str, set[str]] = {}
    for name in files:
        if name.startswith(SKIPPED_DIRS):
            continue
        data = (root / name).read_bytes()
        hits = {text for text in FORBIDDEN if _names(text, data)}
        if hits:
            found[name] = hits
    return found


def test_no_file_names_a_design_note_or_a_path_outside_the_repository():
    files = repository_files(ROOT)
    assert "README.md" in files and "src/fmslab/config.py" in files
    found = outside_references(ROOT, files)
    new = {name: hits - KNOWN.get(name, set()) for name, hits in found.items()}
    new = {name: hits for name, hits in new.items() if hits}
    assert not new, f"refer to docs/architecture.md or a path in the repository instead: {new}"
    fixed = {name for name in KNOWN if not KNOWN[name] & found.get(name, set())}
    assert not fixed, f"fixed, so remove from KNOWN: {sorted(fixed)}"


def test_the_check_finds_a_reference_outside(tmp_path: Path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "note.md").write_text("adapted from DESIGN" + ".md")
    (tmp_path / "test_x.py").write_text('Path("/' + 'work/shared/seed.yaml")')
    (tmp_path / "ok.py").write_text("see docs/architecture.md")
    (tmp_path / "run.json").write_text('"deleted in: <run>/state/cluster/' + 'work/worker-1"')
    (tmp_path / "log.json").write_text('"Spark home: /' + 'work/wt/.venv/pyspark"')
    found = outside_references(
        tmp_path, ["docs/note.md", "ok.py", "test_x.py", "run.json", "log.json"]
    )
    assert found == {"test_x.py": {"/" + "work/"}, "log.json": {"/" + "work/"}}


def test_the_readme_links_the_architecture_document():
    assert (ROOT / "docs" / "architecture.md").is_file()
    assert "docs/architecture.md" in (ROOT / "README.md").read_text(encoding="utf-8")
