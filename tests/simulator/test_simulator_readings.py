"""Device profiles and clean readings: seed values, determinism, and the configured statistics."""

from __future__ import annotations

import functools
import json
import math
from pathlib import Path

import numpy as np
import pytest
import yaml

from fmslab.config import data_dir
from fmslab.simulator import load_profiles, reading_for, simulate_readings
from fmslab.simulator.profiles import VALUE_FIELDS, ProfileError, read_base_profiles
from tests.simulator.sim_checks import FIELDS, TIME_PATTERN, well_typed

SEED_CONFIG = Path("/work/shared/seed-data/fms_server_config.yaml")
SAMPLES = 6000  # readings per device for the statistics


def test_profiles_are_the_seed_course_distributions() -> None:
    profiles = load_profiles()
    assert [p.device_id for p in profiles] == [1, 2, 3, 4, 5]
    # docs/architecture.md, domain facts (spot checks across devices and fields)
    assert (profiles[0].field("sensor1").mean, profiles[0].field("sensor1").stddev) == (80.0, 5.0)
    assert (profiles[1].field("motor2").mean, profiles[1].field("motor2").stddev) == (870, 85)
    assert (profiles[4].field("sensor3").mean, profiles[4].field("sensor3").stddev) == (79.0, 6.4)
    for profile in profiles:
        for name in VALUE_FIELDS:
            expected = (0.05, 0.02) if name.startswith("sensor") else (0.03, 0.01)
            field = profile.field(name)
            assert (field.outlier_prob, field.minus_one_prob) == expected


@pytest.mark.skipif(not SEED_CONFIG.is_file(), reason="seed data not present")
def test_devices_yaml_matches_the_original_config() -> None:
    ours = yaml.safe_load((data_dir() / "devices.yaml").read_text())
    original = yaml.safe_load(SEED_CONFIG.read_text())
    assert ours == original


def test_extra_devices_are_derived_deterministically() -> None:
    first, second = load_profiles(12), load_profiles(12)
    assert first == second
    base = {p.device_id: p for p in first[:5]}
    for profile in first[5:]:
        source = base[profile.derived_from]
        assert profile.derived_from == (profile.device_id - 1) % 5 + 1
        for name in VALUE_FIELDS:
            ours, theirs = profile.field(name), source.field(name)
            assert abs(ours.mean - theirs.mean) <= 0.0101 * theirs.mean
            assert ours.stddev == theirs.stddev
    # not all identical copies of their source
    assert any(
        p.field("sensor1").mean != base[p.derived_from].field("sensor1").mean for p in first[5:]
    )


def test_bad_profile_file_gives_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "devices.yaml"
    bad.write_text("devices:\n  - id: 1\n    sensors: {sensor1: {mean: 1}}\n    motors: {}\n")
    with pytest.raises(ProfileError, match="lacks"):
        read_base_profiles(bad)
    with pytest.raises(ValueError, match="devices must be >= 1"):
        load_profiles(0)


def test_reading_has_the_original_fields_types_and_rounding() -> None:
    sample = json.loads((data_dir() / "sample_reading.json").read_text())
    profiles = load_profiles()
    for slot in range(200):
        for profile in profiles:
            reading = reading_for(profile, slot, seed=3, start="2024-01-15T14:30:00Z")
            assert list(reading) == list(sample) == list(FIELDS)
            assert well_typed(reading), reading
            assert all(reading[f] == round(reading[f], 2) for f in VALUE_FIELDS)
            assert reading["DeviceId"] == profile.device_id
            assert reading["isFail"] is False


