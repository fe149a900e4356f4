"""Payload faults and failure episodes, checked by classifying what a virtual-clock run serves."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest

from fmslab.simulator import load_fault_plan, load_profiles, reading_for, simulate_readings
from fmslab.simulator.faults import FAULT_KINDS, FaultProfileError, fault_profiles
from tests.simulator.sim_checks import FIELDS, is_valid_json, parse_time, well_typed

START = "2024-01-15T14:30:00Z"
DEVICES = 5
COUNT = 240  # slots per device
INTERVAL = timedelta(seconds=10)


def run(faults: str, seed: int = 21) -> list[list[Any]]:
    """What each device serves, slot by slot: result[device - 1][slot]."""
    flat = simulate_readings(seed=seed, devices=DEVICES, count=COUNT, faults=faults)
    return [flat[d::DEVICES] for d in range(DEVICES)]


def _minutes_and_a_half_interval(offset: timedelta) -> bool:
    return (offset - INTERVAL / 2) % timedelta(minutes=1) == timedelta(0)


def classify(payload: Any, previous: Any, slot: int, clean: dict[str, Any]) -> set[str]:
    """The faults visible in one payload, judged from the outside."""
    if isinstance(payload, str):
        return {"malformed"} if not is_valid_json(payload) else {"unexpected-str"}
    kinds = set()
    if previous is not None and payload == previous:
        return {"duplicates"}
    if set(payload) != set(FIELDS):
        kinds.add("missing")
    if not well_typed(payload):
        kinds.add("types")
    if isinstance(payload.get("time"), str) and well_typed({"time": payload["time"]}):
        offset = parse_time(payload["time"]) - parse_time(clean["time"])
        if offset <= -2 * INTERVAL and offset > -timedelta(minutes=1):
            kinds.add("disorder")
        elif abs(offset) >= timedelta(minutes=2) and _minutes_and_a_half_interval(abs(offset)):
            kinds.add("skew")
        elif offset:
            kinds.add("bad-time")
    if payload.get("isFail") is True:
        kinds.add("episodes")
    return kinds


def observed(faults: str, seed: int = 21) -> Counter[str]:
    profiles = load_profiles(DEVICES)
    seen: Counter[str] = Counter()
    for profile, served in zip(profiles, run(faults, seed), strict=True):
        previous = None
        for slot, payload in enumerate(served):
            clean = reading_for(profile, slot, seed=seed, start=START)
            seen.update(classify(payload, previous, slot, clean))
            previous = payload
    return seen


def test_none_serves_exactly_the_clean_readings() -> None:
    profiles = load_profiles(DEVICES)
    for profile, served in zip(profiles, run("none"), strict=True):
        assert served == [reading_for(profile, s, seed=21, start=START) for s in range(COUNT)]
    assert observed("none") == Counter()


@pytest.mark.parametrize(
    "kind", ["malformed", "missing", "types", "duplicates", "disorder", "skew", "episodes"]
)
def test_each_payload_fault_appears_with_its_profile_only(kind: str) -> None:
    seen = observed(kind)
    assert seen[kind] >= 10, seen
    others = set(seen) - {kind}
    if kind == "types":
        others -= {"bad-time"}  # a time of the wrong shape ("yesterday") is the types fault
    assert not others, seen


def test_rates_follow_the_profile() -> None:
    rate = load_fault_plan("duplicates").rate("duplicates")
    seen = observed("duplicates")
    total = DEVICES * COUNT
    # a duplicate drawn for slot 0 has no previous reading; runs of duplicates count each time
    assert abs(seen["duplicates"] / total - rate) < 4 * (rate * (1 - rate) / total) ** 0.5


def test_chaos_and_combinations_inject_several_kinds() -> None:
    chaos = observed("chaos")
    for kind in ("malformed", "missing", "types", "duplicates", "disorder", "skew", "episodes"):
        assert chaos[kind] > 0, chaos
    combined = observed("duplicates,malformed")
    assert combined["duplicates"] > 0 and combined["malformed"] > 0
    assert set(combined) <= {"duplicates", "malformed"}


def test_episodes_are_runs_with_sensors_drifting_high() -> None:
    profiles = load_profiles(DEVICES)
    runs = []
    for profile, served in zip(profiles, run("episodes"), strict=True):
        flags = [r["isFail"] for r in served]
        length = 0
        for slot, flag in enumerate([*flags, False]):
            if flag:
                length += 1
                continue
            if length:
                runs.append(length)
                # the last reading of an episode sits well above the device's mean
                last = served[slot - 1]
                field = profile.field("sensor1")
                if last["sensor1"] != -1.0:
                    assert last["sensor1"] > field.mean + field.stddev, last
            length = 0
    params = load_fault_plan("episodes").params
    low, high = params["episode_length"]
    assert runs and all(low <= n <= high for n in runs), runs


def test_default_profile_is_seed_behaviour_plus_episodes() -> None:
    plan = load_fault_plan("default")
    assert {kind for kind in FAULT_KINDS if plan.rate(kind)} == {"episodes"}
    assert load_fault_plan("none").clean


def test_unknown_fault_profile_is_a_clear_error() -> None:
    with pytest.raises(FaultProfileError, match="unknown fault profile 'bogus'"):
        load_fault_plan("duplicates,bogus")
    assert {"none", "default", "chaos", "errors", "latency"} <= set(fault_profiles())


def test_faulty_runs_are_reproducible() -> None:
    assert run("chaos", seed=5) == run("chaos", seed=5)
    assert run("chaos", seed=5) != run("chaos", seed=6)
