"""Fixtures of the streaming tests: one real SparkSession for the folder, a real Tansu per test."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from fmslab.broker.clients import make_producer
from fmslab.broker.embedded import embedded_broker
from fmslab.broker.topics import create_topics
from fmslab.config import Settings
from fmslab.streaming.session import spark_session, stop_spark

RAW_TOPIC = "fms-raw-data"
RAW_PARTITIONS = 5


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


def reading(i: int, rng: random.Random) -> dict:
    """A seeded reading like the collector produces (motors as floats, as the device sends)."""
    device = i % 5 + 1
    return {
        "time": f"2024-01-15T14:{i // 60 % 60:02d}:{i % 60:02d}Z",
        "DeviceId": device,
        "sensor1": round(rng.gauss(80, 5), 2),
        "sensor2": round(rng.gauss(90, 4), 2),
        "sensor3": round(rng.gauss(75, 6), 2),
        "motor1": round(rng.gauss(1200, 100), 0),
        "motor2": round(rng.gauss(850, 80), 0),
        "motor3": round(rng.gauss(1100, 90), 0),
        "isFail": False,
        "collected_at": f"2024-01-15T14:{i // 60 % 60:02d}:{i % 60:02d}.250Z",
        "reading_id": f"{device}-{i}",
    }


def produce_readings(bootstrap: str, count: int, *, first: int = 0, seed: int = 7) -> None:
    """Send `count` readings round-robin over the 5 partitions, batched (linger > 0, gzip)."""
    rng = random.Random(seed + first)
    producer = make_producer(bootstrap, linger_ms=20)
    try:
        for i in range(first, first + count):
            value = reading(i, rng)
            producer.send(
                RAW_TOPIC, key=value["DeviceId"], value=value, partition=i % RAW_PARTITIONS
            )
        producer.flush()
    finally:
        producer.close()


def produce_values(bootstrap: str, values: list[bytes | str]) -> None:
    """Send raw values (well-formed or not) to partition 0, in order."""
    producer = make_producer(bootstrap, linger_ms=20)
    try:
        for value in values:
            producer.send(RAW_TOPIC, value=value, partition=0)
        producer.flush()
    finally:
        producer.close()
