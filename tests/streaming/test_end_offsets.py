"""The stream reader's end offsets through one consumer kept between triggers: exact counts
after every round of batched sends (no high watermark of an earlier call is reused)."""

from __future__ import annotations

from fmslab.broker.clients import BulkProducer
from fmslab.broker.offsets import EndOffsets, end_offsets

TOPIC = "fms-raw-data"


def test_a_kept_consumer_sees_every_batched_send(broker: str) -> None:
    ends = EndOffsets(broker, TOPIC)
    producer = BulkProducer(broker, **{"linger.ms": 20})
    sent: dict[int, int] = {}
    try:
        assert sum(ends().values()) == 0
        for round_ in range(1, 6):
            # Batches of several records: Tansu's ListOffsets answers the last batch's base.
            count = 37 * round_
            for i in range(count):
                device = i % 5 + 1
                producer.send(TOPIC, {"round": round_, "i": i}, key=device)
            producer.flush()
            got = ends()
            assert sum(got.values()) == sum(sent.values()) + count
            sent = got
            assert got == end_offsets(broker, TOPIC)  # the helper with a consumer of its own
        assert ends() == sent  # nothing new: the same ends, asked again
    finally:
        producer.close()
        ends.close()


def test_a_closed_reader_opens_a_new_consumer(broker: str) -> None:
    ends = EndOffsets(broker, TOPIC)
    first = ends()
    ends.close()
    producer = BulkProducer(broker)
    try:
        producer.send(TOPIC, {"i": 0}, key=1)
        producer.flush()
    finally:
        producer.close()
    try:
        assert sum(ends().values()) == sum(first.values()) + 1
    finally:
        ends.close()
