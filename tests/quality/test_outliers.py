"""Outlier detection (IQR once the window is full, z-score) and each outlier action."""

from __future__ import annotations

import statistics

import pytest

from fmslab.quality import check_readings, iqr_bounds
from fmslab.quality.rules import OutlierRule, QualityRules
from tests.quality.quality_crafting import reading, with_field


def _series(field: str, values: list[float], device: int = 1) -> list[dict]:
    return [reading(device=device, t=10 * i, **{field: v}) for i, v in enumerate(values)]


def _last(field: str, window: list[float], value: float, rules=None, clean: bool = True):
    result = check_readings(_series(field, [*window, value]), rules=rules)
    if clean:  # the window itself raised nothing: the verdict is about the last value only
        assert all(r.zone == "processed" and not r.reasons for r in result.routed[:-1])
    return result.routed[-1]


# 30 values alternating 78/82: mean 80, sample stddev 2*sqrt(30/29); IQR not yet active
SENSOR_WINDOW = [78.0, 82.0] * 15
SENSOR_STD = statistics.stdev(SENSOR_WINDOW)
MOTOR_WINDOW = [1100, 1300] * 15
MOTOR_STD = statistics.stdev(MOTOR_WINDOW)
# heavy tails: tight quartiles, wide stddev -> IQR catches what z-score does not
IQR_WINDOW = [70.0, 90.0] * 5 + [80 + (i % 10) / 10 for i in range(90)]


def test_zscore_sensor_threshold_is_3() -> None:
    below = _last("sensor1", SENSOR_WINDOW, round(80 + 2.7 * SENSOR_STD, 2))
    assert below.reasons == [] and not below.checks["sensor1"].outlier
    above = _last("sensor1", SENSOR_WINDOW, round(80 + 4.2 * SENSOR_STD, 2))
    assert above.zone == "processed"
    assert above.reasons == ["sensor1: outlier (z=4.2) flagged"]
    assert above.record["sensor1"] == round(80 + 4.2 * SENSOR_STD, 2)


def test_zscore_motor_threshold_is_2_5() -> None:
    below = _last("motor1", MOTOR_WINDOW, round(1200 + 2.3 * MOTOR_STD))
    assert below.reasons == []
    above = _last("motor1", MOTOR_WINDOW, round(1200 - 2.7 * MOTOR_STD))
    assert above.reasons == ["motor1: outlier (z=-2.7) flagged"]


def test_zscore_needs_a_minimum_window(rules: QualityRules) -> None:
    short = SENSOR_WINDOW[: rules.outliers.zscore_min_count - 1]
    rec = _last("sensor1", short, 99.0)
    assert rec.reasons == []


def test_iqr_applies_once_the_window_is_full(rules: QualityRules) -> None:
    assert len(IQR_WINDOW) == rules.outliers.window == rules.outliers.iqr_min_count
    low, high = iqr_bounds(IQR_WINDOW, k=1.5)
    value = 82.0
    assert value > high
    z = (value - statistics.mean(IQR_WINDOW)) / statistics.stdev(IQR_WINDOW)
    assert abs(z) < 3  # the z-score alone would not catch it
    rec = _last("sensor1", IQR_WINDOW, value)
    assert rec.reasons == [f"sensor1: outlier (iqr {low:.4g}..{high:.4g}) flagged"]
    not_full = _last("sensor1", IQR_WINDOW[1:], value)
    assert not_full.reasons == []


def test_window_keeps_only_the_last_100_values() -> None:
    # 100 old readings far away, then 100 readings of the IQR window: only those count
    old = [50.0 + (i % 7) for i in range(100)]
    rec = _last("sensor1", old + IQR_WINDOW, 82.0, clean=False)
    assert rec.checks["sensor1"].outlier


def test_windows_are_per_device() -> None:
    series = _series("sensor1", IQR_WINDOW, device=1) + [reading(device=2, t=5000, sensor1=82.0)]
    result = check_readings(series)
    assert result.routed[-1].reasons == []


def _rules_with(rules: QualityRules, action: str) -> QualityRules:
    return with_field(rules, "sensor1", outlier=OutlierRule(zscore=3.0, action=action))


def test_outlier_action_clip_to_zscore_limit(rules: QualityRules) -> None:
    rec = _last("sensor1", SENSOR_WINDOW, 95.0, rules=_rules_with(rules, "CLIP"))
    limit = round(80 + 3.0 * SENSOR_STD, 2)
    assert rec.zone == "processed" and rec.record["sensor1"] == limit
    assert rec.reasons[0].endswith(f"-> clipped to {limit}")
    assert rec.checks["sensor1"].action == "clipped"


def test_outlier_action_clip_to_iqr_bound(rules: QualityRules) -> None:
    low, high = iqr_bounds(IQR_WINDOW)
    rec = _last("sensor1", IQR_WINDOW, 82.0, rules=_rules_with(rules, "CLIP"))
    assert rec.record["sensor1"] == round(high, 2)


def test_outlier_action_interpolate(rules: QualityRules) -> None:
    rec = _last("sensor1", SENSOR_WINDOW, 95.0, rules=_rules_with(rules, "INTERPOLATE"))
    assert rec.zone == "processed" and rec.record["sensor1"] == SENSOR_WINDOW[-1]
    assert rec.reasons == ["sensor1: outlier (z=7.4) -> interpolated (82)"]


def test_outlier_action_reject(rules: QualityRules) -> None:
    rec = _last("sensor1", SENSOR_WINDOW, 95.0, rules=_rules_with(rules, "REJECT"))
    assert rec.zone == "quarantine"
    assert rec.reasons == ["sensor1: outlier (z=7.4) rejected"]


def test_flagged_outlier_is_not_a_previous_valid_value() -> None:
    result = check_readings(_series("sensor1", [*SENSOR_WINDOW, 95.0, -1]))
    assert result.routed[-2].checks["sensor1"].outlier
    assert result.routed[-1].record["sensor1"] == SENSOR_WINDOW[-1]


@pytest.mark.parametrize(
    ("action", "expected", "zone"),
    [("FLAG", 120.0, "processed"), ("CLIP", 100.0, "processed"), ("REJECT", None, "quarantine")],
)
def test_out_of_range_actions(rules: QualityRules, action, expected, zone) -> None:
    changed = with_field(rules, "sensor2", range_action=action)
    rec = _last("sensor2", [], 120.0, rules=changed)
    assert rec.zone == zone and rec.record["sensor2"] == expected
    assert rec.reasons[0].startswith("sensor2: out of range (120)")
    assert not rec.checks["sensor2"].outlier  # out of range is not also an outlier


def test_out_of_range_interpolate(rules: QualityRules) -> None:
    changed = with_field(rules, "motor1", range_action="INTERPOLATE")
    result = check_readings([reading(t=0, motor1=1234), reading(t=10, motor1=2500)], rules=changed)
    rec = result.routed[-1]
    assert rec.record["motor1"] == 1234
    assert rec.reasons == ["motor1: out of range (2500) -> interpolated (1234)"]
