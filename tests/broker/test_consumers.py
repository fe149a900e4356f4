"""The analysis consumer and the filtering pipeline, on real topics of a Tansu broker."""

from __future__ import annotations

import json
import random
import subprocess
from typing import Any

import pytest
from kafka.admin import KafkaAdminClient, NewTopic

from fmslab.broker.clients import make_producer
from fmslab.broker.consumers import (
    analyze_reading,
    consume_and_analyze,
    filter_topic,
    read_topic,
    reading_filter,
)
from fmslab.broker.offsets import end_offsets
from fmslab.services import fmslab_command

BASE = {
    "time": "2024-01-15T14:30:00Z",
    "DeviceId": 1,
    "sensor1": 80.0,
    "sensor2": 85.0,
    "sensor3": 75.0,
    "motor1": 1200,
    "motor2": 850,
    "motor3": 1100,
    "isFail": False,
}


def reading(**changes: Any) -> dict[str, Any]:
    return {**BASE, **changes}


def readings(count: int, seed: int) -> list[dict[str, Any]]:
    """Seeded readings around the device means, some hot, some failing."""
    rng = random.Random(seed)
    return [
        reading(
            DeviceId=rng.randint(1, 5),
            sensor1=round(rng.gauss(84, 5), 2),
            sensor2=round(rng.gauss(80, 4), 2),
            motor1=round(rng.gauss(1200, 150)),
            isFail=rng.random() < 0.05,
        )
        for _ in range(count)
    ]


def new_topic(bootstrap: str, name: str, partitions: int) -> str:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1)])
    admin.close()
    return name


def publish(bootstrap: str, topic: str, values: list[Any]) -> None:
    producer = make_producer(bootstrap)
    for value in values:
        key = value.get("DeviceId") if isinstance(value, dict) else None
        producer.send(topic, key=key, value=value)
    producer.flush()
    producer.close()


def test_normal_reading() -> None:
    result = analyze_reading(reading())
    assert result["sensor_avg"] == round((80.0 + 85.0 + 75.0) / 3, 2)
    assert result["motor_total"] == 1200 + 850 + 1100
    assert result["alerts"] == []
    assert result["status"] == "NORMAL"
    assert result["device_id"] == 1


@pytest.mark.parametrize(
    ("changes", "alert"),
    [
        ({"sensor1": 90.5}, "sensor1 90.5 > 90"),
        ({"sensor3": 120.0}, "sensor3 120 > 90"),
        ({"motor2": 1501}, "motor2 1501 > 1500"),
        ({"isFail": True}, "isFail"),
    ],
)
def test_each_alert_makes_a_reading_critical(changes: dict[str, Any], alert: str) -> None:
    result = analyze_reading(reading(**changes))
    assert result["alerts"] == [alert]
    assert result["status"] == "CRITICAL"


def test_thresholds_are_strict() -> None:
    assert analyze_reading(reading(sensor1=90.0, motor1=1500))["status"] == "NORMAL"


def test_missing_values_are_left_out() -> None:
    result = analyze_reading(reading(sensor1=-1, sensor2=None, motor3=-1, motor2="fast"))
    assert result["sensor_avg"] == 75.0
    assert result["motor_total"] == 1200
    del_all = {k: v for k, v in BASE.items() if not k.startswith("sensor")}
    assert analyze_reading(del_all)["sensor_avg"] is None


def test_consume_and_analyze_reads_every_reading_and_counts_bad_payloads(broker: str) -> None:
    topic = new_topic(broker, "analyze-src", 5)
    good = readings(300, seed=3)
    publish(broker, topic, [*good[:150], b"not json{", b"[1, 2]", *good[150:], b"\xff\xfe"])

    result = consume_and_analyze(broker, topic, timeout=15)

    assert len(result.readings) == 300
    assert len(result.bad) == 3
    assert {b.reason.split(":")[0] for b in result.bad} == {
        "not JSON",
        "not a JSON object but list",
    }
    expected = sorted(json.dumps(analyze_reading(r), sort_keys=True) for r in good)
    assert sorted(json.dumps(r, sort_keys=True) for r in result.readings) == expected
    summary = result.summary()
    assert summary["records"] == 303 and summary["bad_payloads"] == 3
    assert sum(summary["statuses"].values()) == 300


def test_max_records_stops_early(broker: str) -> None:
    topic = new_topic(broker, "analyze-max", 2)
    publish(broker, topic, readings(100, seed=4))
    assert len(list(read_topic(broker, topic, max_records=30))) == 30
    assert len(consume_and_analyze(broker, topic, max_records=30).readings) == 30


def test_filter_copies_exactly_the_matching_readings(broker: str) -> None:
    source = new_topic(broker, "filter-src", 5)
    target = new_topic(broker, "filter-dst", 3)
    values = readings(400, seed=5)
    publish(broker, source, [*values, b"garbage"])
    keep = reading_filter(min_sensor1=88.0)

    stats = filter_topic(broker, source, target, keep, timeout=15)

    expected = [r for r in values if r["sensor1"] >= 88.0]
    assert 0 < len(expected) < len(values)
    assert (stats.read, stats.kept, stats.dropped, len(stats.bad)) == (
        401,
        len(expected),
        len(values) - len(expected),
        1,
    )
    assert sum(end_offsets(broker, target).values()) == len(expected)
    copied = [json.loads(record.value) for record in read_topic(broker, target)]
    key = json.dumps
    assert sorted(map(key, copied)) == sorted(map(key, expected))


def test_reading_filter_conditions() -> None:
    hot_failed = reading(DeviceId=3, sensor1=95.0, isFail=True)
    assert reading_filter(devices=[3], failed_only=True, critical_only=True)(hot_failed)
    assert not reading_filter(devices=[1, 2])(hot_failed)
    assert not reading_filter(failed_only=True)(reading())
    assert not reading_filter(critical_only=True)(reading())
    assert not reading_filter(min_sensor1=50.0)(reading(sensor1=-1))


@pytest.mark.slow  # two `fmslab` subprocesses
def test_cli_filter_and_analyze(broker: str) -> None:
    source = new_topic(broker, "cli-src", 2)
    target = new_topic(broker, "cli-dst", 1)
    values = readings(50, seed=6)
    publish(broker, source, [*values, b"{broken"])

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        cmd = fmslab_command("consume", *args, "--bootstrap", broker)
        return subprocess.run(cmd, capture_output=True, text=True, timeout=60)

    filtered = run("filter", "--source", source, "--target", target, "--failed")
    assert filtered.returncode == 0, filtered.stderr
    stats = json.loads(filtered.stdout)
    failed = sum(r["isFail"] for r in values)
    assert failed > 0
    assert stats == {
        "source": source,
        "target": target,
        "read": 51,
        "kept": failed,
        "dropped": 50 - failed,
        "bad_payloads": 1,
    }
    assert "bad payload" in filtered.stderr and "not JSON" in filtered.stderr
    analyzed = run("analyze", "--topic", target, "--json")
    assert analyzed.returncode == 0, analyzed.stderr
    doc = json.loads(analyzed.stdout)
    assert doc["readings"] == failed
    assert doc["statuses"] == ({"CRITICAL": failed} if failed else {})
