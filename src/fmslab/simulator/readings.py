"""Clean readings: the original API's behaviour, as a pure function of (seed, device, slot)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fmslab.simulator.clock import format_time, needs_millis, slot_time_ms
from fmslab.simulator.draws import Draws
from fmslab.simulator.profiles import VALUE_FIELDS, DeviceProfile

MINUS_ONE = -1.0  # the device's "read failure" sentinel


def slot_rng(seed: int, device_id: int, slot: int, *stream: int) -> Draws:
    """The draws keyed by (seed, device, slot[, stream]): counter-based, order-free."""
    return Draws(seed, device_id, slot, *stream)


def field_values(profile: DeviceProfile, rng: Draws) -> dict[str, float]:
    """Draw the six fields: -1 sentinel, outlier (mean +/- U(3,5)*sd) or N(mean, sd)."""
    values = {}
    for name in VALUE_FIELDS:
        prof = profile.fields[name]
        kind = rng.random()
        if kind < prof.minus_one_prob:
            value = MINUS_ONE
        elif kind < prof.minus_one_prob + prof.outlier_prob:
            side = 1 if rng.random() < 0.5 else -1
            value = prof.mean + side * rng.uniform(3, 5) * prof.stddev
        else:
            value = prof.mean + rng.normal() * prof.stddev
        values[name] = round(value, 2)
    return values


def reading_for(
    profile: DeviceProfile,
    slot: int,
    *,
    seed: int,
    interval: float = 10.0,
    start: str | datetime | None = None,
) -> dict[str, Any]:
    """The clean reading of `profile`'s device at `slot`, as the original API's JSON object.

    Time is start + slot * interval (or slot * interval since the epoch when `start` is None,
    the real-time clock). Same (seed, device, slot) -> same reading.
    """
    ms = slot_time_ms(slot, interval, start)
    values = field_values(profile, slot_rng(seed, profile.device_id, slot))
    return {
        "time": format_time(ms, millis=needs_millis(interval)),
        "DeviceId": profile.device_id,
        **values,
        "isFail": False,
    }
