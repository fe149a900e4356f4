"""The Prometheus and Alertmanager command-line tools, or a skip that says how to install them."""

from __future__ import annotations

import shutil
import subprocess

import pytest

INSTALL = "apt-get install prometheus prometheus-alertmanager (.ci/run does)"


def tool(name: str) -> str:
    """The path of `name` on PATH; skips the test where it is not installed."""
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed: {INSTALL}")
    return path


def run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """Run a tool (the first argument is looked up with `tool`), capturing its output."""
    return subprocess.run(
        [tool(args[0]), *args[1:]], capture_output=True, text=True, timeout=timeout
    )
