"""Kafka clients with the course's defaults (kafka-python; works on Tansu and Apache Kafka 3.x/4.x).

`BulkProducer` is the fast path for code that sends thousands of messages at once (the stream
job's outputs): confluent-kafka (librdkafka) with the same defaults, encoding and partitioner.

Producer defaults from the course (docs/architecture.md, domain facts): gzip, batch 16 KB,
linger 10 ms, acks=all.
gzip was checked against Tansu 0.6.0: compressed batches are stored and read back intact.
Consumers get a short group session timeout because Tansu's group join waits for it
(docs/architecture.md, decisions); pipeline readers should `assign()` partitions explicitly and
need no group at all.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterable
from typing import Any

from kafka import KafkaConsumer, KafkaProducer
from kafka.serializer import Serializer

PRODUCER_DEFAULTS: dict[str, Any] = {
    "compression_type": "gzip",
    "batch_size": 16 * 1024,
    "linger_ms": 10,
    "acks": "all",
}

CONSUMER_DEFAULTS: dict[str, Any] = {
    "auto_offset_reset": "earliest",
    "enable_auto_commit": False,
    # Tansu makes a joining member wait about one session timeout; 6 s keeps group demos quick
    # and is inside Apache Kafka's allowed range (group.min.session.timeout.ms = 6 s).
    "session_timeout_ms": 6000,
    "heartbeat_interval_ms": 2000,
}


# json.dumps(value, separators=(",", ":")) builds a new encoder per call; one shared encoder gives
# the same text faster (the stream job encodes every processed reading).
_COMPACT_JSON = json.JSONEncoder(separators=(",", ":"))


def encode_value(value: Any) -> bytes | None:
    """Message value as bytes: bytes pass through, str is UTF-8, anything else becomes JSON."""
    if value is None or isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    return _COMPACT_JSON.encode(value).encode("utf-8")


def encode_key(key: Any) -> bytes | None:
    """Message key as bytes: bytes pass through, anything else is its text (DeviceId 3 -> b"3")."""
    if key is None or isinstance(key, bytes):
        return key
    return str(key).encode("utf-8")


class KeySerializer(Serializer):
    """`encode_key` as a kafka-python serializer."""

    # The data comes last: kafka-python 3 passes (topic, headers, data), 2.x (topic, data).
    def serialize(self, topic: str, *args: Any) -> bytes | None:
        return encode_key(args[-1])


class ValueSerializer(Serializer):
    """`encode_value` as a kafka-python serializer."""

    def serialize(self, topic: str, *args: Any) -> bytes | None:
        return encode_value(args[-1])


def make_producer(bootstrap: str, **overrides: Any) -> KafkaProducer:
    """A KafkaProducer with the course defaults; values may be dicts (as JSON), str or bytes."""
    options = {
        **PRODUCER_DEFAULTS,
        "key_serializer": KeySerializer(),
        "value_serializer": ValueSerializer(),
        **overrides,
    }
    return KafkaProducer(bootstrap_servers=bootstrap, **options)


def make_consumer(bootstrap: str, *topics: str, **overrides: Any) -> KafkaConsumer:
    """A KafkaConsumer with the course defaults, subscribed to `topics` if given (raw bytes)."""
    options = {**CONSUMER_DEFAULTS, **overrides}
    return KafkaConsumer(*topics, bootstrap_servers=bootstrap, **options)


# The course defaults in librdkafka's names. murmur2_random is the Java (and kafka-python)
# partitioner, so a key lands on the same partition whichever client sent it.
BULK_PRODUCER_DEFAULTS: dict[str, Any] = {
    "compression.type": "gzip",
    "linger.ms": 10,
    "acks": "all",
    "partitioner": "murmur2_random",
    # Batches of up to 1 MB: a micro-batch's 20,000 messages go in a few dozen requests.
    "batch.size": 1024 * 1024,
    # A message not delivered within a minute fails (kafka-python's send gave up after 60 s too).
    "message.timeout.ms": 60_000,
}


class DeliveryError(RuntimeError):
    """Messages the broker did not accept (or that could not be sent before the timeout)."""


class BulkProducer:
    """A confluent-kafka Producer with the course defaults, for sending many messages at once.

    `send` encodes keys and values as `make_producer` does (`encode_key`, `encode_value`);
    `flush` waits for every delivery and raises DeliveryError if any message was not delivered,
    so a failed send is never dropped silently.
    """

    def __init__(self, bootstrap: str, **overrides: Any) -> None:
        from confluent_kafka import Producer

        self._failures: list[str] = []
        self._failed = 0
        self._producer = Producer(
            {
                "bootstrap.servers": bootstrap,
                **BULK_PRODUCER_DEFAULTS,
                **overrides,
                "on_delivery": self._delivered,
            }
        )

    def _delivered(self, error: Any, message: Any) -> None:
        if error is not None:
            self._failed += 1
            if len(self._failures) < 3:  # a few examples are enough to say what went wrong
                self._failures.append(f"{message.topic()}[{message.partition()}]: {error.str()}")

    def send(self, topic: str, value: Any, key: Any = None) -> None:
        """Queue one message (waiting for room when the local queue is full)."""
        data, key_bytes = encode_value(value), encode_key(key)
        while True:
            try:
                self._producer.produce(topic, value=data, key=key_bytes)
                return
            except BufferError:
                self._producer.poll(0.05)  # full queue: serve deliveries, then try again

    def poll(self) -> None:
        """Serve delivery reports without waiting (a sender that paces itself calls it often)."""
        self._producer.poll(0)

    def send_all(self, topic: str, messages: Iterable[tuple[Any, Any]]) -> None:
        """Queue (key, value) pairs to `topic`."""
        for key, value in messages:
            self.send(topic, value, key)

    def flush(self, timeout: float = 90.0) -> None:
        """Wait until every queued message is delivered; DeliveryError if any was not."""
        pending = self._producer.flush(timeout)
        failed, examples = self._failed, self._failures
        self._failed, self._failures = 0, []
        if pending or failed:
            detail = "; ".join(examples)
            raise DeliveryError(
                f"{failed} message(s) not delivered, {pending} still pending after "
                f"{timeout:.0f}s" + (f": {detail}" if detail else "")
            )

    def close(self, timeout: float = 90.0) -> None:
        """Flush (raising DeliveryError if anything was lost) and release the producer."""
        try:
            self.flush(timeout)
        finally:
            self._producer.close()

    def abandon(self) -> None:
        """Drop every message still queued or in flight and release the producer at once.

        For a sender that already reported the failure (its messages will be sent again)."""
        self._producer.purge()
        self._producer.flush(0)  # serve the purged messages' delivery reports
        self._failed, self._failures = 0, []
        self._producer.close()


class BrokerUnreachable(ConnectionError):
    """No broker accepts connections at the bootstrap address."""


def _accepts(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:  # refused, unreachable, or a name that does not resolve
        return False


def require_broker(bootstrap: str) -> str:
    """`bootstrap` if at least one of its brokers accepts connections, else BrokerUnreachable.

    kafka-python waits about 30 s before it gives up on an absent broker; this fails at once.
    """
    for server in bootstrap.split(","):
        host, _, port = server.strip().rpartition(":")
        if host and port.isdigit() and _accepts(host.strip("[]"), int(port)):
            return bootstrap
    raise BrokerUnreachable(
        f"no Kafka broker answers at {bootstrap}; start one with `fmslab broker start` "
        "or pass --bootstrap HOST:PORT"
    )
