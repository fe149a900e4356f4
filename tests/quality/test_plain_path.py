"""The column-wise path for plain readings routes exactly as the per-record engine.

`route_records(..., plain=True)` (what the stream job runs) and `plain=False` (every record
through `QualityValidator.route`) must give the same rows, reasons, check codes and cleaned values,
and leave the same device state, batch after batch, on every fault profile and on data made to hit
the outlier tests' edges (ties, zero spread, values on the IQR bounds, z-scores at the threshold).
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import pytest

from fmslab.quality.plain import PlainRouter, plain_time
from fmslab.quality.rules import load_rules
from fmslab.quality.validator import QualityValidator
from fmslab.simulator.feed import simulate_readings
from fmslab.streaming.processing import route_records, state_to_bytes

RULES = load_rules()
NOW = datetime(2024, 1, 15, 16, 0, tzinfo=UTC)
PROFILES = [
    "none",
    "default",
    "episodes",
    "malformed",
    "missing",
    "types",
    "duplicates",
    "disorder",
    "skew",
    "chaos",
]


def _kafka_rows(items: list[Any], start: int) -> pd.DataFrame:
    values = [
        json.dumps(item).encode() if isinstance(item, dict) else str(item).encode()
        for item in items
    ]
    offsets = range(start, start + len(values))
    return pd.DataFrame(
        {
            "value": values,
            "partition": 0,
            "offset": list(offsets),
            "timestamp": pd.Timestamp("2026-01-01", tz="UTC") + pd.to_timedelta(offsets, unit="ms"),
        }
    )


def _both_ways(items: list[Any], batch: int, now: datetime | None = NOW) -> None:
    """Route `items` in batches both ways; every batch's rows and the final states agree."""
    plain, exact = QualityValidator(RULES), QualityValidator(RULES)
    for start in range(0, len(items), batch):
        rows = _kafka_rows(items[start : start + batch], start)
        fast = route_records(plain, rows, now).drop(columns="processed_at")
        slow = route_records(exact, rows, now, plain=False).drop(columns="processed_at")
        pd.testing.assert_frame_equal(fast, slow)
    assert plain._devices.keys() == exact._devices.keys()
    for device, state in exact._devices.items():
        assert state_to_bytes(plain._devices[device]) == state_to_bytes(state), device


def _with_metadata(items: list[Any]) -> list[Any]:
    """Two readings in three carry a reading id and a collection time (some a second late)."""
    out = []
    for i, item in enumerate(items):
        when = plain_time(item.get("time")) if isinstance(item, dict) else None
        if when is not None and i % 3:
            stamp = when + timedelta(seconds=(i % 7 == 0) * 1)
            item = {**item, "reading_id": f"r{i}", "collected_at": stamp.strftime("%FT%TZ")}
        out.append(item)
    return out


@pytest.mark.parametrize("profile", PROFILES)
def test_every_fault_profile_routes_the_same_both_ways(profile: str) -> None:
    items = _with_metadata(simulate_readings(seed=23, count=400, faults=profile))
    _both_ways(items, batch=600)


def test_most_simulated_readings_take_the_column_path() -> None:
    """Not a vacuous comparison: the path is used for the bulk of clean data."""
    items = simulate_readings(seed=23, devices=1, count=400)
    router = PlainRouter(QualityValidator(RULES))
    batch = router.classify(items, device_id=1)
    assert batch.plain.mean() > 0.95
    validator = QualityValidator(RULES)
    route_records(validator, _kafka_rows(items[:150], 0), None, plain=False)
    assert router.ready(validator._devices[1])


