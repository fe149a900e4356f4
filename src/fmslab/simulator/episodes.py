"""Failure episodes: runs of consecutive readings with isFail true and sensors drifting high.

Slots are grouped in blocks of `episode_block`; each block holds an episode with probability
`rate("episodes")`, at a start and length drawn from (seed, device, block), so whether a slot is
inside an episode is a pure function of (seed, device, slot).
"""

from __future__ import annotations

from typing import Any

from fmslab.simulator.faults import FaultPlan
from fmslab.simulator.profiles import SENSOR_FIELDS, DeviceProfile
from fmslab.simulator.readings import MINUS_ONE, slot_rng

EPISODE_STREAM = 1  # keeps episode draws apart from the reading's own draws


def episode_step(plan: FaultPlan, seed: int, device_id: int, slot: int) -> tuple[int, int] | None:
    """(position, length) of `slot` inside its block's episode, or None when outside one."""
    rate = plan.rate("episodes")
    if rate <= 0:
        return None
    block_size = int(plan.params["episode_block"])
    block, offset = divmod(slot, block_size)
    rng = slot_rng(seed, device_id, block, EPISODE_STREAM)
    if rng.random() >= rate:
        return None
    low, high = plan.params["episode_length"]
    length = rng.integer(low, high)
    start = rng.integer(0, block_size - length)
    position = offset - start
    return (position, length) if 0 <= position < length else None


def apply_episode(
    reading: dict[str, Any], profile: DeviceProfile, step: tuple[int, int], drift_sigma: float
) -> dict[str, Any]:
    """The reading during an episode: isFail true, sensors raised by up to drift_sigma stddevs."""
    position, length = step
    ramp = drift_sigma * (position + 1) / length
    changed = dict(reading, isFail=True)
    for name in SENSOR_FIELDS:
        if reading[name] != MINUS_ONE:  # a read failure stays a read failure
            changed[name] = round(reading[name] + ramp * profile.fields[name].stddev, 2)
    return changed
