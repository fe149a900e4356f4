"""Seeded fuzzing: whatever arrives, every record is routed with reasons and nothing crashes."""

from __future__ import annotations

import json
import random

import pandas as pd

from fmslab.quality import check_readings
from tests.quality.quality_crafting import reading

_ODD_VALUES = [
    None,
    True,
    False,
    -1,
    0,
    10**30,
    -(10**30),
    1e308,
    "NaN",
    "Infinity",
    "-1",
    "",
    " ",
    "abc",
    "12,5",
    [],
    {},
    {"nested": [1, {"deeper": None}]},
    [[[[1]]]],
    "2024-01-15T14:30:00Z",
    "2024-02-30T00:00:00Z",
    "\u0000",
    "😀",
    1.5,
    7,
]


def _mutations(rng: random.Random, count: int) -> list:
    items: list = []
    fields = list(reading())
    for i in range(count):
        record = reading(device=rng.randint(1, 5), t=10 * (i // 5))
        for name in rng.sample(fields, rng.randint(0, 4)):
            if rng.random() < 0.2:
                record.pop(name)
            else:
                record[name] = rng.choice(_ODD_VALUES)
        form = rng.random()
        if form < 0.4:
            items.append(record)
        elif form < 0.7:
            items.append(json.dumps(record))
        elif form < 0.85:
            text = json.dumps(record)
            cut = rng.randint(0, len(text))
            items.append(text[:cut] + rng.choice(["", "}", ",", "\x00", "NaN"]) + text[cut:])
        else:
            items.append(bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 40))))
    return items


def test_fuzzed_records_are_all_routed_with_reasons() -> None:
    items = _mutations(random.Random(20240115), 600)
    result = check_readings(items)
    assert len(result.routed) == len(items)
    assert [r.index for r in result.routed] == list(range(len(items)))
    for rec in result.routed:
        assert rec.zone in ("processed", "alerts", "quarantine", "dropped")
        if rec.zone in ("quarantine", "dropped"):
            assert rec.reasons
    json.dumps(result.to_json(), allow_nan=False)
    frame = result.frame()
    assert len(frame) == len(items)
    assert isinstance(frame["time"].dtype, pd.DatetimeTZDtype)
    counts = result.report.zone_counts
    assert counts["quarantine"] > 50 and counts["processed"] > 50  # the mix reached both
    for dim in result.report.dimensions.values():
        assert 0.0 <= dim.value <= 1.0


def test_out_of_range_values_beyond_int64_survive_the_frame() -> None:
    result = check_readings([reading(motor1=10**30, sensor1=1e300)])
    rec = result.routed[0]
    assert rec.zone == "processed"
    assert "motor1: out of range (1000000000000000000000000000000) flagged" in rec.reasons
    frame = result.frame()
    assert frame.loc[0, "motor1"] == 1e30 and frame.loc[0, "sensor1"] == 1e300
