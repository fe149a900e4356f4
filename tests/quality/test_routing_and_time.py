"""Routing (alerts, duplicates, malformed input) and the per-device time checks."""

from __future__ import annotations

import json

import pytest

from fmslab.quality import QualityValidator, check_readings
from tests.quality.quality_crafting import reading, stamp


def test_isfail_goes_to_alerts() -> None:
    result = check_readings(
        [reading(t=0), reading(t=10, isFail=True), reading(t=20, isFail="true")]
    )
    assert [r.zone for r in result.routed] == ["processed", "alerts", "alerts"]
    assert result.routed[1].reasons == ["isFail: failure reported"]
    assert result.report.zone_counts["alerts"] == 2


def test_failing_reading_without_a_device_or_time_is_quarantined_alone() -> None:
    untied = [
        reading(isFail=True, DeviceId=9),
        reading(isFail=True, DeviceId=None),
        reading(t=10, isFail=True, time="yesterday"),
    ]
    result = check_readings(untied)
    assert [r.zone for r in result.routed] == ["quarantine"] * 3
    assert result.report.zone_counts["alerts"] == 0


def test_failing_reading_with_a_rejected_field_still_raises_its_alert() -> None:
    # A data-quality problem must never silence a failing machine (docs/architecture.md).
    result = check_readings(
        [
            reading(t=0),
            reading(t=10, isFail=True, sensor1="N/A"),
            reading(t=20, isFail=False, sensor1="N/A"),
        ]
    )
    alert, quiet = result.routed[1], result.routed[2]
    assert alert.zone == "alerts"
    assert alert.reasons == ["sensor1: not a number ('N/A') rejected", "isFail: failure reported"]
    assert alert.record["sensor1"] is None and alert.record["sensor2"] == 90.0
    assert quiet.zone == "quarantine"  # the same problem without a failure: quarantine, as before
    assert result.report.zone_counts == {"processed": 1, "alerts": 1, "quarantine": 1, "dropped": 0}


def test_a_failing_reading_kept_in_alerts_is_remembered_for_duplicates() -> None:
    failing = reading(t=10, isFail=True, motor1="fast")
    result = check_readings([failing, failing])
    assert [r.zone for r in result.routed] == ["alerts", "dropped"]


def test_duplicate_is_dropped_and_counted() -> None:
    result = check_readings(
        [reading(device=3, t=0), reading(device=3, t=10), reading(device=3, t=0, sensor1=99.0)]
    )
    dropped = result.routed[2]
    assert dropped.zone == "dropped" and dropped.duplicate
    assert dropped.reasons == [f"duplicate of (3, {stamp(0)})"]
    assert result.report.zone_counts == {"processed": 2, "alerts": 0, "quarantine": 0, "dropped": 1}
    consistency = result.report.dimensions["consistency"]
    assert (consistency.numerator, consistency.denominator) == (2, 3)


def test_same_instant_in_another_offset_is_a_duplicate() -> None:
    other = reading(device=2, time="2024-01-15T23:30:00+09:00")
    result = check_readings([reading(device=2, t=0), other])
    assert result.routed[1].zone == "dropped"


def test_same_time_other_device_is_not_a_duplicate() -> None:
    result = check_readings([reading(device=1), reading(device=2)])
    assert [r.zone for r in result.routed] == ["processed", "processed"]


def test_duplicates_are_remembered_across_calls() -> None:
    validator = QualityValidator()
    assert validator.process([reading(t=0)]).routed[0].zone == "processed"
    assert validator.process([reading(t=0)]).routed[0].zone == "dropped"
    validator.reset()
    assert validator.process([reading(t=0)]).routed[0].zone == "processed"


def test_copy_of_a_quarantined_reading_is_not_a_duplicate() -> None:
    result = check_readings([reading(t=0, motor1="abc"), reading(t=0)])
    assert [r.zone for r in result.routed] == ["quarantine", "processed"]


def test_out_of_order_is_flagged_and_counted() -> None:
    result = check_readings([reading(t=0), reading(t=20), reading(t=10), reading(t=30)])
    assert [r.zone for r in result.routed] == ["processed"] * 4
    late = result.routed[2]
    assert late.out_of_order
    assert f"time: out of order (previous {stamp(20)}) flagged" in late.reasons
    assert not result.routed[3].out_of_order  # later than its predecessor: in order
    consistency = result.report.dimensions["consistency"]
    assert (consistency.numerator, consistency.denominator) == (3, 4)


def test_order_is_per_device() -> None:
    result = check_readings([reading(device=1, t=20), reading(device=2, t=10)])
    assert not any(r.out_of_order for r in result.routed)


@pytest.mark.parametrize(("skew", "timely"), [(0, True), (60, True), (-59, True), (75, False)])
def test_clock_skew_against_collected_at(skew, timely) -> None:
    rec = check_readings([reading(t=skew, collected_at=stamp(0))]).routed[0]
    assert rec.timely is timely
    assert rec.zone == "processed"  # skew is reported, never a reason to move the record
    assert (f"time: clock skew (+{skew}s vs collected_at) flagged" in rec.reasons) is not timely


