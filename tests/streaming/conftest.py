"""Fixtures of the streaming tests: one real SparkSession for the folder, a real Tansu per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from fmslab.broker.embedded import embedded_broker
from fmslab.broker.topics import create_topics
from fmslab.config import Settings
from fmslab.streaming.session import spark_session, stop_spark


@pytest.fixture(scope="session")
def spark_state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """State dir of the test SparkSession (local dirs, log4j2 file)."""
    return Path(tmp_path_factory.mktemp("spark-state"))


@pytest.fixture(scope="session")
def spark(spark_state: Path) -> Iterator[SparkSession]:
    """One SparkSession for the whole folder: starting a JVM costs 10-40 s here."""
    session = spark_session("fmslab-tests", settings=Settings(state_dir=spark_state))
    yield session
    stop_spark()


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[str]:
    """A fresh Tansu broker (memory only) with the course's topics; yields its bootstrap."""
    with embedded_broker(state_dir=tmp_path / "broker-state") as bootstrap:
        create_topics(bootstrap)
        yield bootstrap
