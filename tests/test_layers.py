"""Layers point one way and no module imports itself in a circle (docs/architecture.md, Layers).

The import graph is read from the source with `ast`, every import counted, including those
inside functions and under `TYPE_CHECKING`: a lazy import hides a cycle from Python, not from
the design. The same checks run over a crafted package to prove they can fail.
"""

from __future__ import annotations

import ast
import graphlib
import textwrap
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

# Top-level names of the package, by layer. A module may import its own layer and those below.
BASE = {"", "config", "reading", "services", "measure"}  # "" is the package's own __init__
BUILDING_BLOCKS = {"simulator", "quality", "broker", "lake"}
STAGES = {"collector", "streaming", "jobs", "bench", "monitoring"}
ENTRY_POINTS = {
    "cli",
    "__main__",
    "doctor",
    "labs",
    "labcheck",
    "notebook",
    "requirements",
    "course",
    "instructor",  # runs and grades notebooks: sits on labs and notebook
}
# Building blocks are independent of one another; a dependency between two is a design decision
# that is written here (importer -> imported), with its reason in docs/architecture.md.
BLOCK_DEPENDENCIES: dict[str, set[str]] = {}


def layer(top: str) -> int:
    """0 base, 1 building block, 2 stage, 3 entry point; a new top-level name counts as a stage."""
    if top in BASE:
        return 0
    if top in BUILDING_BLOCKS:
        return 1
    if top in ENTRY_POINTS:
        return 3
    return 2


def modules(src: Path, package: str) -> dict[str, tuple[Path, bool]]:
    """Dotted module name -> (file, is a package's __init__) for every module of `package`."""
    found = {}
    for path in sorted((src / package).rglob("*.py")):
        parts = list(path.relative_to(src).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return found


def import_graph(src: Path, package: str) -> dict[str, set[str]]:
    """Module -> the modules of the same package it imports (anywhere in its code)."""
    known = modules(src, package)
    graph: dict[str, set[str]] = {}
    for name, (path, is_package) in known.items():
        here = name if is_package else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parent = here.split(".")[: len(here.split(".")) - node.level + 1]
                    base = ".".join([*parent, *([node.module] if node.module else [])])
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    targets.add(sub if sub in known else base)
        graph[name] = {t for t in targets if t in known and t != name}
    return graph


def top_name(module: str) -> str:
    """`fmslab.lake.storage` -> `lake`; the package itself -> ``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    """Every import that points up a layer, or from one building block into another."""
    found = []
    for importer, targets in sorted(graph.items()):
        source = top_name(importer)
        for target in sorted(targets):
            dest = top_name(target)
            if dest == source:
                continue
            if layer(dest) > layer(source):
                found.append(f"{importer} imports {target} (a layer above it)")
            elif layer(source) == layer(dest) == 1 and dest not in BLOCK_DEPENDENCIES.get(
                source, set()
            ):
                found.append(f"{importer} imports {target} (building blocks are independent)")
    return found


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle (`[a, b, a]`), or None when the graph has none."""
    try:
        tuple(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as exc:
        return list(exc.args[1])
    return None


def test_the_library_imports_point_down_and_never_in_a_circle():
    graph = import_graph(SRC, "fmslab")
    assert len(graph) > 50, "the import graph was not read"
    assert "fmslab.lake.storage" in graph["fmslab.lake.records"], "imports were not resolved"
    problems = upward_imports(graph)
    cycle = find_cycle(graph)
    if cycle:
        problems.append("import cycle: " + " -> ".join(cycle))
    assert not problems, "\n".join(problems)


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")


@pytest.fixture
def crafted(tmp_path: Path) -> Path:
    """A small package shaped like fmslab, sound until a test adds a bad import."""
    _write(
        tmp_path,
        {
            "toy/__init__.py": "",
            "toy/config.py": "",
            "toy/lake/__init__.py": "",
            "toy/lake/storage.py": "from toy.config import x\n",
            "toy/lake/local.py": "from .storage import Lake\n",
            "toy/quality/__init__.py": "",
            "toy/quality/report.py": "from toy.quality.rules import R\n",
            "toy/quality/rules.py": "",
            "toy/collector/__init__.py": "",
            "toy/collector/archive.py": "from toy.lake import storage\n",
        },
    )
    return tmp_path


def test_the_checks_pass_a_sound_package(crafted: Path):
    graph = import_graph(crafted, "toy")
    assert graph["toy.lake.local"] == {"toy.lake.storage"}  # a relative import resolved
    assert graph["toy.collector.archive"] == {"toy.lake.storage"}  # `from pkg import module`
    assert upward_imports(graph) == []
    assert find_cycle(graph) is None


def test_an_upward_import_fails_even_inside_a_function(crafted: Path):
    _write(crafted, {"toy/lake/reconcile.py": "def run():\n    import toy.collector.archive\n"})
    assert upward_imports(import_graph(crafted, "toy")) == [
        "toy.lake.reconcile imports toy.collector.archive (a layer above it)"
    ]


def test_one_building_block_importing_another_fails(crafted: Path):
    _write(crafted, {"toy/lake/checks.py": "from toy.quality.rules import R\n"})
    assert upward_imports(import_graph(crafted, "toy")) == [
        "toy.lake.checks imports toy.quality.rules (building blocks are independent)"
    ]


def test_a_cycle_fails_even_when_one_side_is_type_checking_only(crafted: Path):
    _write(
        crafted,
        {
            "toy/quality/rules.py": (
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n"
                "    from toy.quality.report import Report\n"
            )
        },
    )
    cycle = find_cycle(import_graph(crafted, "toy"))
    assert cycle is not None
    assert set(cycle) == {"toy.quality.report", "toy.quality.rules"}
