"""Fixtures of the chapter 07 helper tests: a real Tansu broker per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fmslab.broker.embedded import embedded_broker


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[str]:
    """Bootstrap address of a fresh Tansu broker (memory storage), stopped by pid afterwards."""
    state = tmp_path / "broker-state"
    state.mkdir()
    with embedded_broker(state_dir=state) as bootstrap:
        yield bootstrap
