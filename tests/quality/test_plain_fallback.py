"""The column-wise path is a pure optimisation: a rule it does not know sends readings back.

The rules are data. A rule file may hold a kind of rule the record engine applies but the
column-wise path (`fmslab.quality.plain`) has no code for; then the readings it touches must be
routed by the record engine, so both paths still give the same rows, reasons and state.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
import yaml

from fmslab.config import data_dir
from fmslab.quality.plain import PlainRouter
from fmslab.quality.rules import load_rules
from fmslab.quality.validator import QualityValidator
from fmslab.simulator.feed import simulate_readings
from fmslab.streaming.processing import route_records, state_to_bytes
from tests.quality.test_plain_path import _kafka_rows

NOW = datetime(2024, 1, 15, 16, 0, tzinfo=UTC)
# Rule kinds the record engine knows and the column-wise path does not, written as rule data.
ENGINE_ONLY = {
    # a second timestamp field (only the reading time is known to the column-wise path)
    "serviced_at timestamp": {
        "fields": {"serviced_at": {"type": "timestamp", "null_action": "REJECT"}}
    },
    # an outlier action that changes the value (the column-wise path only flags)
    "sensor1 outliers clipped": {"patch": ("sensor1", {"action": "CLIP", "zscore": 3.0})},
}


def _rules_file(tmp_path: Path, kind: str) -> Path:
    raw = yaml.safe_load((data_dir() / "quality_rules.yaml").read_text(encoding="utf-8"))
    change = ENGINE_ONLY[kind]
    raw["fields"].update(change.get("fields", {}))
    if "patch" in change:
        name, outlier = change["patch"]
        raw["fields"][name]["outlier"] = outlier
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return path


def _readings() -> list[dict]:
    """Simulated readings; some carry a valid `serviced_at`, some a broken one, some none."""
    items = simulate_readings(seed=31, devices=2, count=400)
    for i, item in enumerate(items):
        if i % 5 == 1:
            item["serviced_at"] = "not a time"
        elif i % 5:
            item["serviced_at"] = item["time"]
    return items


@pytest.mark.parametrize("kind", sorted(ENGINE_ONLY))
def test_an_engine_only_rule_routes_the_same_both_ways(tmp_path: Path, kind: str) -> None:
    rules = load_rules(_rules_file(tmp_path, kind))
    items = _readings()
    router = PlainRouter(QualityValidator(rules))
    assert router.unsupported, "the crafted rule must be one the column-wise path lacks"
    plain, exact = QualityValidator(rules), QualityValidator(rules)
    for start in range(0, len(items), 200):
        rows = _kafka_rows(items[start : start + 200], start)
        fast = route_records(plain, rows, NOW).drop(columns="processed_at")
        slow = route_records(exact, rows, NOW, plain=False).drop(columns="processed_at")
        pd.testing.assert_frame_equal(fast, slow)
    for device, state in exact._devices.items():
        assert state_to_bytes(plain._devices[device]) == state_to_bytes(state), device
    # The rule decided something (not a vacuous comparison).
    reasons = [r for rs in slow["reasons"] for r in rs]
    if kind.startswith("serviced_at"):
        assert any(r.startswith("serviced_at:") for r in reasons)


def test_the_course_rules_are_all_known_to_the_column_wise_path() -> None:
    assert PlainRouter(QualityValidator(load_rules())).unsupported == []
