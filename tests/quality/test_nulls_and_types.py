"""Null handling and type rules, field by field, with crafted readings."""

from __future__ import annotations

import pytest

from fmslab.quality import QualityValidator, check_readings
from fmslab.quality.rules import QualityRules
from tests.quality.quality_crafting import DROP, reading, with_field


def _one(records, rules=None):
    result = check_readings(records, rules=rules)
    return result.routed[-1]


def test_clean_reading_is_processed_unchanged() -> None:
    rec = _one([reading()])
    assert rec.zone == "processed" and rec.reasons == []
    assert rec.record == {**reading(), "isFail": False}


def test_motors_sent_as_floats_become_ints() -> None:
    rec = _one([reading(motor1=1200.0, motor2=849.6, motor3="1100")])
    assert rec.zone == "processed" and rec.reasons == []
    assert (rec.record["motor1"], rec.record["motor2"], rec.record["motor3"]) == (1200, 850, 1100)
    assert all(type(rec.record[m]) is int for m in ("motor1", "motor2", "motor3"))


def test_sensors_rounded_to_two_decimals() -> None:
    rec = _one([reading(sensor1=80.125, sensor2="91.5")])
    assert (rec.record["sensor1"], rec.record["sensor2"]) == (80.13, 91.5)


@pytest.mark.parametrize("missing", [DROP, None, -1, -1.0, "-1"])
def test_sensor_interpolates_previous_valid_value(missing) -> None:
    rec = _one([reading(t=0, sensor1=81.5), reading(t=10, sensor1=missing)])
    assert rec.zone == "processed"
    assert rec.record["sensor1"] == 81.5
    assert any(
        r.startswith("sensor1: missing") and r.endswith("-> interpolated (81.5)")
        for r in rec.reasons
    )
    assert rec.checks["sensor1"].action == "interpolated"


def test_sentinel_is_named_in_the_reason() -> None:
    rec = _one([reading(t=0, sensor2=88.0), reading(t=10, sensor2=-1)])
    assert "sensor2: missing (-1) -> interpolated (88)" in rec.reasons


def test_interpolation_uses_the_same_device_only() -> None:
    result = check_readings(
        [
            reading(device=1, t=0, sensor3=70.0),
            reading(device=2, t=0, sensor3=99.0),
            reading(device=2, t=10, sensor3=-1),
            reading(device=1, t=10, sensor3=None),
        ]
    )
    assert [r.record["sensor3"] for r in result.routed] == [70.0, 99.0, 99.0, 70.0]


def test_interpolation_skips_values_that_were_not_valid() -> None:
    # the previous reading was itself interpolated, flagged out of range, or rejected: the
    # value carried forward is the last valid one
    result = check_readings(
        [
            reading(t=0, sensor1=77.7),
            reading(t=10, sensor1=-1),
            reading(t=20, sensor1=150.0),
            reading(t=30, sensor1=60.0, motor1="abc"),
            reading(t=40, sensor1=None),
        ]
    )
    zones = [r.zone for r in result.routed]
    assert zones == ["processed", "processed", "processed", "quarantine", "processed"]
    assert result.routed[-1].record["sensor1"] == 77.7


def test_first_reading_of_a_device_with_missing_sensor_is_null() -> None:
    rec = _one([reading(device=4, sensor1=-1)])
    assert rec.zone == "processed"
    assert rec.record["sensor1"] is None
    assert "sensor1: missing (-1) -> null (no previous value)" in rec.reasons


@pytest.mark.parametrize("missing", [DROP, None, -1, -1.0])
def test_motor_missing_defaults_to_zero(missing) -> None:
    rec = _one([reading(t=0, motor2=900), reading(t=10, motor2=missing)])
    assert rec.zone == "processed"
    assert rec.record["motor2"] == 0
    assert any(r.startswith("motor2: missing") and r.endswith("-> default 0") for r in rec.reasons)


@pytest.mark.parametrize("missing", [DROP, None])
def test_isfail_missing_defaults_to_false(missing) -> None:
    rec = _one([reading(isFail=missing)])
    assert rec.zone == "processed" and rec.record["isFail"] is False
    assert "isFail: missing -> default false" in rec.reasons


@pytest.mark.parametrize(("raw", "expected"), [("true", True), (1, True), ("0", False)])
def test_isfail_converted(raw, expected) -> None:
    rec = _one([reading(isFail=raw)])
    assert rec.record["isFail"] is expected


def test_isfail_unconvertible_defaults_to_false() -> None:
    rec = _one([reading(isFail="maybe")])
    assert rec.zone == "processed" and rec.record["isFail"] is False
    assert "isFail: not a boolean ('maybe') -> default false" in rec.reasons


