"""Topics written with every codec (gzip, snappy, lz4, zstd) by both clients a student may bring
(kafka-python and confluent-kafka), for the codec tests of the tools and of the stream job."""

from __future__ import annotations

from confluent_kafka import Producer

from fmslab.broker.clients import encode_key, encode_value, make_producer
from fmslab.broker.topics import create_topics
from fmslab.simulator import simulate_readings

CODECS = ("gzip", "snappy", "lz4", "zstd")
CLIENTS = ("kafka-python", "confluent-kafka")
RAW = "fms-raw-data"
PER_KIND = 10  # readings per (client, codec): 2 per device


def _send_kafka_python(bootstrap: str, codec: str, topics: list[str], readings: list) -> None:
    producer = make_producer(bootstrap, compression_type=codec)
    for reading in readings:
        for topic in topics:
            producer.send(topic, key=reading["DeviceId"], value=reading)
    producer.flush()
    producer.close()


def _send_confluent(bootstrap: str, codec: str, topics: list[str], readings: list) -> None:
    failed: list[str] = []
    producer = Producer(
        {"bootstrap.servers": bootstrap, "compression.type": codec, "linger.ms": 10}
    )
    for reading in readings:
        for topic in topics:
            producer.produce(
                topic,
                key=encode_key(reading["DeviceId"]),
                value=encode_value(reading),
                on_delivery=lambda err, _msg: err and failed.append(str(err)),
            )
    assert producer.flush(30) == 0 and not failed, failed


def produce_every_codec(bootstrap: str, own_topics: bool = True) -> dict[str, list[dict]]:
    """Distinct readings (the stream job drops repeats of (DeviceId, time)) sent by each client
    with each codec to RAW and, if `own_topics`, to a topic of that kind (2 partitions).

    Returns {topic: readings sent to it}; RAW holds the batches of all eight kinds."""
    create_topics(bootstrap)
    readings = simulate_readings(seed=5, count=len(CODECS) * len(CLIENTS) * PER_KIND // 5)
    topics: dict[str, list[dict]] = {RAW: []}
    for i, (client, codec) in enumerate((c, k) for c in CLIENTS for k in CODECS):
        name = f"codec-{client}-{codec}"
        batch = [
            {**r, "reading_id": f"{name}-{n}"}
            for n, r in enumerate(readings[i * PER_KIND : (i + 1) * PER_KIND])
        ]
        targets = [RAW]
        if own_topics:
            create_topics(bootstrap, [name], partitions=2)
            targets.append(name)
            topics[name] = batch
        send = _send_kafka_python if client == "kafka-python" else _send_confluent
        send(bootstrap, codec, targets, batch)
        topics[RAW] += batch
    return topics
