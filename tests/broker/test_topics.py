"""Topic administration and end offsets against a real Tansu broker."""

from __future__ import annotations

import json
import random
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from kafka import TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic
from kafka.structs import OffsetAndMetadata

from fmslab.broker.clients import (
    BrokerUnreachable,
    make_consumer,
    make_producer,
    require_broker,
)
from fmslab.broker.embedded import embedded_broker
from fmslab.broker.offsets import consumer_lag, end_offsets
from fmslab.broker.topics import create_topics, describe_topics, load_topics
from fmslab.services import fmslab_command, free_port


def new_topic(bootstrap: str, name: str, partitions: int) -> str:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1)])
    admin.close()
    return name


def test_topic_definitions_match_the_design() -> None:
    specs = {s.name: (s.partitions, s.retention_days, s.replication) for s in load_topics()}
    assert specs == {
        "fms-raw-data": (5, 7, 2),
        "fms-processed-data": (3, 30, 2),
        "fms-alerts": (1, 1, 2),
        "fms-quality-metrics": (2, 7, 2),
    }


def test_create_is_idempotent_and_sets_partition_counts(state_dir: Path) -> None:
    with embedded_broker(state_dir=state_dir) as fresh:
        assert create_topics(fresh, ["fms-alerts"]) == ["fms-alerts"]
        first = create_topics(fresh)
        assert create_topics(fresh) == []
        admin = KafkaAdminClient(bootstrap_servers=fresh)
        described = {t["name"]: len(t["partitions"]) for t in admin.describe_topics(first)}
        admin.close()
    assert sorted(first) == sorted(s.name for s in load_topics() if s.name != "fms-alerts")
    assert described == {s.name: s.partitions for s in load_topics() if s.name in first}


@pytest.mark.slow  # an `fmslab` subprocess
def test_describe_json_shape_through_the_cli(broker: str) -> None:
    create_topics(broker)
    producer = make_producer(broker)
    for i in range(7):
        producer.send("fms-alerts", value={"alert": i})
    producer.flush()
    producer.close()
    result = subprocess.run(
        fmslab_command("topics", "describe", "--json", "--bootstrap", broker),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert set(doc) == {"topics"}
    by_name = {t["name"]: t for t in doc["topics"]}
    assert set(by_name) >= {s.name for s in load_topics()}
    for topic in doc["topics"]:
        assert set(topic) == {"name", "partitions"}
        for part in topic["partitions"]:
            assert set(part) == {"partition", "end_offset"}
    assert by_name["fms-alerts"]["partitions"] == [{"partition": 0, "end_offset": 7}]
    assert [p["partition"] for p in by_name["fms-raw-data"]["partitions"]] == [0, 1, 2, 3, 4]


def test_end_offsets_count_every_record_of_a_batching_producer(broker: str) -> None:
    topic = new_topic(broker, "offsets-proof", 5)
    rng = random.Random(11)
    producer = make_producer(broker, linger_ms=50)  # gzip, 16 KB batches: many records a batch
    futures = [
        producer.send(topic, key=rng.randint(1, 5), value={"n": n, "pad": "x" * rng.randint(0, 80)})
        for n in range(6000)
    ]
    producer.flush()
    acked = Counter(future.get(timeout=10).partition for future in futures)
    producer.close()
    assert len(acked) > 1

    ends = end_offsets(broker, topic)

    assert ends == {p: acked.get(p, 0) for p in range(5)}
    # The naive ListOffsets(latest) answer is the last batch's base offset on Tansu: it undercounts
    # here, which shows the producer batched and that the helper is needed.
    consumer = make_consumer(broker)
    naive = consumer.end_offsets([TopicPartition(topic, p) for p in acked])
    consumer.close()
    assert any(naive[tp] < acked[tp.partition] for tp in naive)


def test_describe_topics_uses_the_same_end_offsets(broker: str) -> None:
    topic = new_topic(broker, "describe-proof", 2)
    producer = make_producer(broker)
    for n in range(500):
        producer.send(topic, value={"n": n}, partition=n % 2)
    producer.flush()
    producer.close()
    [described] = describe_topics(broker, [topic])
    assert described == {
        "name": topic,
        "partitions": [{"partition": 0, "end_offset": 250}, {"partition": 1, "end_offset": 250}],
    }


def test_consumer_lag_is_end_minus_committed(broker: str) -> None:
    topic = new_topic(broker, "lag-proof", 3)
    producer = make_producer(broker)
    for n in range(300):
        producer.send(topic, value={"n": n}, partition=n % 3)
    producer.flush()
    producer.close()
    member = make_consumer(broker, group_id="lag-group")
    member.commit({TopicPartition(topic, 0): OffsetAndMetadata(40, "", -1)})
    member.close()
    assert consumer_lag(broker, "lag-group", topic) == {0: 60, 1: 100, 2: 100}


def test_an_absent_broker_is_reported_at_once(broker: str) -> None:
    assert require_broker(broker) == broker
    absent = f"127.0.0.1:{free_port()}"
    with pytest.raises(BrokerUnreachable, match="fmslab broker start"):
        require_broker(absent)
    assert require_broker(f"{absent},{broker}") == f"{absent},{broker}"
    result = subprocess.run(
        fmslab_command("topics", "list", "--bootstrap", absent),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert f"no Kafka broker answers at {absent}" in result.stderr