@pytest.mark.parametrize(
    ("field", "raw", "reason"),
    [
        ("motor1", "abc", "motor1: not an integer ('abc') rejected"),
        ("motor3", True, "motor3: not an integer (true) rejected"),
        ("sensor1", "hot", "sensor1: not a number ('hot') rejected"),
        ("sensor2", {"v": 1}, 'sensor2: not a number ({"v": 1}) rejected'),
        ("sensor3", float("nan"), "sensor3: not a finite number (nan) rejected"),
        ("motor2", 1e400, "motor2: not a finite number (inf) rejected"),
    ],
)
def test_unconvertible_values_are_rejected_per_rule(field, raw, reason) -> None:
    rec = _one([reading(**{field: raw})])
    assert rec.zone == "quarantine"
    assert reason in rec.reasons
    assert rec.record[field] is None


def test_type_action_default_per_rule(rules: QualityRules) -> None:
    changed = with_field(rules, "motor1", type_action="DEFAULT")
    rec = _one([reading(motor1="abc")], rules=changed)
    assert rec.zone == "processed" and rec.record["motor1"] == 0
    assert "motor1: not an integer ('abc') -> default 0" in rec.reasons


def test_type_action_interpolate_per_rule(rules: QualityRules) -> None:
    changed = with_field(rules, "sensor1", type_action="INTERPOLATE")
    rec = _one([reading(t=0, sensor1=79.0), reading(t=10, sensor1="n/a")], rules=changed)
    assert rec.zone == "processed" and rec.record["sensor1"] == 79.0
    assert "sensor1: not a number ('n/a') -> interpolated (79)" in rec.reasons


def test_null_action_reject_per_rule(rules: QualityRules) -> None:
    changed = with_field(rules, "sensor2", null_action="REJECT")
    rec = _one([reading(sensor2=-1)], rules=changed)
    assert rec.zone == "quarantine"
    assert "sensor2: missing (-1) rejected" in rec.reasons


def test_null_action_default_per_rule(rules: QualityRules) -> None:
    changed = with_field(rules, "sensor2", null_action="DEFAULT", default=50.0)
    rec = _one([reading(sensor2=None)], rules=changed)
    assert rec.zone == "processed" and rec.record["sensor2"] == 50.0


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"DeviceId": 7}, "DeviceId: out of range (7) rejected"),
        ({"DeviceId": 0}, "DeviceId: out of range (0) rejected"),
        ({"DeviceId": DROP}, "DeviceId: missing rejected"),
        ({"DeviceId": None}, "DeviceId: missing rejected"),
        ({"DeviceId": "one"}, "DeviceId: not an integer ('one') rejected"),
        ({"DeviceId": 2.5}, "DeviceId: not an integer (2.5) rejected"),
        ({"DeviceId": True}, "DeviceId: not an integer (true) rejected"),
        ({"time": DROP}, "time: missing rejected"),
        ({"time": "yesterday"}, "time: not ISO-8601 ('yesterday') rejected"),
        ({"time": 1705329000}, "time: not ISO-8601 (1705329000) rejected"),
    ],
)
def test_invalid_keys_go_to_quarantine_with_reason(overrides, reason) -> None:
    rec = _one([reading(**overrides)])
    assert rec.zone == "quarantine"
    assert reason in rec.reasons


def test_device_id_as_integral_float_or_string_is_accepted() -> None:
    result = check_readings([reading(DeviceId=3.0), reading(DeviceId="4")])
    assert [(r.zone, r.record["DeviceId"]) for r in result.routed] == [
        ("processed", 3),
        ("processed", 4),
    ]


def test_time_is_normalised_to_utc() -> None:
    rec = _one([reading(time="2024-01-15T23:30:00+09:00")])
    assert rec.record["time"] == "2024-01-15T14:30:00Z" and rec.reasons == []
    naive = _one([reading(time="2024-01-15T14:30:00")])
    assert naive.zone == "processed" and "time: no timezone -> assumed UTC" in naive.reasons


def test_unknown_fields_are_reported_and_dropped() -> None:
    rec = _one([reading(extra=1)])
    assert rec.zone == "processed" and "extra: unknown field ignored" in rec.reasons


def test_the_collectors_reading_id_is_kept_as_text_without_a_reason() -> None:
    rec = _one([reading(reading_id="3-2024-01-15T14:30:00Z-17", extra=1)])
    assert rec.record["reading_id"] == "3-2024-01-15T14:30:00Z-17"
    assert not any(r.startswith("reading_id") for r in rec.reasons)
    assert "extra: unknown field ignored" in rec.reasons
    assert "extra" not in rec.record


def test_quarantined_records_do_not_teach_the_validator() -> None:
    validator = QualityValidator()
    validator.process([reading(t=0, sensor1=85.0, time="bad")])
    rec = validator.process([reading(t=10, sensor1=-1)]).routed[0]
    assert rec.record["sensor1"] is None
