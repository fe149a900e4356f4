"""Fixtures of the broker tests: a real Tansu process on a free port, stopped by pid."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fmslab.broker.embedded import embedded_broker
from fmslab.broker.topics import create_topics


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Bootstrap address of a Tansu broker shared by one test module (memory storage)."""
    state = Path(tmp_path_factory.mktemp("broker-state"))
    with embedded_broker(state_dir=state) as bootstrap:
        yield bootstrap


@pytest.fixture(scope="module")
def course_topics(broker: str) -> str:
    """The broker with the course's four topics created; returns its bootstrap address."""
    create_topics(broker)
    return broker
