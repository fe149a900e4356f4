"""Test data of the pipeline tests: seeded simulated readings, crafted bad inputs, a producer."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from fmslab.broker.clients import make_producer
from fmslab.quality.rules import QualityRules
from fmslab.simulator.feed import simulate_readings
from fmslab.streaming.processing import device_of

RAW_TOPIC = "fms-raw-data"
CRAFTED_BASE = datetime(2024, 1, 16, 9, 0, tzinfo=UTC)

Message = dict[str, Any] | str | bytes


def simulated(count: int, seed: int = 11) -> list[Message]:
    """Seeded simulator output with payload faults; every JSON object gets a reading_id."""
    faults = "duplicates,malformed,missing,types"
    out: list[Message] = []
    for i, item in enumerate(simulate_readings(seed=seed, count=count, faults=faults)):
        out.append({**item, "reading_id": f"sim-{i}"} if isinstance(item, dict) else item)
    return out


def _at(seconds: float) -> str:
    return (CRAFTED_BASE + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _good(n: int, device: int, t: float, **fields: Any) -> dict[str, Any]:
    record = {
        "time": _at(t),
        "DeviceId": device,
        "sensor1": 80.0,
        "sensor2": 90.0,
        "sensor3": 75.0,
        "motor1": 1200,
        "motor2": 850,
        "motor3": 1100,
        "isFail": False,
        "reading_id": f"craft-{n}",
    }
    record.update(fields)
    return {k: v for k, v in record.items() if v is not DROP}


DROP = object()

# One reading per rule and per kind of bad input (device 1 and 2 continue after the simulated
# readings, so their outlier windows are warm). Each entry: overrides of a valid reading.
_CASES: list[dict[str, Any]] = [
    {},
    {"sensor1": -1},  # sentinel -> interpolated
    {"sensor1": None},  # null -> interpolated
    {"sensor2": DROP},  # absent -> interpolated
    {"sensor1": "81.5"},  # numeric text -> converted
    {"sensor1": "abc"},  # not a number -> rejected
    {"sensor1": 120.0},  # out of range -> flagged
    {"sensor1": 99.0},  # z-score outlier
    {"sensor2": 101.0},  # out of range (CLIP rule in the test rules)
    {"sensor2": 55.0},  # outlier (INTERPOLATE rule in the test rules)
    {"sensor3": 140.0},  # outlier (CLIP rule in the test rules)
    {"motor1": -1},  # sentinel -> default 0
    {"motor1": None},  # null -> default 0
    {"motor1": 1200.6},  # float motor -> rounded
    {"motor1": "fast"},  # not an integer -> rejected
    {"motor2": 1600},  # out of range (REJECT rule in the test rules)
    {"motor3": 1790},  # outlier (REJECT rule in the test rules)
    {"isFail": True},  # -> alerts
    {"isFail": "yes"},  # converted -> alerts
    {"isFail": "maybe"},  # not a boolean -> default false
    {"isFail": DROP},  # absent -> default false
    {"DeviceId": 7},  # out of range -> quarantine, no state
    {"DeviceId": "x"},  # not an integer
    {"DeviceId": 2.5},  # not integral
    {"DeviceId": None},  # null
    {"DeviceId": DROP},  # absent
    {"time": "yesterday"},  # not ISO-8601 -> rejected
    {"time": DROP},  # absent -> rejected
    {"time": "2024-01-16T09:30:00"},  # no timezone -> assumed UTC
    {"colour": "red"},  # unknown field
    {"collected_at": "noon"},  # bad metadata
    {"sensor3": float("nan")},  # NaN (json.dumps writes NaN) -> not a finite number
    {"motor2": 10**400},  # beyond float -> not a finite number
    # A failing device: a rejected field still raises the alert (alerts, with the reason) ...
    {"isFail": True, "sensor1": "abc"},  # craft-33
    {"isFail": True, "motor1": "fast", "sensor2": -1},  # craft-34
    # ... unless the reading cannot be tied to a device and a time: quarantine alone.
    {"isFail": True, "DeviceId": 9},  # craft-35
    {"isFail": True, "time": "yesterday"},  # craft-36
]
FAILING_WITH_REJECTIONS = ("craft-33", "craft-34")
FAILING_UNTIED = ("craft-35", "craft-36")
RAW_CASES: list[str | bytes] = [
    '{"time": "2024-01-16T09:00:00Z", "DeviceId": 1,',  # truncated
    "[1, 2, 3]",  # JSON, not an object
    "null",
    "",
    "   ",
    b"\xff\xfe not utf-8",
    "{'time': '2024-01-16T09:00:00Z', 'DeviceId': 3}",  # Python repr
]


def crafted() -> list[Message]:
    """Every rule and every kind of bad input, plus a duplicate and an out-of-order reading."""
    out: list[Message] = []
    t = 0.0
    for n, case in enumerate(_CASES):
        device = 1 + n % 2
        t += 10
        out.append(_good(n, device, t, **case))
    first = out[0]
    assert isinstance(first, dict)
    out.append({**first, "reading_id": "craft-dup"})  # same (DeviceId, time) as craft-0
    out.append(_good(900, 1, 5.0))  # older than device 1's previous reading
    out.append(_good(901, 1, t + 10, isFail=True))
    out.extend(RAW_CASES)
    return out


def encoded(message: Message) -> bytes:
    """The bytes a message is produced as (dicts as JSON, NaN written as the text NaN)."""
    if isinstance(message, bytes):
        return message
    if isinstance(message, str):
        return message.encode("utf-8")
    return json.dumps(message).encode("utf-8")


def produce(bootstrap: str, messages: list[Message], rules: QualityRules) -> list[tuple[int, int]]:
    """Produce in order, keyed like the collector (by DeviceId); returns (partition, offset)."""
    producer = make_producer(bootstrap, linger_ms=5)
    try:
        futures = []
        for message in messages:
            value = encoded(message)
            key = device_of(value, rules)
            futures.append(producer.send(RAW_TOPIC, key=key, value=value))
        producer.flush()
        metadata = [future.get(timeout=30) for future in futures]
    finally:
        producer.close()
    return [(m.partition, m.offset) for m in metadata]


def exercise_rules(rules: QualityRules) -> QualityRules:
    """The course's rules with other actions on some fields, so every action is exercised."""

    def change(name: str, **updates: Any) -> None:
        nonlocal rules
        field = rules.fields[name].model_copy(update=updates)
        rules = rules.model_copy(update={"fields": {**rules.fields, name: field}})

    outlier = rules.fields["sensor2"].outlier
    assert outlier is not None
    change(
        "sensor2", range_action="CLIP", outlier=outlier.model_copy(update={"action": "INTERPOLATE"})
    )
    change("sensor3", outlier=outlier.model_copy(update={"action": "CLIP"}))
    motor_outlier = rules.fields["motor3"].outlier
    assert motor_outlier is not None
    change("motor2", range_action="REJECT")
    change("motor3", outlier=motor_outlier.model_copy(update={"action": "REJECT"}))
    return rules
