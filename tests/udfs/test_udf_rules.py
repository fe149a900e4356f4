"""The UDF rules as pure functions and their numpy versions: every boundary, nulls, agreement."""

from __future__ import annotations

import math

import numpy as np
import pytest
import yaml

from fmslab.config import data_dir
from fmslab.streaming.udfs import (
    RISK_LEVELS,
    equipment_risk,
    equipment_risk_array,
    load_thresholds,
    motor_efficiency,
    motor_efficiency_array,
    risk_score,
    sensor_status,
    sensor_status_array,
)

T = load_thresholds()
TEMP, HUM, PRES = T.critical_above


def test_thresholds_come_from_the_yaml_and_match_the_design():
    spec = yaml.safe_load((data_dir() / "alert_thresholds.yaml").read_text(encoding="utf-8"))
    assert T.critical_above == (90.0, 85.0, 130.0)  # docs/architecture.md §6
    assert spec["sensors"]["sensor2"]["above"] == HUM  # the one source of alert thresholds
    assert T.range_limit == {"motor1": 2000, "motor2": 1500, "motor3": 1800}
    assert [level for level, _ in T.levels] == list(RISK_LEVELS)


@pytest.mark.parametrize(
    ("s1", "s2", "s3", "expected"),
    [
        (TEMP, HUM, PRES, "WARNING"),  # at a threshold is not above it, but near all three
        (TEMP + 0.01, 50.0, 50.0, "HIGH_WARNING"),
        (50.0, HUM + 0.01, 50.0, "HIGH_WARNING"),
        (50.0, 50.0, PRES + 0.01, "HIGH_WARNING"),
        (TEMP + 0.01, HUM + 0.01, 50.0, "CRITICAL"),
        (TEMP + 1, HUM + 1, PRES + 1, "CRITICAL"),
        (0.9 * TEMP + 0.01, 0.9 * HUM + 0.01, 50.0, "WARNING"),
        (0.9 * TEMP, 0.9 * HUM, 50.0, "NORMAL"),  # exactly 90 % is not above it
        (0.9 * TEMP + 0.01, 50.0, 50.0, "NORMAL"),  # one near sensor is not a warning
        (TEMP + 1, 0.9 * HUM + 1, 50.0, "HIGH_WARNING"),  # a critical beats the near ones
        (20.0, 30.0, 40.0, "NORMAL"),
    ],
)
def test_sensor_status_boundaries(s1, s2, s3, expected):
    assert sensor_status(s1, s2, s3) == expected
    assert sensor_status_array([s1], [s2], [s3]).tolist() == [expected]


@pytest.mark.parametrize("missing", [None, float("nan"), -1, -1.0])
@pytest.mark.parametrize("position", [0, 1, 2])
def test_any_missing_sensor_is_data_missing_even_beside_critical_ones(missing, position):
    values = [TEMP + 5, HUM + 5, PRES + 5]
    values[position] = missing
    assert sensor_status(*values) == "DATA_MISSING"
    assert sensor_status_array(*[[v] for v in values]).tolist() == ["DATA_MISSING"]


def test_motor_efficiency_is_speed_over_limit_below_the_derating_points():
    at_limits = motor_efficiency(1000, 2000, T.temperature_above, T.humidity_above)
    assert at_limits == 0.5
    assert motor_efficiency(1500, 1500, 20.0, 20.0) == 1.0
    assert motor_efficiency(2500, 2000, 20.0, 20.0) == 1.0  # clipped
    assert motor_efficiency(0, 1800, 20.0, 20.0) == 0.0


def test_motor_efficiency_derates_heat_and_humidity_linearly_with_a_floor():
    heat = motor_efficiency(1000, 2000, 80.0, 20.0)
    assert heat == pytest.approx(0.5 * (1 - 10 * T.temperature_loss_per_degree))
    damp = motor_efficiency(1000, 2000, 20.0, 80.0)
    assert damp == pytest.approx(0.5 * (1 - 20 * T.humidity_loss_per_percent))
    both = motor_efficiency(1000, 2000, 80.0, 80.0)
    assert both == pytest.approx(heat * damp / 0.5)
    floor = motor_efficiency(1000, 2000, 1000.0, 1000.0)
    assert floor == pytest.approx(0.5 * T.minimum_factor**2)
    assert motor_efficiency(1000, 2000, 70.01, 20.0) < 0.5


