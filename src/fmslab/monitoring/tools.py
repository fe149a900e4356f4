"""promtool and amtool, the engines' own checkers, from Python (chapter 11's exercises, tests).

promtool_test_rules(rules_yaml, tests_yaml)   # `promtool test rules`: passed?, output
route_receivers(config_path, {"severity": "warning"})   # `amtool config routes test`
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from fmslab.monitoring.monitor import INSTALL_HINT


class ToolMissing(RuntimeError):
    """promtool or amtool is not installed (the message says how to install it)."""


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise ToolMissing(f"{name} not found on PATH; {INSTALL_HINT}")
    return path


@dataclass
class ToolResult:
    """What a tool said: whether it passed and its output."""

    passed: bool
    output: str


def promtool_test_rules(rules_yaml: str, tests_yaml: str) -> ToolResult:
    """Run `promtool test rules` on a rule file and a test file given as texts (the test file's
    `rule_files` should name `rules.yml`)."""
    with tempfile.TemporaryDirectory(prefix="fmslab-promtool-") as folder:
        Path(folder, "rules.yml").write_text(rules_yaml, encoding="utf-8")
        Path(folder, "tests.yml").write_text(tests_yaml, encoding="utf-8")
        done = subprocess.run(
            [_tool("promtool"), "test", "rules", "tests.yml"],
            capture_output=True, text=True, cwd=folder, timeout=60,
        )  # fmt: skip
    return ToolResult(done.returncode == 0, (done.stdout + done.stderr).strip())


def route_receivers(config: str | Path, labels: dict[str, str]) -> list[str]:
    """The receivers Alertmanager's routing tree picks for an alert with `labels`
    (`amtool config routes test`); `config` is a file path or the configuration's text."""
    with tempfile.TemporaryDirectory(prefix="fmslab-amtool-") as folder:
        path = Path(config) if isinstance(config, Path) else Path(folder, "alertmanager.yml")
        if not isinstance(config, Path):
            path.write_text(config, encoding="utf-8")
        args = [f"{k}={v}" for k, v in labels.items()]
        done = subprocess.run(
            [_tool("amtool"), "config", "routes", "test", f"--config.file={path}", *args],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    if done.returncode != 0:
        raise ValueError(f"amtool rejected the configuration: {done.stdout}{done.stderr}")
    return done.stdout.strip().split(",")


def verify_route(config: str | Path, labels: dict[str, str], receivers: str) -> bool:
    """`amtool config routes test --verify.receivers=...`: True when the routing sends an alert
    with `labels` to exactly `receivers` (comma-separated)."""
    path = Path(config) if isinstance(config, Path) else None
    with tempfile.TemporaryDirectory(prefix="fmslab-amtool-") as folder:
        if path is None:
            path = Path(folder, "alertmanager.yml")
            path.write_text(str(config), encoding="utf-8")
        args = [f"{k}={v}" for k, v in labels.items()]
        done = subprocess.run(
            [_tool("amtool"), "config", "routes", "test", f"--config.file={path}",
             f"--verify.receivers={receivers}", *args],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    return done.returncode == 0
