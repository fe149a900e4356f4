"""The rules over readings from the simulator's generator: figures a realistic run must show."""

from __future__ import annotations

import pytest

from fmslab.quality import check_readings
from fmslab.simulator import feed, profiles

SENSORS = ("sensor1", "sensor2", "sensor3")
MOTORS = ("motor1", "motor2", "motor3")


@pytest.fixture(scope="module")
def clean_run():
    readings = feed.simulate_readings(seed=42, devices=5, count=200, faults="none")
    return readings, check_readings(readings)


def test_clean_run_routes_everything_to_processed(clean_run) -> None:
    readings, result = clean_run
    assert len(readings) == 1000
    assert result.report.zone_counts == {
        "processed": 1000,
        "alerts": 0,
        "quarantine": 0,
        "dropped": 0,
    }
    dims = result.report.dimensions
    assert dims["consistency"].value == 1.0 and dims["timeliness"].value == 1.0
    assert dims["timeliness"].denominator == 995  # every reading but each device's first


def test_missing_values_match_the_sentinel_rates(clean_run) -> None:
    _, result = clean_run
    fields = result.report.fields
    # -1 with probability 0.02 (sensors) and 0.01 (motors): binomial over 1000 readings, 4 sd
    for names, p in ((SENSORS, 0.02), (MOTORS, 0.01)):
        total = sum(fields[n].sentinel for n in names)
        mean, sd = 3000 * p, (3000 * p * (1 - p)) ** 0.5
        assert abs(total - mean) < 4 * sd, (names, total)
    assert all(fields[n].interpolated + fields[n].nulled == fields[n].sentinel for n in SENSORS)
    assert all(fields[n].defaulted == fields[n].sentinel for n in MOTORS)
    expected = 1 - (3 * 0.02 + 3 * 0.01) / 9  # 0.99
    assert result.report.dimensions["completeness"].value == pytest.approx(expected, abs=0.004)


def test_accuracy_meets_its_target(clean_run) -> None:
    _, result = clean_run
    accuracy = result.report.dimensions["accuracy"]
    assert accuracy.passed and accuracy.value < 1.0  # some injected outliers leave the range


def test_outlier_detection_rates(clean_run) -> None:
    readings, result = clean_run
    by_id = {p.device_id: p for p in profiles.load_profiles(5)}
    seen: dict[int, int] = {}
    far, near = [], []  # (flagged?) for values >= 3 sd and < 2 sd from the profile mean
    for raw, routed in zip(readings, result.routed, strict=True):
        seen[raw["DeviceId"]] = seen.get(raw["DeviceId"], 0) + 1
        if seen[raw["DeviceId"]] <= 30:  # the z-score needs 30 values in the window
            continue
        for name in SENSORS + MOTORS:
            check = routed.checks[name]
            if raw[name] == -1 or not check.in_range:
                continue
            prof = by_id[raw["DeviceId"]].fields[name]
            distance = abs(raw[name] - prof.mean) / prof.stddev
            if distance >= 3:
                far.append(check.outlier)
            elif distance < 2:
                near.append(check.outlier)
    assert len(far) > 100 and len(near) > 4000
    assert sum(far) / len(far) > 0.75  # most injected outliers are caught
    assert sum(near) / len(near) < 0.01  # ordinary values are almost never flagged


def test_default_faults_send_failure_episodes_to_alerts() -> None:
    readings = feed.simulate_readings(seed=42, devices=5, count=200, faults="default")
    result = check_readings(readings)
    alerts = result.zone("alerts")
    assert alerts and all(r.record["isFail"] is True for r in alerts)
    assert all(r.zone != "alerts" for r in result.routed if r.record.get("isFail") is False)
    assert result.report.score > 0.9


def test_chaos_faults_are_all_accounted_for() -> None:
    readings = feed.simulate_readings(seed=7, devices=5, count=100, faults="chaos")
    result = check_readings(readings)
    counts = result.report.zone_counts
    assert sum(counts.values()) == len(readings) == 500
    assert counts["quarantine"] > 0 and counts["dropped"] > 0
    assert all(r.reasons for r in result.routed if r.zone in ("quarantine", "dropped"))
    malformed = [r for r, raw in zip(result.routed, readings, strict=True) if isinstance(raw, str)]
    # A body with NaN is JSON to Python's parser and fails on the field instead: a failing
    # device's reading then still raises its alert, carrying the rejection.
    assert malformed and all(
        r.zone == "quarantine" or (r.zone == "alerts" and r.record["isFail"] is True)
        for r in malformed
    )
    assert all(r.zone == "quarantine" for r in malformed if r.malformed)
    assert not result.report.dimensions["consistency"].passed