@pytest.mark.parametrize(
    ("speed", "limit", "temp", "hum"),
    [(None, 2000, 80, 80), (-1, 2000, 80, 80), (1000, 2000, None, 80), (1000, 2000, 80, -1),
     (1000, 2000, 80, float("nan")), (1000, 0, 80, 80), (1000, None, 80, 80)],
)  # fmt: skip
def test_motor_efficiency_is_unknown_when_an_input_is(speed, limit, temp, hum):
    assert motor_efficiency(speed, limit, temp, hum) is None
    assert math.isnan(motor_efficiency_array([speed], [limit], [temp], [hum])[0])


@pytest.mark.parametrize(
    ("status", "is_fail", "efficiency", "expected"),
    [
        ("NORMAL", False, 0.5, "MINIMAL"),  # 0
        ("WARNING", False, 0.5, "LOW"),  # 1
        ("NORMAL", False, None, "LOW"),  # 1: unknown efficiency
        ("HIGH_WARNING", False, 0.5, "LOW"),  # 2
        ("HIGH_WARNING", False, None, "MEDIUM"),  # 3
        ("NORMAL", False, 0.29, "LOW"),  # 2: low efficiency
        ("NORMAL", False, 0.3, "MINIMAL"),  # 0: 0.3 is not below 0.3
        ("CRITICAL", False, 0.5, "MEDIUM"),  # 4
        ("NORMAL", True, 0.5, "MEDIUM"),  # 4
        ("WARNING", True, 0.5, "HIGH"),  # 5
        ("CRITICAL", False, 0.1, "HIGH"),  # 6
        ("HIGH_WARNING", True, 0.5, "HIGH"),  # 6
        ("HIGH_WARNING", True, None, "CRITICAL"),  # 7
        ("CRITICAL", True, 0.1, "CRITICAL"),  # 10
        ("DATA_MISSING", True, None, "HIGH"),  # 6
        (None, None, 0.5, "LOW"),  # null status counts as DATA_MISSING, null isFail as false
    ],
)
def test_equipment_risk_levels(status, is_fail, efficiency, expected):
    assert equipment_risk(status, is_fail, efficiency) == expected
    assert equipment_risk_array([status], [is_fail], [efficiency]).tolist() == [expected]


def test_risk_score_adds_the_documented_points():
    assert risk_score("CRITICAL", True, 0.1) == 4 + 4 + 2
    assert risk_score("DATA_MISSING", False, float("nan")) == 1 + 1


def test_an_unknown_status_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown sensor status 'HOT'"):
        equipment_risk("HOT", False, 0.5)
    with pytest.raises(ValueError, match="unknown sensor status 'HOT'"):
        equipment_risk_array(["NORMAL", "HOT"], [False, False], [0.5, 0.5])


def test_numpy_versions_equal_the_pure_functions_on_seeded_values():
    rng = np.random.default_rng(7)
    n = 5000

    def column(mean: float, spread: float) -> np.ndarray:
        values = rng.normal(mean, spread, n).round(2)
        values[rng.random(n) < 0.03] = -1
        values[rng.random(n) < 0.03] = np.nan
        return values

    s1, s2, s3 = column(82, 8), column(85, 6), column(110, 20)
    speed = column(1200, 400)
    fail = rng.random(n) < 0.1
    status = sensor_status_array(s1, s2, s3)
    eff = motor_efficiency_array(speed, 2000, s1, s2)
    risk = equipment_risk_array(status, fail, eff)
    for i in range(n):
        expected_status = sensor_status(s1[i], s2[i], s3[i])
        expected_eff = motor_efficiency(speed[i], 2000, s1[i], s2[i])
        assert status[i] == expected_status
        assert (math.isnan(eff[i]) and expected_eff is None) or eff[i] == expected_eff
        assert risk[i] == equipment_risk(expected_status, bool(fail[i]), expected_eff)
    assert set(status) == {"CRITICAL", "HIGH_WARNING", "WARNING", "DATA_MISSING", "NORMAL"}
    assert set(risk) == set(RISK_LEVELS)
