"""`fmslab.broker.group`: two members split a topic, read each record once and commit."""

from __future__ import annotations

import pytest
from kafka.admin import KafkaAdminClient, NewTopic

from fmslab.broker.clients import make_producer
from fmslab.broker.group import start_group, stop_group, wait_for_records
from fmslab.broker.offsets import OffsetsError, consumer_lag

RECORDS = 300


def _topic(broker: str, name: str, partitions: int) -> None:
    admin = KafkaAdminClient(bootstrap_servers=broker)
    admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1)])
    admin.close()


@pytest.mark.slow  # the group join waits about one session timeout
def test_members_split_the_partitions_and_read_every_record_once(broker: str) -> None:
    _topic(broker, "split", 5)
    producer = make_producer(broker)
    for n in range(RECORDS):  # records already there: members must not read before the split
        producer.send("split", key=n % 17, value={"n": n})
    producer.flush()
    producer.close()

    members = start_group(broker, "split", "g", members=2)
    read = wait_for_records(members, RECORDS)
    stop_group(members)

    owned = [set(m.partitions) for m in members]
    assert all(owned) and not owned[0] & owned[1] and owned[0] | owned[1] == set(range(5))
    seen = [{(p, o) for p, o, _, _ in m.records} for m in members]
    assert read == RECORDS == len(seen[0] | seen[1])
    assert not seen[0] & seen[1]
    assert all(len(m.records) == len(s) for m, s in zip(members, seen, strict=True))
    assert all({p for p, _ in s} <= o for s, o in zip(seen, owned, strict=True))
    assert consumer_lag(broker, "g", "split") == dict.fromkeys(range(5), 0)


@pytest.mark.slow
def test_wait_for_records_reports_a_shortfall(broker: str) -> None:
    _topic(broker, "few", 2)
    producer = make_producer(broker)
    for n in range(10):
        producer.send("few", key=n, value={"n": n})
    producer.flush()
    producer.close()
    members = start_group(broker, "few", "g2", members=2)
    try:
        assert wait_for_records(members, expected=11, timeout=2.0) == 10
    finally:
        stop_group(members)


def test_an_unknown_topic_or_too_many_members_is_a_clear_error(broker: str) -> None:
    with pytest.raises(OffsetsError, match="does not exist"):
        start_group(broker, "absent", "g3")
    _topic(broker, "two", 2)
    with pytest.raises(ValueError, match="2 partitions"):
        start_group(broker, "two", "g3", members=3)
