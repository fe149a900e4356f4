"""Consumer groups on Tansu: two members of one group split a 5-partition topic."""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
from kafka import KafkaConsumer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic

from fmslab.broker.clients import make_consumer, make_producer

RECORDS = 1000


class Member(threading.Thread):
    """One group member polling in its own thread, remembering every (partition, offset)."""

    def __init__(self, bootstrap: str, topic: str, group: str) -> None:
        super().__init__(daemon=True)
        # Short session timeout: Tansu's group join waits about this long (docs/architecture.md).
        self.consumer: KafkaConsumer = make_consumer(bootstrap, topic, group_id=group)
        self.seen: list[tuple[int, int]] = []
        self.assignment: set[TopicPartition] = set()
        self.stop = threading.Event()

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                for records in self.consumer.poll(timeout_ms=200).values():
                    self.seen.extend((r.partition, r.offset) for r in records)
                self.assignment = set(self.consumer.assignment())
        finally:
            self.consumer.close()


@pytest.mark.slow  # the group join waits about one session timeout
def test_two_members_split_the_partitions_without_overlap(broker: str) -> None:
    topic = "group-split"
    admin = KafkaAdminClient(bootstrap_servers=broker)
    admin.create_topics([NewTopic(topic, num_partitions=5, replication_factor=1)])
    admin.close()
    members = [Member(broker, topic, "fms-analytics") for _ in range(2)]
    for member in members:
        member.start()
    try:
        # Produce only once the group is stable, so no record is read before a rebalance.
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            a, b = (m.assignment for m in members)
            if a and b and not a & b and len(a | b) == 5:
                break
            time.sleep(0.2)
        assert a and b and not a & b and len(a | b) == 5, f"group did not settle: {a} {b}"

        producer = make_producer(broker)
        for n in range(RECORDS):
            producer.send(topic, key=n % 17, value={"n": n})
        producer.flush()
        producer.close()

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and sum(len(m.seen) for m in members) < RECORDS:
            time.sleep(0.2)
    finally:
        for member in members:
            member.stop.set()
        for member in members:
            member.join(timeout=10)

    first, second = (set(m.seen) for m in members)
    assert first and second
    assert not first & second
    assert len(first | second) == RECORDS
    per_partition = Counter(p for p, _ in first | second)
    assert len(per_partition) > 1
    assert all(len(m.seen) == len(set(m.seen)) for m in members)  # no member saw a record twice
