"""Producing test data for the streaming tests (seeded, batched, over all 5 partitions)."""

from __future__ import annotations

import random

from fmslab.broker.clients import make_producer

RAW_TOPIC = "fms-raw-data"
RAW_PARTITIONS = 5


def reading(i: int, rng: random.Random) -> dict:
    """A seeded reading like the collector produces (motors as floats, as the device sends)."""
    device = i % 5 + 1
    return {
        "time": f"2024-01-15T14:{i // 60 % 60:02d}:{i % 60:02d}Z",
        "DeviceId": device,
        "sensor1": round(rng.gauss(80, 5), 2),
        "sensor2": round(rng.gauss(90, 4), 2),
        "sensor3": round(rng.gauss(75, 6), 2),
        "motor1": round(rng.gauss(1200, 100), 0),
        "motor2": round(rng.gauss(850, 80), 0),
        "motor3": round(rng.gauss(1100, 90), 0),
        "isFail": False,
        "collected_at": f"2024-01-15T14:{i // 60 % 60:02d}:{i % 60:02d}.250Z",
        "reading_id": f"{device}-{i}",
    }


def produce_readings(bootstrap: str, count: int, *, first: int = 0, seed: int = 7) -> None:
    """Send `count` readings round-robin over the 5 partitions, batched (linger > 0, gzip)."""
    rng = random.Random(seed + first)
    producer = make_producer(bootstrap, linger_ms=20)
    try:
        for i in range(first, first + count):
            value = reading(i, rng)
            producer.send(
                RAW_TOPIC, key=value["DeviceId"], value=value, partition=i % RAW_PARTITIONS
            )
        producer.flush()
    finally:
        producer.close()


def produce_values(bootstrap: str, values: list[bytes | str]) -> None:
    """Send raw values (well-formed or not) to partition 0, in order."""
    producer = make_producer(bootstrap, linger_ms=20)
    try:
        for value in values:
            producer.send(RAW_TOPIC, value=value, partition=0)
        producer.flush()
    finally:
        producer.close()
