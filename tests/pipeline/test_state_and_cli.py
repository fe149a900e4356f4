"""Without Spark: the engine's per-device state survives the round trip through bytes, and
`fmslab stream` refuses bad options with a clear message."""

from __future__ import annotations

import pandas as pd
import pytest
from pipeline_data import crafted, encoded, exercise_rules, simulated
from typer.testing import CliRunner

from fmslab.cli import app
from fmslab.quality import check_readings
from fmslab.quality.rules import load_rules
from fmslab.quality.validator import QualityValidator
from fmslab.streaming.cli import spark_interval
from fmslab.streaming.processing import (
    batch_report,
    device_of,
    route_records,
    state_from_bytes,
    state_to_bytes,
)


def _kafka_rows(messages: list[bytes], first_offset: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "value": messages,
            "partition": 0,
            "offset": range(first_offset, first_offset + len(messages)),
            "timestamp": pd.Timestamp("2024-01-15T15:00:00Z"),
        }
    )


def test_state_round_trip_routes_like_one_continuous_validator() -> None:
    rules = exercise_rules(load_rules())
    messages = [encoded(m) for m in simulated(60, seed=5) + crafted()]
    device_messages = [m for m in messages if device_of(m, rules) == 1]
    oracle = check_readings(device_messages, rules)
    saved: bytes | None = None
    frames = []
    for start in range(0, len(device_messages), 17):  # micro-batches of 17 records
        validator = QualityValidator(rules)
        if saved is not None:
            validator._devices[1] = state_from_bytes(saved)
        chunk = device_messages[start : start + 17]
        frames.append(route_records(validator, _kafka_rows(chunk, start), None))
        saved = state_to_bytes(validator._devices[1])
    routed = pd.concat(frames, ignore_index=True)
    assert list(routed["zone"]) == [rec.zone for rec in oracle.routed]
    assert [list(r) for r in routed["reasons"]] == [rec.reasons for rec in oracle.routed]
    assert "dropped" in set(routed["zone"]) and "alerts" in set(routed["zone"])
    # The batch report rebuilt from the routed rows equals the engine's own report.
    report = batch_report(routed, rules)
    assert report.to_dict() == oracle.report.to_dict()


def test_seen_keys_are_bounded_by_the_key_memory() -> None:
    rules = load_rules()
    messages = [encoded(m) for m in simulated(30, seed=2) if isinstance(m, dict)]
    validator = QualityValidator(rules)
    validator.process(messages)
    device = validator._devices[1]
    restored = state_from_bytes(state_to_bytes(device, key_memory=10), key_memory=10)
    assert len(restored.seen) == 10
    assert list(restored.seen) == list(device.seen)[-10:]
    assert restored.previous_time == device.previous_time
    assert {n: list(h.window) for n, h in restored.fields.items()} == {
        n: list(h.window) for n, h in device.fields.items()
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1s", "1 seconds"), ("500ms", "500 milliseconds"), ("2 minutes", "2 minutes")],
)
def test_trigger_intervals(text: str, expected: str) -> None:
    assert spark_interval(text) == expected


@pytest.mark.parametrize("text", ["soon", "0s", "5 parsecs", ""])
def test_stream_refuses_a_bad_trigger(text: str) -> None:
    result = CliRunner().invoke(app, ["stream", "--trigger", text])
    assert result.exit_code == 2
    assert "--trigger" in result.output
