"""Notebooks use the course's public surface, never the modules behind it or private names.

The public surface is `fmslab.course` (every name the chapters use), `fmslab.notebook` (the
notebook-side setup helpers) and a package's own `__init__` (`fmslab.quality`), each for the names
in its `__all__` (every public name when it has none). labs/ is generated from solutions/, so
checking solutions/ covers it.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
PUBLIC_MODULES = {
    "fmslab.course",
    "fmslab.notebook",
    "fmslab.labcheck",
}  # labcheck: the labs' checks

# Notebooks whose import cells still name modules behind the surface. Every notebook is switched
# to `from fmslab.course import ...`; a line here needs a reason, and the test says when it can go.
NOT_YET_SWITCHED: dict[str, set[str]] = {}


def notebook_paths() -> list[str]:
    return sorted(
        str(p.relative_to(ROOT))
        for d in ("notebooks", "solutions")
        for p in (ROOT / d).glob("*.ipynb")
    )


def code_of(path: Path) -> str:
    """A notebook's code cells as one Python text (IPython magics and shell lines left out)."""
    cells = [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
    lines = [line for cell in cells for line in cell.splitlines()]
    return "\n".join(line for line in lines if not line.lstrip().startswith(("%", "!")))


def is_public(module: str) -> bool:
    """`fmslab.course`, `fmslab.notebook`, or a package's `__init__` (`fmslab.quality`)."""
    if module in PUBLIC_MODULES:
        return True
    try:
        spec = importlib.util.find_spec(module)
    except ModuleNotFoundError:  # `module` names an attribute of a module, not a module
        return False
    return spec is not None and spec.submodule_search_locations is not None


def import_problems(code: str) -> tuple[set[str], list[str]]:
    """(modules behind the surface that the code imports, other problems found)."""
    behind: set[str] = set()
    problems: list[str] = []
    module_names: set[str] = set()  # local names bound to an fmslab module
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "fmslab":
                    module_names.add(alias.asname or alias.name.split(".")[0])
                    if not is_public(alias.name):
                        behind.add(alias.name)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "fmslab":
            _check_from_import(node, behind, problems, module_names)
        elif _is_private_attribute(node, module_names):
            problems.append(f"private attribute: {node.value.id}.{node.attr}")
    return behind, problems


def _check_from_import(
    node: ast.ImportFrom, behind: set[str], problems: list[str], module_names: set[str]
) -> None:
    module = node.module or ""
    public = is_public(module)
    if not public:
        behind.add(module)
    imported = importlib.import_module(module)
    exported = set(getattr(imported, "__all__", None) or dir(imported))
    for alias in node.names:
        submodule = is_public(f"{module}.{alias.name}")
        if alias.name.startswith("_") or alias.name == "*":
            problems.append(f"private or star import: from {module} import {alias.name}")
        elif public and alias.name not in exported and not submodule:
            problems.append(f"{module}.{alias.name} is not in its __all__")
        elif submodule:
            module_names.add(alias.asname or alias.name)


def _is_private_attribute(node: ast.AST, module_names: set[str]) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr.startswith("_")
        and not node.attr.startswith("__")
        and isinstance(node.value, ast.Name)
        and node.value.id in module_names
    )


@pytest.mark.parametrize("name", notebook_paths())
def test_a_notebook_uses_only_the_public_surface(name: str):
    behind, problems = import_problems(code_of(ROOT / name))
    assert not problems, problems
    allowed = NOT_YET_SWITCHED.get(name, set())
    new = behind - allowed
    assert not new, f"import these from fmslab.course (add them there if missing): {sorted(new)}"
    switched = allowed - behind
    assert not switched, (
        f"{name} no longer imports {sorted(switched)}: delete from NOT_YET_SWITCHED"
    )


def test_the_surface_exports_every_name_the_notebooks_import_today():
    course = importlib.import_module("fmslab.course")
    for name in notebook_paths():
        tree = ast.parse(code_of(ROOT / name))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("fmslab."):
                for alias in node.names:
                    assert alias.name in course.__all__, f"{node.module}.{alias.name} missing"
                    ours = getattr(importlib.import_module(node.module), alias.name)
                    assert getattr(course, alias.name) is ours, alias.name


def test_every_exported_name_resolves_to_the_library_object():
    course = importlib.import_module("fmslab.course")
    assert sorted(dir(course)) == sorted([*course.__all__, "EXPORTS"])
    for name, module in course.EXPORTS.items():
        assert not name.startswith("_")
        assert getattr(course, name) is getattr(importlib.import_module(module), name)
    with pytest.raises(AttributeError, match="no attribute '_nothing'"):
        course._nothing  # noqa: B018


def test_the_check_catches_what_it_forbids():
    code = (
        "from fmslab.course import setup\n"
        "from fmslab.quality import check_readings\n"
        "from fmslab.streaming.processing import route_records\n"
        "from fmslab.quality.validator import _raw_text\n"
        "import fmslab.quality.convert as conv\n"
        "conv._RAW\n"
        "from fmslab.quality import parse_item\n"
    )
    behind, problems = import_problems(code)
    assert behind == {
        "fmslab.streaming.processing",
        "fmslab.quality.validator",
        "fmslab.quality.convert",
    }
    assert problems == [
        "private or star import: from fmslab.quality.validator import _raw_text",
        "fmslab.quality.parse_item is not in its __all__",
        "private attribute: conv._RAW",
    ]
