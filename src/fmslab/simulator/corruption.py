"""Payload faults: what a misbehaving device or gateway does to one reading.

Each function takes a clean reading, a seeded generator and the slot's timing, and returns the
faulty payload: a dict, or a str when the body is not valid JSON.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from fmslab.reading import READING_FIELDS
from fmslab.simulator.clock import format_time
from fmslab.simulator.draws import Draws


@dataclass(frozen=True)
class SlotTiming:
    """When a slot's reading was taken, and how its time is written."""

    ms: int
    interval_ms: int
    millis: bool
    skew_minutes: tuple[int, int]


def to_json(payload: dict[str, Any]) -> str:
    """The compact JSON body the API sends."""
    return json.dumps(payload, separators=(",", ":"))


def _fields(rng: Draws, pool: tuple[str, ...]) -> list[str]:
    return rng.sample(pool, rng.integer(1, 2))


def malformed(reading: dict[str, Any], rng: Draws, timing: SlotTiming) -> str:
    """A body that is not valid JSON: truncated, a Python repr, a NaN, or a trailing comma."""
    text = to_json(reading)
    variant = rng.integer(0, 3)
    if variant == 0:
        return text[: rng.integer(1, len(text) - 2)]
    if variant == 1:
        return repr(reading)
    if variant == 2:
        return to_json({**reading, rng.choice(("sensor1", "sensor2", "sensor3")): float("nan")})
    return text[:-1] + ",}"


def missing(reading: dict[str, Any], rng: Draws, timing: SlotTiming) -> dict:
    """One or two fields removed."""
    gone = set(_fields(rng, READING_FIELDS))
    return {key: value for key, value in reading.items() if key not in gone}


def _wrong_type(name: str, value: Any, rng: Draws, timing: SlotTiming) -> Any:
    if name.startswith("sensor"):
        return rng.choice((f"{value}x", str(value), "N/A"))
    if name.startswith("motor"):
        return rng.choice(("fast", str(int(value)), [value]))
    if name == "isFail":
        return rng.choice(("yes", "false", 0))
    if name == "DeviceId":
        return rng.choice((str(value), f"device-{value}", float(value)))
    return rng.choice((timing.ms // 1000, "15/01/2024 14:30:00", "yesterday"))


def types(reading: dict[str, Any], rng: Draws, timing: SlotTiming) -> dict:
    """One or two fields with a wrong type ("85.2x", "fast", "yes", epoch seconds, ...)."""
    changed = dict(reading)
    for name in _fields(rng, READING_FIELDS):
        changed[name] = _wrong_type(name, reading[name], rng, timing)
    return changed


def disorder(reading: dict[str, Any], rng: Draws, timing: SlotTiming) -> dict:
    """A time 2.5 to 4.5 intervals before the slot's: older than the previous reading.

    Off the slot grid by half an interval, so it is a late reading, not a copy of an earlier key.
    """
    back = rng.integer(2, 4) * timing.interval_ms + timing.interval_ms // 2
    return dict(reading, time=format_time(timing.ms - back, millis=timing.millis))


def skew(reading: dict[str, Any], rng: Draws, timing: SlotTiming) -> dict:
    """The time shifted by whole minutes and half an interval (off the slot grid), either way."""
    low, high = timing.skew_minutes
    size = rng.integer(low, high) * 60_000 + timing.interval_ms // 2
    shift = size * (1 if rng.random() < 0.5 else -1)
    return dict(reading, time=format_time(timing.ms + shift, millis=timing.millis))


CORRUPTIONS = {
    "malformed": malformed,
    "missing": missing,
    "types": types,
    "disorder": disorder,
    "skew": skew,
}
