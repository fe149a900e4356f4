"""Stack fixtures: a private copy of the checkout's stack files, to break one thing at a time."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COPIED = ("stack", "requirements.lock", "data/topics.yaml")


@pytest.fixture
def stack_copy(tmp_path: Path) -> Path:
    """A checkout root in tmp_path holding copies of stack/, requirements.lock, data/topics.yaml."""
    for name in COPIED:
        source = ROOT / name
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns(".env"))
        else:
            shutil.copy2(source, target)
    return tmp_path


@pytest.fixture
def edit_compose(stack_copy: Path) -> Callable[[Callable[[dict], None]], Path]:
    """edit_compose(change): apply `change` to the copy's compose file as data; returns the root."""

    def edit(change: Callable[[dict], None]) -> Path:
        path = stack_copy / "stack" / "docker-compose.yml"
        data = yaml.safe_load(path.read_text())
        change(data)
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        return stack_copy

    return edit