def test_processing_delay_needs_now() -> None:
    records = [reading(t=0, collected_at=stamp(1))]
    assert check_readings(records).routed[0].timely is True
    on_time = check_readings(records, now=stamp(31)).routed[0]
    assert on_time.timely is True
    late = check_readings(records, now=stamp(45)).routed[0]
    assert late.timely is False
    assert "time: late (processed 44s after collection) flagged" in late.reasons


def test_without_collected_at_now_checks_the_reading_time() -> None:
    late = check_readings([reading(t=0)], now=stamp(40)).routed[0]
    assert (
        late.timely is False and "time: late (processed 40s after reading) flagged" in late.reasons
    )
    future = check_readings([reading(t=100)], now=stamp(0)).routed[0]
    assert "time: clock skew (+100s vs now) flagged" in future.reasons


def test_interval_check_per_device() -> None:
    records = [
        reading(device=1, t=0),
        reading(device=2, t=3),
        reading(device=1, t=10),
        reading(device=2, t=14),
        reading(device=1, t=22),
        reading(device=1, t=37),
    ]
    result = check_readings(records)
    assert [r.timely for r in result.routed] == [None, None, True, True, True, False]
    assert "time: off interval (gap 15s, expected 10±2s) flagged" in result.routed[-1].reasons
    assert result.report.dimensions["timeliness"].value == pytest.approx(3 / 4)
    faster = check_readings(records, interval=12.5)
    assert [r.timely for r in faster.routed][2:] == [False, True, True, False]


def test_interval_uses_collected_at_when_present() -> None:
    records = [
        reading(t=0, collected_at=stamp(0.5)),
        reading(t=10, collected_at=stamp(20.5)),  # collected 20 s after the previous one
    ]
    rec = check_readings(records).routed[1]
    assert (
        rec.timely is False
        and "time: off interval (gap 20s, expected 10±2s) flagged" in rec.reasons
    )


def test_collected_at_is_normalised_or_reported() -> None:
    good = check_readings([reading(collected_at="2024-01-15T23:30:01+09:00")]).routed[0]
    assert good.record["collected_at"] == "2024-01-15T14:30:01Z"
    bad = check_readings([reading(collected_at="soon")]).routed[0]
    assert bad.zone == "processed" and bad.record["collected_at"] is None
    assert "collected_at: not ISO-8601 ('soon') ignored" in bad.reasons


def test_now_must_be_a_time() -> None:
    with pytest.raises(ValueError, match="ISO-8601"):
        check_readings([reading()], now="later")


@pytest.mark.parametrize(
    ("item", "reason"),
    [
        (
            "{not json",
            "malformed JSON: Expecting property name enclosed in double quotes (column 2)",
        ),
        ("[1, 2]", "not a JSON object (array)"),
        ('"text"', "not a JSON object (string)"),
        ("42", "not a JSON object (number)"),
        ("null", "not a JSON object (null)"),
        ("true", "not a JSON object (boolean)"),
        ("", "malformed JSON: empty"),
        (b"\xff\xfe\x00junk", "malformed JSON: not valid UTF-8"),
        (["a"], "not a JSON object (list)"),
        (None, "not a JSON object (NoneType)"),
    ],
)
def test_non_objects_go_to_quarantine(item, reason) -> None:
    rec = check_readings([item]).routed[0]
    assert rec.zone == "quarantine" and rec.reasons == [reason] and rec.malformed


def test_json_lines_and_dicts_route_alike() -> None:
    records = [reading(t=0), reading(t=10, sensor1=-1, motor1=1200.4)]
    as_dicts = check_readings(records).to_json()
    as_lines = check_readings([json.dumps(r) for r in records]).to_json()
    as_bytes = check_readings([json.dumps(r).encode() for r in records]).to_json()
    assert as_dicts["records"] == as_lines["records"] == as_bytes["records"]


def test_nan_and_huge_numbers_in_json_text() -> None:
    line = json.dumps(reading(sensor1=float("nan")))  # Python writes the NaN token
    huge = json.dumps({"time": stamp(10), "DeviceId": 1, "motor1": 10**400})
    deep = "[" * 100000 + "]" * 100000
    result = check_readings([line, huge, deep])
    assert result.routed[0].zone == "quarantine"
    assert "sensor1: not a finite number (nan) rejected" in result.routed[0].reasons
    assert result.routed[1].zone == "quarantine"
    assert any(r.startswith("motor1: not a finite number (1000") for r in result.routed[1].reasons)
    assert result.routed[2].zone == "quarantine" and result.routed[2].malformed
    json.dumps(result.to_json(), allow_nan=False)


def test_one_skewed_reading_costs_one_order_flag() -> None:
    times = [0, 10, 400, 20, 30, 40]  # the third reading's clock ran ahead
    result = check_readings([reading(t=t) for t in times])
    assert [r.out_of_order for r in result.routed] == [False, False, False, True, False, False]
    assert [r.timely for r in result.routed] == [None, True, False, False, True, True]
