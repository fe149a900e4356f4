"""`fmslab topics create`: the course's four by default, any other topic with the partitions asked
for (the course's filtering exercise uses `input-topic` and `filtered-topic`)."""

from __future__ import annotations

import subprocess

import pytest
from kafka import KafkaConsumer

from fmslab.broker.topics import load_topics
from fmslab.services import fmslab_command

pytestmark = pytest.mark.slow  # `fmslab` subprocesses


def _create(bootstrap: str, *args: str) -> subprocess.CompletedProcess:
    command = fmslab_command("topics", "create", "--bootstrap", bootstrap, *args)
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def _partitions(bootstrap: str) -> dict[str, int]:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap)
    try:
        return {t: len(consumer.partitions_for_topic(t)) for t in consumer.topics()}
    finally:
        consumer.close()


def test_create_makes_the_course_topics_and_any_topic_asked_for(broker: str) -> None:
    course = {spec.name: spec.partitions for spec in load_topics()}
    first = _create(broker)
    assert first.returncode == 0, first.stderr
    assert _partitions(broker) == course
    assert all(f"{name:<22} created  partitions={n}" in first.stdout for name, n in course.items())

    student = _create(broker, "input-topic", "filtered-topic", "--partitions", "3")
    assert student.returncode == 0, student.stderr
    again = _create(broker, "input-topic", "one-partition")  # exists; default partitions
    assert again.returncode == 0, again.stderr
    assert "input-topic            exists" in again.stdout
    assert _partitions(broker) == {
        **course,
        "input-topic": 3,
        "filtered-topic": 3,
        "one-partition": 1,
    }


def test_create_refuses_a_partition_count_below_one(broker: str) -> None:
    result = _create(broker, "input-topic", "--partitions", "0")
    assert result.returncode == 2
    assert "--partitions" in result.stderr