def test_reading_times_follow_the_slot() -> None:
    profile = load_profiles(1)[0]
    start = "2024-01-15T14:30:00Z"
    assert reading_for(profile, 0, seed=1, start=start)["time"] == start
    assert reading_for(profile, 7, seed=1, start=start)["time"] == "2024-01-15T14:31:10Z"
    # fractional interval: milliseconds keep slot times distinct
    assert reading_for(profile, 3, seed=1, interval=0.5, start=start)["time"] == (
        "2024-01-15T14:30:01.500Z"
    )
    # no start: the real-time clock's slot k is k * interval since the epoch
    slot = 1_705_329_000 // 10
    assert reading_for(profile, slot, seed=1)["time"] == start
    for slot in range(50):
        assert TIME_PATTERN.match(reading_for(profile, slot, seed=1, interval=0.25)["time"])


def test_same_seed_same_sequence_different_seed_different() -> None:
    a = simulate_readings(seed=11, count=30)
    b = simulate_readings(seed=11, count=30)
    c = simulate_readings(seed=12, count=30)
    assert a == b
    assert a != c
    values = [[r[f] for f in VALUE_FIELDS] for r in a]  # type: ignore[index]
    assert len({tuple(v) for v in values}) == len(values)  # no repeats within a clean run


def test_reading_depends_only_on_seed_device_and_slot() -> None:
    profile = load_profiles(3)[2]
    later_first = [reading_for(profile, slot, seed=5) for slot in (40, 3, 17)]
    in_order = {slot: reading_for(profile, slot, seed=5) for slot in (3, 17, 40)}
    assert later_first == [in_order[40], in_order[3], in_order[17]]


@functools.cache
def device_values(device: int, seed: int = 2024) -> dict[str, np.ndarray]:
    """SAMPLES clean readings of one device, field by field."""
    profile = load_profiles()[device - 1]
    readings = [reading_for(profile, slot, seed=seed) for slot in range(SAMPLES)]
    return {name: np.array([r[name] for r in readings], dtype=float) for name in VALUE_FIELDS}


def measure(device: int, name: str) -> dict[str, float]:
    """Observed statistics of one field over SAMPLES clean readings."""
    field = load_profiles()[device - 1].field(name)
    values = device_values(device)[name]
    minus_one = values == -1.0
    distance = np.abs(values - field.mean) / field.stddev
    far = ~minus_one & (distance >= 3.0)
    normal = values[~minus_one & ~far]
    return {
        "mean": float(normal.mean()),
        "std": float(normal.std(ddof=1)),
        "n_normal": float(normal.size),
        "minus_one_rate": float(minus_one.mean()),
        "far_rate": float(far.mean()),
        "max_distance": float(distance[~minus_one].max()),
        "min_far_distance": float(distance[far].min()) if far.any() else math.inf,
    }


# A N(0,1) value cut at 3 sigma keeps this share of the stddev and this share of the mass.
TRUNCATED_STD = 0.98654
BEYOND_3_SIGMA = 0.0026998


@pytest.mark.parametrize("device", [1, 2, 3, 4, 5])
def test_distributions_match_the_device_profile(device: int) -> None:
    profile = load_profiles()[device - 1]
    for name in VALUE_FIELDS:
        field = profile.field(name)
        got = measure(device, name)
        n = got["n_normal"]
        # normal values: mean within 4 standard errors, stddev within 4 % of the 3-sigma-cut one
        assert abs(got["mean"] - field.mean) < 4 * field.stddev / math.sqrt(n), (name, got)
        assert abs(got["std"] / (field.stddev * TRUNCATED_STD) - 1) < 0.04, (name, got)
        # -1 sentinel and outlier rates within 4 binomial standard errors
        p = field.minus_one_prob
        assert abs(got["minus_one_rate"] - p) < 4 * math.sqrt(p * (1 - p) / SAMPLES), (name, got)
        p_far = field.outlier_prob + (1 - p - field.outlier_prob) * BEYOND_3_SIGMA
        sigma = math.sqrt(p_far * (1 - p_far) / SAMPLES)
        assert abs(got["far_rate"] - p_far) < 4 * sigma, (name, got)
        # outliers are mean +/- U(3,5) * stddev: nothing lands beyond 5 sigma (+ rounding)
        assert got["max_distance"] <= 5 + 0.01 / field.stddev, (name, got)
