"""Fixtures of the jobs tests: settings of a private pipeline (free ports, its own folders)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from fmslab.config import Settings
from tests.private_env import private_env


@pytest.fixture
def pipeline_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """FMSLAB_* variables of a private embedded pipeline; its services are stopped afterwards."""
    env = private_env(tmp_path)
    yield {**os.environ, **env}
    from fmslab.jobs.orchestration import down

    down(settings_of(env))  # whatever a failed test left running, by recorded pid


def settings_of(env: dict[str, str]) -> Settings:
    """The Settings the `fmslab` command sees with these variables."""
    return Settings(
        api_port=int(env["FMSLAB_API_PORT"]),
        broker_port=int(env["FMSLAB_BROKER_PORT"]),
        metrics_port=int(env["FMSLAB_METRICS_PORT"]),
        stream_metrics_port=int(env["FMSLAB_STREAM_METRICS_PORT"]),
        seed=int(env["FMSLAB_SEED"]),
        state_dir=Path(env["FMSLAB_STATE_DIR"]),
        lake_dir=Path(env["FMSLAB_LAKE_DIR"]),
        reports_dir=Path(env["FMSLAB_REPORTS_DIR"]),
        log_dir=Path(env["FMSLAB_LOG_DIR"]),
    )
