"""Report figures against values computed by hand on small crafted batches."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from rich.console import Console

from fmslab.quality import check_readings
from fmslab.quality.rules import DIMENSIONS
from tests.quality.quality_crafting import reading, stamp

# index: what it is                       -> zone        non-null  accurate  time checks
# 0 device 1 at 0 s, clean                 -> processed   9         9         (first of device 1)
# 1 device 1 at 10 s, sensor1 = -1         -> processed   8         8         gap 10: timely
# 2 device 1 at 20 s, sensor2 = 150        -> processed   9         8         gap 10: timely
# 3 device 1 at 20 s again                 -> dropped     (not counted, but a consistency failure)
# 4 device 2 at 0 s, motor1 = "abc"        -> quarantine  9         8         (not checked)
# 5 "garbage"                              -> quarantine  0 of 9    -
# 6 device 2 at 10 s, isFail               -> alerts      9         9         (first of device 2)
# 7 device 1 at 15 s (out of order)        -> processed   9         9         gap -5: late
# 8 device 1 at 30 s, only time + DeviceId -> processed   2         2         gap 15 (after 7): late
BATCH = [
    reading(device=1, t=0),
    reading(device=1, t=10, sensor1=-1),
    reading(device=1, t=20, sensor2=150),
    reading(device=1, t=20),
    reading(device=2, t=0, motor1="abc"),
    "garbage",
    reading(device=2, t=10, isFail=True),
    reading(device=1, t=15),
    {"time": stamp(30), "DeviceId": 1},
]


@pytest.fixture(scope="module")
def result():
    return check_readings(BATCH)


def test_zones(result) -> None:
    assert [r.zone for r in result.routed] == [
        "processed",
        "processed",
        "processed",
        "dropped",
        "quarantine",
        "quarantine",
        "alerts",
        "processed",
        "processed",
    ]
    assert result.report.zone_counts == {"processed": 5, "alerts": 1, "quarantine": 2, "dropped": 1}
    assert result.report.records == len(BATCH)


def test_dimensions_hand_computed(result) -> None:
    dims = result.report.dimensions
    assert (dims["completeness"].numerator, dims["completeness"].denominator) == (55, 72)
    assert dims["completeness"].value == pytest.approx(55 / 72)
    assert (dims["accuracy"].numerator, dims["accuracy"].denominator) == (53, 55)
    assert (dims["consistency"].numerator, dims["consistency"].denominator) == (5, 7)
    assert (dims["timeliness"].numerator, dims["timeliness"].denominator) == (2, 4)
    expected = (55 / 72 + 53 / 55 + 5 / 7 + 2 / 4) / 4
    assert result.report.score == pytest.approx(expected)
    assert [dims[d].passed for d in DIMENSIONS] == [False, True, False, False]
    assert [dims[d].target for d in DIMENSIONS] == [0.99, 0.95, 0.98, 0.90]
    assert result.report.extra["duplicates"] == 1 and result.report.extra["out_of_order"] == 1
    assert result.report.extra["malformed"] == 1
    assert not result.report.passed
    assert result.report.alert is (expected < 0.70)


def test_field_detail_hand_computed(result) -> None:
    fields = result.report.fields
    assert (fields["sensor1"].missing, fields["sensor1"].sentinel) == (2, 1)
    assert fields["sensor1"].interpolated == 2
    assert (fields["sensor2"].out_of_range, fields["sensor2"].flagged) == (1, 1)
    assert (
        fields["motor1"].type_errors,
        fields["motor1"].rejected,
        fields["motor1"].defaulted,
    ) == (
        1,
        1,
        1,
    )
    assert fields["isFail"].defaulted == 1
    assert fields["time"].present == 7  # the dropped copy and the garbage line are not counted


def test_duplicate_ratio_alone_fails_consistency() -> None:
    # 50 clean readings and 2 duplicates: consistency 50/52 = 96.2 % misses 98 %
    # 100 clean readings and 3 duplicates: 100/103 = 97.1 % and ratio 2.9 % > 2 %
    # 200 clean readings, 4 duplicates: 200/204 = 98.04 % meets the target, ratio 1.96 % ok
    for clean, dups, passed in ((50, 2, False), (100, 3, False), (200, 4, True)):
        batch = [reading(device=1 + i % 5, t=10 * (i // 5)) for i in range(clean)]
        batch += [reading(device=1, t=10 * i) for i in range(dups)]
        dim = check_readings(batch).report.dimensions["consistency"]
        assert dim.value == pytest.approx(clean / (clean + dups))
        assert dim.passed is passed


def test_all_clean_batch_scores_one() -> None:
    batch = [reading(device=d, t=10 * i) for i in range(20) for d in (1, 2, 3, 4, 5)]
    report = check_readings(batch).report
    assert report.score == 1.0 and report.passed
    assert report.dimensions["timeliness"].denominator == 95  # 5 first readings unchecked


def test_empty_batch() -> None:
    result = check_readings([])
    assert result.report.records == 0 and result.report.score == 1.0
    assert all(d.denominator == 0 for d in result.report.dimensions.values())
    assert result.frame().empty and list(result.frame().columns)[:3] == ["index", "zone", "reasons"]


def test_renderings(result) -> None:
    frame = result.report.to_frame()
    assert list(frame.index) == list(DIMENSIONS)
    assert frame.loc["accuracy", "value"] == pytest.approx(53 / 55)
    markdown = result.report.to_markdown()
    assert "| completeness | 76.39% | 99% | FAIL |" in markdown
    assert "| accuracy | 96.36% | 95% | pass |" in markdown
    console = Console(width=120, record=True)
    console.print(result.report.table())
    console.print(result.report.zone_table())
    text = console.export_text()
    assert "timeliness" in text and "50.00%" in text and "quarantine" in text
    assert result.report.fields_frame().loc["motor1", "type_errors"] == 1


def test_to_json_shape(result) -> None:
    payload = result.to_json()
    json.dumps(payload, allow_nan=False)
    assert [r["index"] for r in payload["records"]] == list(range(len(BATCH)))
    assert set(payload["dimensions"]) == set(DIMENSIONS)
    assert payload["score"] == pytest.approx(result.report.score)
    garbage = payload["records"][5]
    assert garbage["zone"] == "quarantine" and garbage["raw"] == "garbage"
    assert garbage["reasons"][0].startswith("malformed JSON: ")
    assert "raw" not in payload["records"][0]
    assert payload["report"]["dimensions"]["consistency"]["denominator"] == 7


def test_frame(result) -> None:
    frame = result.frame()
    assert len(frame) == len(BATCH)
    assert str(frame["DeviceId"].dtype) == "Int64" and str(frame["motor1"].dtype) == "Int64"
    assert str(frame["isFail"].dtype) == "boolean"
    assert isinstance(frame["time"].dtype, pd.DatetimeTZDtype)
    assert frame.loc[1, "sensor1"] == 80.0  # interpolated
    assert frame.loc[6, "zone"] == "alerts"
    assert frame.loc[5, "DeviceId"] is pd.NA
