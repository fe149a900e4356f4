"""End offsets and consumer lag that are right on Tansu and on Apache Kafka.

Tansu's ListOffsets(latest) answers the base offset of a partition's last record batch, not its high
watermark (docs/architecture.md, decisions), so `KafkaConsumer.end_offsets()` undercounts
whenever the producer
batches. Every fetch response, however, carries the partition's true high watermark. So: list the
offsets, fetch from there (on Tansu that is the last batch; on Kafka it is the end, so nothing comes
back), and take the largest of the listed offset, the fetch's high watermark and the last fetched
offset + 1. On Apache Kafka all three agree, so the same code serves both.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from kafka import KafkaConsumer, TopicPartition

from fmslab.broker.clients import make_consumer


class OffsetsError(RuntimeError):
    """End offsets could not be read (unknown topic, broker not answering)."""


def _reader(bootstrap: str, **options: object) -> KafkaConsumer:
    # fetch_max_wait_ms is short because a fetch at the end of a partition waits that long.
    return make_consumer(bootstrap, group_id=None, fetch_max_wait_ms=50, **options)


def partitions_of(consumer: KafkaConsumer, topic: str) -> list[TopicPartition]:
    """The partitions of `topic`; raises OffsetsError when the broker does not know it."""
    partitions = consumer.partitions_for_topic(topic)
    if not partitions:
        raise OffsetsError(f"topic {topic!r} does not exist on the broker")
    return [TopicPartition(topic, p) for p in sorted(partitions)]


def high_watermarks(
    consumer: KafkaConsumer, partitions: Iterable[TopicPartition], timeout: float = 10.0
) -> dict[TopicPartition, int]:
    """The end offset (high watermark) of each partition, read through `consumer`.

    The consumer's assignment is replaced; it is left positioned at the end of each partition.
    """
    partitions = list(partitions)
    if not partitions:
        return {}
    ends = dict(consumer.end_offsets(partitions))
    consumer.assign(partitions)
    for tp in partitions:
        consumer.seek(tp, ends[tp])
    pending = set(partitions)
    deadline = time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        for tp, records in consumer.poll(timeout_ms=100).items():
            if records:
                ends[tp] = max(ends[tp], records[-1].offset + 1)
        for tp in list(pending):
            watermark = consumer.highwater(tp)
            if watermark is not None:
                ends[tp] = max(ends[tp], watermark)
                pending.discard(tp)
    if pending:
        missing = ", ".join(f"{tp.topic}[{tp.partition}]" for tp in sorted(pending))
        raise OffsetsError(f"no fetch response within {timeout:.0f}s for {missing}")
    return ends


def end_offsets_of(bootstrap: str, topics: Iterable[str]) -> dict[str, dict[int, int]]:
    """End offsets of several topics: {topic: {partition: end offset}}."""
    consumer = _reader(bootstrap)
    try:
        by_topic = {topic: partitions_of(consumer, topic) for topic in topics}
        ends = high_watermarks(consumer, [tp for tps in by_topic.values() for tp in tps])
    finally:
        consumer.close()
    return {
        topic: {tp.partition: ends[tp] for tp in partitions}
        for topic, partitions in by_topic.items()
    }


def end_offsets(bootstrap: str, topic: str) -> dict[int, int]:
    """{partition: end offset} of `topic`: the number of records ever written to each partition."""
    return end_offsets_of(bootstrap, [topic])[topic]


class EndOffsets:
    """End offsets of one topic through one kafka-python consumer kept between calls.

    A stream reader asks for them at every trigger: a new consumer each time (`end_offsets`)
    cost ~20-35 ms of connecting and metadata. The values still come from `high_watermarks`
    (the fetch's high watermark: right on Tansu).
    Each call starts from an empty assignment, so no high watermark of an earlier call is
    reused; a failed call closes the consumer and the next one makes a new one."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.bootstrap, self.topic = bootstrap, topic
        self._consumer: KafkaConsumer | None = None

    def __call__(self) -> dict[int, int]:
        """{partition: high watermark} now."""
        if self._consumer is None:
            self._consumer = _reader(self.bootstrap)
        try:
            # kafka-python keeps a partition's state (and its last high watermark) while the
            # partition stays assigned: clear the assignment so only a new fetch answers.
            self._consumer.unsubscribe()
            ends = high_watermarks(self._consumer, partitions_of(self._consumer, self.topic))
        except Exception:
            self.close()
            raise
        return {tp.partition: offset for tp, offset in ends.items()}

    def close(self) -> None:
        """Close the consumer (a later call opens a new one)."""
        consumer, self._consumer = self._consumer, None
        if consumer is not None:
            consumer.close()


def committed_offsets(bootstrap: str, group: str, topic: str) -> dict[int, int | None]:
    """{partition: offset committed by `group`} for `topic` (None where it committed nothing)."""
    # A consumer with the group's id can read its commits without joining the group.
    consumer = make_consumer(bootstrap, group_id=group)
    try:
        return {tp.partition: consumer.committed(tp) for tp in partitions_of(consumer, topic)}
    finally:
        consumer.close()


def consumer_lag(bootstrap: str, group: str, topic: str) -> dict[int, int]:
    """{partition: records `group` has still to read} on `topic` (from the start if no commit)."""
    committed = committed_offsets(bootstrap, group, topic)
    consumer = _reader(bootstrap)
    try:
        partitions = partitions_of(consumer, topic)
        starts = consumer.beginning_offsets(partitions)
        ends = high_watermarks(consumer, partitions)
    finally:
        consumer.close()
    lag = {}
    for tp in partitions:
        position = committed.get(tp.partition)
        position = starts[tp] if position is None else position
        lag[tp.partition] = max(ends[tp] - position, 0)
    return lag
