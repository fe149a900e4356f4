"""What the collector accepts as a reading, and what it adds to it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from fmslab.collector.reading import (
    Rejection,
    enrich,
    iso_utc,
    parse_payload,
    reading_key,
    sensor_values,
)

GOOD = b'{"time":"2024-01-15T14:30:00Z","DeviceId":3,"sensor1":80.5,"motor1":-1,"isFail":false}'


def test_a_good_payload_is_returned_unchanged() -> None:
    payload = parse_payload(GOOD)
    assert payload == {
        "time": "2024-01-15T14:30:00Z",
        "DeviceId": 3,
        "sensor1": 80.5,
        "motor1": -1,
        "isFail": False,
    }


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"time":"2024-01-15T14:30:00Z","DeviceId":3,', "not JSON"),
        (b"{'time': '2024', 'DeviceId': 3}", "not JSON"),
        (b'{"time":"2024-01-15T14:30:00Z","DeviceId":3,"sensor1":NaN}', "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'"text"', "not a JSON object"),
        (b'{"time":"2024-01-15T14:30:00Z"}', "missing DeviceId"),
        (b'{"DeviceId":3,"time":null}', "missing time"),
        (b"\xff\xfe", "not JSON"),
    ],
)
def test_payloads_that_cannot_be_readings_are_rejected_with_a_reason(
    body: bytes, reason: str
) -> None:
    result = parse_payload(body)
    assert isinstance(result, Rejection)
    assert result.reason.startswith(reason)
    assert result.raw == body.decode("utf-8", errors="replace")


def test_semantic_problems_are_left_to_the_quality_stage() -> None:
    # Out-of-range and wrongly typed values are still readings: the quality stage judges them.
    payload = parse_payload(b'{"time":"yesterday","DeviceId":"99","sensor1":"85.2x"}')
    assert payload == {"time": "yesterday", "DeviceId": "99", "sensor1": "85.2x"}


def test_enrich_adds_collection_time_and_a_unique_id() -> None:
    payload = parse_payload(GOOD)
    assert isinstance(payload, dict)
    moment = datetime(2024, 1, 15, 14, 30, 1, 250_000, tzinfo=UTC)
    first = enrich(payload, device=3, collected_at=moment, seq=1)
    second = enrich(payload, device=3, collected_at=moment, seq=2)
    assert first["collected_at"] == "2024-01-15T14:30:01.250Z"
    assert first["reading_id"] != second["reading_id"]
    assert first["reading_id"].startswith("3-")
    assert {k: v for k, v in first.items() if k not in ("collected_at", "reading_id")} == payload
    assert reading_key(first) == b"3"


def test_iso_utc_converts_other_zones() -> None:
    from datetime import timedelta, timezone

    moment = datetime(2024, 1, 15, 23, 30, 0, tzinfo=timezone(timedelta(hours=9)))
    assert iso_utc(moment) == "2024-01-15T14:30:00.000Z"


def test_sensor_values_skip_the_missing_sentinel_and_non_numbers() -> None:
    reading = {"sensor1": 80.5, "sensor2": "85.2x", "sensor3": -1, "motor1": 1200, "isFail": True}
    assert sensor_values(reading) == {"sensor1": 80.5, "motor1": 1200.0}
