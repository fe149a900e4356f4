"""Building blocks of the simulator: keyed draws, times, run settings and the log writer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fmslab.simulator.clock import current_slot, format_time, parse_time, slot_time_ms
from fmslab.simulator.draws import Draws, key_of
from fmslab.simulator.fleet import Fleet, SimulatorConfig
from fmslab.simulator.logbook import Logbook


def test_draws_are_keyed_and_independent_of_order() -> None:
    first = [Draws(1, 2, 3).random() for _ in range(3)]
    assert first[0] == first[1] == first[2]
    assert Draws(1, 2, 3).random() != Draws(1, 2, 4).random()
    assert Draws(1, 2, 3).random() != Draws(1, 2, 3, 0).random()  # a stream is its own key
    assert len({key_of(k) for k in [(0, 5), (5,), (5, 0), (0, 0, 5)]}) == 4
    with pytest.raises(ValueError, match="0..2\\*\\*64-1"):
        key_of((-1,))


def test_draw_helpers_stay_in_range() -> None:
    draws = Draws(9, 9, 9)
    ints = {draws.integer(2, 4) for _ in range(300)}
    assert ints == {2, 3, 4}
    assert all(3 <= draws.uniform(3, 5) < 5 for _ in range(300))
    picked = draws.sample(tuple("abcdefghi"), 3)
    assert len(set(picked)) == 3 and set(picked) <= set("abcdefghi")
    normals = [draws.normal() for _ in range(4000)]
    mean = sum(normals) / len(normals)
    var = sum((x - mean) ** 2 for x in normals) / (len(normals) - 1)
    assert abs(mean) < 0.07 and abs(var - 1) < 0.08


def test_times_round_trip_and_slots() -> None:
    ms = parse_time("2024-01-15T14:30:00Z")
    assert format_time(ms) == "2024-01-15T14:30:00Z"
    assert format_time(ms + 500, millis=True) == "2024-01-15T14:30:00.500Z"
    assert parse_time("2024-01-15T14:30:00") == ms  # naive means UTC
    assert slot_time_ms(6, 0.25, "2024-01-15T14:30:00Z") == ms + 1500
    assert current_slot(10.0, now=1_705_329_009.9) == 170_532_900
    with pytest.raises(ValueError, match="not an ISO-8601 time"):
        parse_time("15/01/2024")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"seed": -1}, "seed must be in"),
        ({"devices": 0}, "devices must be >= 1"),
        ({"interval": 0}, "interval must be > 0"),
        ({"clock": "sundial"}, "clock must be"),
        ({"start": "yesterday"}, "not an ISO-8601 time"),
    ],
)
def test_bad_settings_are_rejected_with_a_reason(changes: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SimulatorConfig(**changes)


def test_fleet_parses_only_valid_device_ids() -> None:
    fleet = Fleet(SimulatorConfig(devices=5))
    assert [fleet.device(t) for t in ("1", "5", "05")] == [1, 5, 5]
    for text in ("0", "6", "abc", "-1", "1.0", " 1", "١", "9" * 30, ""):
        assert fleet.device(text) is None, text


def test_virtual_cursor_advances_per_device() -> None:
    fleet = Fleet(SimulatorConfig(devices=2, clock="virtual"))
    assert [fleet.take(1).slot for _ in range(3)] == [0, 1, 2]
    assert fleet.take(2).slot == 0


def test_logbook_writes_json_lines_under_safe_names(tmp_path: Path) -> None:
    book = Logbook(tmp_path)
    book.access("GET", "/../../etc/" + "x" * 500, 404, 1.2345, "127.0.0.1")
    book.reading(3, 0, {"DeviceId": 3}, ())
    book.reading(3, 1, '{"DeviceId": 3', ("malformed",))
    assert book.flush() == 3
    book.reading(3, 2, {"DeviceId": 3}, ("skew",))
    book.close()  # flushes the rest
    access = json.loads((tmp_path / "access.log").read_text())
    assert len(access["path"]) == 256 and access["latency_ms"] == 1.234
    [data_log] = (tmp_path / "devices" / "3").iterdir()
    lines = [json.loads(line) for line in data_log.read_text().splitlines()]
    assert [line["slot"] for line in lines] == [0, 1, 2]
    assert lines[1] == {**lines[1], "raw": '{"DeviceId": 3', "faults": ["malformed"]}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["access.log", "devices"]
