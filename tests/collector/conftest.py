"""Fixtures of the collector tests: a real Tansu broker per test and helpers to read the topic."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from kafka import TopicPartition

from fmslab.broker.clients import make_consumer
from fmslab.broker.offsets import end_offsets
from fmslab.collector import CollectorConfig
from fmslab.simulator.process import simulator

MakeConfig = Callable[..., CollectorConfig]


@pytest.fixture(scope="module")
def shared_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fault-free realtime simulator (5 devices, 0.5 s) shared by one module's tests."""
    state = tmp_path_factory.mktemp("shared-api")
    with simulator(
        seed=7, interval=0.5, clock="realtime", state_dir=state, log_dir=state / "api-log"
    ) as url:
        yield url


@pytest.fixture
def make_config(tmp_path: Path) -> MakeConfig:
    """A collector config whose spool, archive and quarantine live under the test's tmp_path."""

    def make(api_url: str, bootstrap: str, **changes: Any) -> CollectorConfig:
        values: dict[str, Any] = {
            "api_url": api_url,
            "bootstrap": bootstrap,
            "devices": 5,
            "interval": 0.5,
            "timeout": 0.5,
            "spool_dir": tmp_path / "spool",
            "archive_dir": tmp_path / "archive",
            "quarantine_file": tmp_path / "quarantine.jsonl",
            "seed": 7,
        }
        values.update(changes)
        return CollectorConfig(**values)

    return make


def read_topic(bootstrap: str, topic: str, timeout: float = 20.0) -> list[dict[str, Any]]:
    """Every record of `topic` as {key, value (parsed JSON), partition}, by explicit assignment."""
    ends = end_offsets(bootstrap, topic)
    expected = sum(ends.values())
    consumer = make_consumer(bootstrap, group_id=None, consumer_timeout_ms=1000)
    records: list[dict[str, Any]] = []
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(ends)]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        deadline = time.monotonic() + timeout
        while len(records) < expected and time.monotonic() < deadline:
            for tp, batch in consumer.poll(timeout_ms=200).items():
                for record in batch:
                    if record.offset < ends[tp.partition]:
                        records.append(
                            {
                                "key": record.key.decode(),
                                "value": json.loads(record.value),
                                "partition": tp.partition,
                            }
                        )
    finally:
        consumer.close()
    return records
