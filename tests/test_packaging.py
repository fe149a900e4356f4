"""The project's own files must agree: environment.yml lists what pyproject.toml lists."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml
from typer.testing import CliRunner

from fmslab.cli import app

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _pyproject_requirements() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"]) + list(project["optional-dependencies"]["dev"])
    return {_name(r): r.replace(" ", "") for r in reqs}


def _environment_pip_requirements() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_lists = [d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d]
    assert len(pip_lists) == 1, "environment.yml needs exactly one pip: section"
    reqs = [r for r in pip_lists[0] if not r.startswith("-")]  # -e ., -c lock
    return {_name(r): r.replace(" ", "") for r in reqs}


def test_environment_yml_lists_the_same_dependencies_as_pyproject() -> None:
    assert _environment_pip_requirements() == _pyproject_requirements()


def test_environment_yml_brings_a_jdk_17_and_installs_the_package() -> None:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    assert any(d.startswith("openjdk") and "17" in d for d in conda)
    assert any(d.startswith("python") and "3.11" in d for d in conda)
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert any(r.startswith("-e .") for r in pip)


def _help(*command: str) -> str:
    # In-process: the real `fmslab` app, without paying Python's start-up once per command.
    result = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "120", "NO_COLOR": "1"})
    assert result.exit_code == 0, (command, result.output)
    assert "Usage" in result.output, command
    return result.output


def _subcommands(help_text: str) -> list[str]:
    if "Commands" not in help_text:
        return []
    panel = help_text.split("Commands", 1)[1]
    return re.findall(r"^│ (\w[\w-]*)\s{2,}", panel, flags=re.M)


def test_every_command_and_subcommand_has_help() -> None:
    seen = []
    pending: list[tuple[str, ...]] = [()]
    while pending:
        command = pending.pop()
        seen.append(command)
        pending.extend((*command, sub) for sub in _subcommands(_help(*command)))
    top_level = {c[0] for c in seen if c}
    assert {"api", "quality", "doctor", "labs", "run"} <= top_level, sorted(top_level)


def test_the_command_runs_as_a_module() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "fmslab", "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "simulator" in result.stdout.lower() or "api" in result.stdout
