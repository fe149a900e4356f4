"""The README's stack section states only what the compose file says."""

from __future__ import annotations

import re

from fmslab.stack.compose import load_stack
from fmslab.stack.tables import memory_table
from tests.stack.conftest import ROOT


def _section() -> str:
    text = (ROOT / "README.md").read_text()
    return text.split("## The stack (Docker Compose)", 1)[1].split("\n## ", 1)[0]


def test_the_memory_table_and_worker_size_match_the_compose_file() -> None:
    stack = load_stack(ROOT / "stack" / "docker-compose.yml")
    rows = re.findall(r"^\| ([+\w ]+) \| ([\w, -]+) \| (\d+) \| (\d+) \|$", _section(), re.M)
    computed = [
        (profile, row["services"], str(row["adds (MiB)"]), str(row["total (MiB)"]))
        for profile, row in memory_table(stack).iterrows()
    ]
    assert rows == computed
    budget = stack.settings["budget_mib"]
    assert f"core {budget['core']} MiB, everything {budget['all']} MiB" in _section()
    worker = stack.services["spark-worker"].memory_limit // 1024**2
    assert f"each extra worker adds {worker} MiB" in _section()


def test_every_url_is_a_published_port() -> None:
    stack = load_stack(ROOT / "stack" / "docker-compose.yml")
    published = {port for s in stack.services.values() for p in s.ports for port in p.host_ports}
    urls = {int(port) for port in re.findall(r"http://127\.0\.0\.1:(\d+)", _section())}
    assert urls and urls <= published, sorted(urls - published)
