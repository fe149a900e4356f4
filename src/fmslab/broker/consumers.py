"""The course's consumers (chapter 7): the analysis consumer and the filtering pipeline.

Both read with explicit partition assignment from the start of the topic up to its end offsets at
the time they start (no consumer group: Tansu's group join waits for the session timeout), so a run
ends by itself once it has read what was there. Payloads that are not a JSON object are counted,
with their partition, offset and reason, never raised.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from kafka.consumer.fetcher import ConsumerRecord

from fmslab.broker.clients import make_consumer, make_producer
from fmslab.broker.offsets import decoding, high_watermarks, partitions_of
from fmslab.reading import MISSING_SENTINEL, MOTORS, SENSORS

SENSOR_ALERT = 90.0  # the course's simple consumer: any sensor above 90 raises an alert
MOTOR_ALERT = 1500.0
MISSING = MISSING_SENTINEL

Reading = dict[str, Any]
Predicate = Callable[[Reading], bool]


class BadPayload(ValueError):
    """A record whose value is not a reading (not JSON, or not a JSON object)."""


@dataclass
class BadRecord:
    """Where a bad payload was found and why it was not a reading."""

    partition: int
    offset: int
    reason: str


def decode_reading(value: bytes | None) -> Reading:
    """The reading in a record value; raises BadPayload with the reason when it is not one."""
    if value is None:
        raise BadPayload("empty value")
    try:
        reading = json.loads(value)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise BadPayload(f"not JSON: {err}") from err
    if not isinstance(reading, dict):
        raise BadPayload(f"not a JSON object but {type(reading).__name__}")
    return reading


def _number(value: Any) -> float | None:
    # bool is an int subclass, and -1 is the read-failure sentinel: neither is a measurement.
    if isinstance(value, bool) or not isinstance(value, int | float) or value == MISSING:
        return None
    return float(value)


def analyze_reading(reading: Reading) -> dict[str, Any]:
    """Sensor average, motor total, alerts and status (NORMAL/CRITICAL) of one reading.

    Missing values (absent, null, non-numeric or -1) are left out of the average and the total.
    Alerts: a sensor above 90, a motor above 1500, or `isFail`. Any alert makes it CRITICAL.
    """
    sensors = {name: _number(reading.get(name)) for name in SENSORS}
    motors = {name: _number(reading.get(name)) for name in MOTORS}
    present = [v for v in sensors.values() if v is not None]
    alerts = [f"{n} {v:g} > {SENSOR_ALERT:g}" for n, v in sensors.items() if v and v > SENSOR_ALERT]
    alerts += [f"{n} {v:g} > {MOTOR_ALERT:g}" for n, v in motors.items() if v and v > MOTOR_ALERT]
    if reading.get("isFail") is True:
        alerts.append("isFail")
    return {
        "device_id": reading.get("DeviceId"),
        "time": reading.get("time"),
        "sensor_avg": round(sum(present) / len(present), 2) if present else None,
        "motor_total": round(sum(v for v in motors.values() if v is not None), 2),
        "alerts": alerts,
        "status": "CRITICAL" if alerts else "NORMAL",
    }


def read_topic(
    bootstrap: str, topic: str, max_records: int | None = None, timeout: float = 10.0
) -> Iterator[ConsumerRecord]:
    """Records of `topic` from the start to its end offsets now (at most `max_records`)."""
    consumer = make_consumer(bootstrap, group_id=None, fetch_max_wait_ms=100)
    try:
        partitions = partitions_of(consumer, topic)
        ends = high_watermarks(consumer, partitions)
        consumer.seek_to_beginning(*partitions)
        remaining = set(partitions)
        count = 0
        deadline = time.monotonic() + timeout
        while remaining and count != max_records and time.monotonic() < deadline:
            with decoding(topic):
                batch = consumer.poll(timeout_ms=200, max_records=_left(max_records, count))
            for tp, records in batch.items():
                for record in records:
                    if record.offset < ends[tp]:  # later records arrived after we started
                        count += 1
                        yield record
            # Position, not the last record, says when a partition is done: on Kafka, control
            # records (transactions) take offsets that no consumer record carries.
            remaining = {tp for tp in remaining if consumer.position(tp) < ends[tp]}
    finally:
        consumer.close()


def _left(max_records: int | None, count: int) -> int | None:
    return None if max_records is None else max_records - count


@dataclass
class Analysis:
    """What the analysis consumer saw: one analysis per reading, and the bad payloads."""

    readings: list[dict[str, Any]] = field(default_factory=list)
    bad: list[BadRecord] = field(default_factory=list)

    @property
    def statuses(self) -> dict[str, int]:
        """Readings per status."""
        return dict(Counter(r["status"] for r in self.readings))

    def summary(self) -> dict[str, Any]:
        """Counts as a JSON-ready dict."""
        return {
            "records": len(self.readings) + len(self.bad),
            "readings": len(self.readings),
            "bad_payloads": len(self.bad),
            "statuses": self.statuses,
            "alerts": sum(len(r["alerts"]) for r in self.readings),
        }


def consume_and_analyze(
    bootstrap: str, topic: str, max_records: int | None = None, timeout: float = 10.0
) -> Analysis:
    """Read `topic` (up to `max_records`) and analyze every reading; bad payloads are counted."""
    result = Analysis()
    for record in read_topic(bootstrap, topic, max_records, timeout):
        try:
            reading = decode_reading(record.value)
        except BadPayload as err:
            result.bad.append(BadRecord(record.partition, record.offset, str(err)))
            continue
        result.readings.append(analyze_reading(reading))
    return result


@dataclass
class FilterStats:
    """What the filtering pipeline did: read, kept (produced to the target), dropped, bad."""

    read: int = 0
    kept: int = 0
    dropped: int = 0
    bad: list[BadRecord] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """Counts as a JSON-ready dict."""
        return {
            "read": self.read,
            "kept": self.kept,
            "dropped": self.dropped,
            "bad_payloads": len(self.bad),
        }


def filter_topic(
    bootstrap: str,
    source: str,
    target: str,
    predicate: Predicate,
    max_records: int | None = None,
    timeout: float = 10.0,
) -> FilterStats:
    """Copy the readings of `source` that match `predicate` to `target` (same key and value)."""
    stats = FilterStats()
    producer = make_producer(bootstrap)
    try:
        for record in read_topic(bootstrap, source, max_records, timeout):
            stats.read += 1
            try:
                reading = decode_reading(record.value)
            except BadPayload as err:
                stats.bad.append(BadRecord(record.partition, record.offset, str(err)))
                continue
            if predicate(reading):
                producer.send(target, key=record.key, value=record.value)
                stats.kept += 1
            else:
                stats.dropped += 1
        producer.flush()
    finally:
        producer.close()
    return stats


def _temperature_ok(reading: Reading, at_least: float | None, above: float | None) -> bool:
    if at_least is None and above is None:
        return True
    value = _number(reading.get("sensor1"))
    if value is None:
        return False
    return (at_least is None or value >= at_least) and (above is None or value > above)


def reading_filter(
    *,
    devices: list[int] | None = None,
    min_sensor1: float | None = None,
    failed_only: bool = False,
    critical_only: bool = False,
    sensor1_above: float | None = None,
) -> Predicate:
    """A predicate from simple conditions (all must hold): device, temperature at least
    `min_sensor1` or strictly above `sensor1_above` (the alert threshold's sense), ..."""

    def keep(reading: Reading) -> bool:
        if devices and reading.get("DeviceId") not in devices:
            return False
        if not _temperature_ok(reading, min_sensor1, sensor1_above):
            return False
        if failed_only and reading.get("isFail") is not True:
            return False
        return not critical_only or analyze_reading(reading)["status"] == "CRITICAL"

    return keep
