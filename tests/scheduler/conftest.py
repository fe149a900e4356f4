"""Fixtures of the scheduler tests: one real SparkSession for the folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from fmslab.config import Settings
from fmslab.streaming.session import spark_session, stop_spark


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparkSession]:
    """One SparkSession for the folder: starting a JVM costs 10-60 s on this machine."""
    state = Path(tmp_path_factory.mktemp("scheduler-spark"))
    session = spark_session("fmslab-scheduler-tests", settings=Settings(state_dir=state))
    yield session
    stop_spark()
