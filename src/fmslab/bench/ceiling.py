"""The broker's own ceiling: how fast one client produces AND consumes the scenarios' payloads.

A load scenario's throughput means little alone: this measures, on the same broker, how many
readings per second go in and come back out when nothing else stands between (no HTTP, no
collector, no Spark). Each client of `fmslab.bench.producer.CLIENTS` is measured (a consumer
thread reads from the start of a fresh topic while the producer sends), and the fastest counts:
which one that is, is measured, not assumed.
"""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime
from typing import Any

from fmslab.bench.producer import CLIENTS, PARTITIONS, Acks, ensure_topic, make_sender
from fmslab.simulator import simulate_readings

READ_TIMEOUT = 60.0


def scenario_payloads(count: int, seed: int, devices: int = 5) -> list[tuple[bytes, bytes]]:
    """(key, JSON value) pairs shaped as the collector produces them (reading_id, collected_at)."""
    slots = -(-count // devices)
    rows = simulate_readings(seed=seed, devices=devices, count=slots)[:count]
    stamp = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    pairs = []
    for n, row in enumerate(r for r in rows if isinstance(r, dict)):
        reading = {**row, "collected_at": stamp, "reading_id": f"{row['DeviceId']}-{stamp}-{n}"}
        pairs.append((str(row["DeviceId"]).encode(), json.dumps(reading).encode()))
    return pairs


class _Reader(threading.Thread):
    """Reads `count` records of every partition of `topic` from the beginning (no group)."""

    def __init__(self, client: str, bootstrap: str, topic: str, count: int) -> None:
        super().__init__(daemon=True, name=f"ceiling-{client}")
        self.client, self.bootstrap, self.topic, self.count = client, bootstrap, topic, count
        self.read = 0
        self.ready = threading.Event()
        self.finished_at: float | None = None

    def run(self) -> None:
        read = self._confluent if self.client == "confluent-kafka" else self._kafka_python
        deadline = time.monotonic() + READ_TIMEOUT
        try:
            read(deadline)
        finally:
            self.ready.set()  # never leave the producer waiting
        if self.read >= self.count:
            self.finished_at = time.monotonic()

    def _confluent(self, deadline: float) -> None:
        from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

        consumer = Consumer(
            {"bootstrap.servers": self.bootstrap, "group.id": "fmslab-ceiling",
             "enable.auto.commit": False}
        )  # fmt: skip
        consumer.assign(
            [TopicPartition(self.topic, p, OFFSET_BEGINNING) for p in range(PARTITIONS)]
        )
        try:
            consumer.consume(num_messages=1, timeout=0.2)  # connect before the clock starts
            self.ready.set()
            while self.read < self.count and time.monotonic() < deadline:
                batch = consumer.consume(num_messages=10_000, timeout=0.2)
                self.read += sum(1 for m in batch if m.error() is None)
        finally:
            consumer.close()

    def _kafka_python(self, deadline: float) -> None:
        from kafka import KafkaConsumer, TopicPartition

        consumer = KafkaConsumer(bootstrap_servers=self.bootstrap, enable_auto_commit=False)
        consumer.assign([TopicPartition(self.topic, p) for p in range(PARTITIONS)])
        consumer.seek_to_beginning()
        try:
            consumer.poll(timeout_ms=200)
            self.ready.set()
            while self.read < self.count and time.monotonic() < deadline:
                batch = consumer.poll(timeout_ms=200, max_records=10_000)
                self.read += sum(len(records) for records in batch.values())
        finally:
            consumer.close()


def client_ceiling(client: str, bootstrap: str, pairs: list[tuple[bytes, bytes]]) -> dict:
    """Readings per second one client produces and consumes back (first send to last read)."""
    topic = f"bench-ceiling-{client}-{time.time_ns()}"
    ensure_topic(bootstrap, topic)
    reader = _Reader(client, bootstrap, topic, len(pairs))
    reader.start()
    reader.ready.wait(30)
    sender, acks = make_sender(client, bootstrap), Acks()
    began = time.monotonic()
    try:
        for key, value in pairs:
            sender.send(topic, key, value, acks)
        sender.flush()
    finally:
        sender.close()
    reader.join(READ_TIMEOUT + 5)
    seconds = (reader.finished_at or time.monotonic()) - began
    complete = reader.read >= len(pairs) and acks.ok == len(pairs)
    return {
        "client": client,
        "messages": len(pairs),
        "acked": acks.ok,
        "read": reader.read,
        "seconds": round(seconds, 3),
        "msg_s": round(len(pairs) / seconds, 1) if complete and seconds > 0 else 0.0,
    }


def broker_ceiling(bootstrap: str, count: int, seed: int) -> dict[str, Any]:
    """Every client's produce+consume rate; `client`/`msg_s` name the fastest one."""
    pairs = scenario_payloads(count, seed)
    measured = [client_ceiling(client, bootstrap, pairs) for client in CLIENTS]
    best = max(measured, key=lambda m: m["msg_s"])
    return {"client": best["client"], "msg_s": best["msg_s"], "clients": measured}