def _tied_readings(seed: int, count: int) -> list[dict[str, Any]]:
    """Readings of one device whose motors take few distinct values (many ties, zero spreads,
    values on the quartiles and z-scores that land on the threshold) and whose sensors hover
    around few values with rare jumps."""
    rng = random.Random(seed)
    start = datetime(2024, 1, 15, 14, 30, tzinfo=UTC)
    out = []
    level = 1000
    for i in range(count):
        if i % 150 == 0:
            level = rng.choice([900, 1000, 1100])
        spread = rng.choice([0, 0, 1, 2, 5])
        motors = [level + rng.randint(-spread, spread) for _ in range(3)]
        if rng.random() < 0.05:
            motors[rng.randrange(3)] += rng.choice([-1, 1]) * rng.randint(3, 40)
        sensors = [rng.choice([70.0, 70.5, 71.0]) + (rng.random() < 0.03) * 20 for _ in range(3)]
        out.append(
            {
                "time": (start + timedelta(seconds=10 * i)).strftime("%FT%TZ"),
                "DeviceId": 2,
                "sensor1": sensors[0],
                "sensor2": sensors[1],
                "sensor3": sensors[2],
                "motor1": motors[0],
                "motor2": motors[1],
                "motor3": motors[2],
                "isFail": rng.random() < 0.02,
            }
        )
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_edges_of_the_outlier_tests_route_the_same(seed: int) -> None:
    _both_ways(_tied_readings(seed, 900), batch=250, now=None)


def test_a_run_cut_by_duplicates_and_bad_records_routes_the_same() -> None:
    items: list[Any] = _tied_readings(9, 400)
    rng = random.Random(9)
    for i in sorted(rng.sample(range(150, 400), 30), reverse=True):
        kind = rng.choice(["copy", "broken", "text", "null", "unknown", "date"])
        if kind == "copy":
            items.insert(i, dict(items[i - rng.randint(1, 20)]))
        elif kind == "broken":
            items.insert(i, '{"time": "2024-01-15T14:30:00Z", "DeviceId": 2, "sensor1": ')
        elif kind == "text":
            items[i] = {**items[i], "motor2": "fast"}
        elif kind == "null":
            items[i] = {**items[i], "sensor3": None, "isFail": None}
        elif kind == "date":
            items[i] = {**items[i], "time": "2024-02-30T10:00:00Z"}  # no such day
        else:
            items[i] = {**items[i], "colour": "red"}
    _both_ways(items, batch=500)


def _probe_device(device: int, probe: float) -> list[dict[str, Any]]:
    """100 readings whose sensor1 window is 99 x 50.0 and one 60.0 (mean 50.1, sample stddev
    exactly 1.0), then `probe` (so z = probe - 50.1: on the threshold or on a rounding edge of
    the reason's one decimal) and 30 ordinary readings, some with three decimals to round."""
    start = datetime(2024, 1, 15, 14, 30, tzinfo=UTC)
    out = []
    for i in range(131):
        sensor1 = 60.0 if i == 0 else probe if i == 100 else 50.0
        out.append(
            {
                "time": (start + timedelta(seconds=10 * i)).strftime("%FT%TZ"),
                "DeviceId": device,
                "sensor1": sensor1,
                "sensor2": 70.125 if i > 100 and i % 2 else 70.5,
                "sensor3": 80.0 + (i % 5) / 100,
                "motor1": 1000 + i % 7,
                "motor2": 800.5 if i % 11 == 0 else 800,
                "motor3": 1100,
                "isFail": False,
            }
        )
    return out


def test_z_scores_on_the_threshold_are_decided_exactly() -> None:
    probes = [53.1, 53.35, 52.9, 53.05, 47.1]
    items = [r for d, p in enumerate(probes, start=1) for r in _probe_device(d, p)]
    _both_ways(items, batch=len(items), now=None)


def test_failing_readings_with_rejected_fields_inside_a_run_route_the_same() -> None:
    """A failing reading with a rejected field is not plain: the engine sends it to alerts (the
    failing-device rule), and the column-wise path around it gives the same rows and state."""
    items: list[Any] = _tied_readings(5, 300)
    for i in (120, 121, 200, 260):
        items[i] = {**items[i], "isFail": True, "sensor2": "N/A"}
    items[230] = {**items[230], "isFail": True, "DeviceId": 9}  # no known device: quarantine
    _both_ways(items, batch=300)
    routed = route_records(QualityValidator(RULES), _kafka_rows(items, 0), NOW)
    zones = dict(zip(routed["kafka_offset"], routed["zone"], strict=True))
    assert [zones[i] for i in (120, 121, 200, 260)] == ["alerts"] * 4
    assert zones[230] == "quarantine"
