"""Producing test data for the streaming tests (seeded, batched, over all 5 partitions)."""

from __future__ import annotations

from typing import Any

from fmslab.broker.clients import make_producer
from fmslab.simulator import simulate_readings

RAW_TOPIC = "fms-raw-data"
RAW_PARTITIONS = 5
DEVICES = 5


def readings(count: int, *, first: int = 0, seed: int = 7) -> list[dict[str, Any]]:
    """Readings `first` .. `first + count - 1` of the seeded simulator, enriched as the collector
    does (`collected_at` 250 ms after the reading, `reading_id` DEVICE-INDEX).

    Reading i is device i % 5 + 1 at slot i // 5, so a later call with `first` continues the
    sequence (new times, no duplicate of what was sent before).
    """
    slots = -(-(first + count) // DEVICES)  # ceil: whole slots of 5 readings
    served = simulate_readings(seed=seed, devices=DEVICES, count=slots)[first : first + count]
    return [
        {
            **value,  # type: ignore[dict-item]
            "collected_at": value["time"].replace("Z", ".250Z"),  # type: ignore[index]
            "reading_id": f"{value['DeviceId']}-{i}",  # type: ignore[index]
        }
        for i, value in enumerate(served, start=first)
    ]


def produce_readings(bootstrap: str, count: int, *, first: int = 0, seed: int = 7) -> None:
    """Send `count` readings round-robin over the 5 partitions, batched (linger > 0, gzip)."""
    values = readings(count, first=first, seed=seed)
    producer = make_producer(bootstrap, linger_ms=20)
    try:
        for i, value in enumerate(values, start=first):
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
