"""What the API serves: clean readings plus the fault plan's episodes and payload faults.

`served` is a pure function of (seed, device, slot, plan), so the HTTP server, notebooks and
tests all see the same sequence. HTTP-level faults are drawn per request by `http_fault`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fmslab.simulator.clock import DEFAULT_START, interval_ms, needs_millis, slot_time_ms
from fmslab.simulator.corruption import CORRUPTIONS, SlotTiming
from fmslab.simulator.episodes import apply_episode, episode_step
from fmslab.simulator.faults import PAYLOAD_KINDS, FaultPlan, load_fault_plan
from fmslab.simulator.profiles import DeviceProfile, load_profiles
from fmslab.simulator.readings import reading_for, slot_rng

PAYLOAD_STREAM = 2  # generator streams of one slot: 0 the reading, 1 episodes, 2 payload faults
HTTP_STREAM = 3


@dataclass(frozen=True)
class Served:
    """One served reading: the payload (a str when it is not valid JSON) and the faults in it."""

    payload: dict[str, Any] | str
    faults: tuple[str, ...] = ()


@dataclass(frozen=True)
class HttpFault:
    """The HTTP-level faults of one request: an added delay and/or an error status."""

    delay: float = 0.0
    status: int | None = None

    def kinds(self) -> tuple[str, ...]:
        """The fault kinds injected into this request."""
        found = ("latency",) if self.delay > 0 else ()
        return found + ((f"http_{self.status}",) if self.status else ())


def payload_kind(plan: FaultPlan, seed: int, device_id: int, slot: int) -> str | None:
    """Which payload fault (if any) hits the reading of `slot`."""
    if not any(plan.rate(kind) for kind in PAYLOAD_KINDS):
        return None
    draw = slot_rng(seed, device_id, slot, PAYLOAD_STREAM).random()
    for kind in PAYLOAD_KINDS:
        draw -= plan.rate(kind)
        if draw < 0:
            return kind
    return None


def _base(
    profile: DeviceProfile, slot: int, seed: int, interval: float, start: Any, plan: FaultPlan
) -> Served:
    reading = reading_for(profile, slot, seed=seed, interval=interval, start=start)
    step = episode_step(plan, seed, profile.device_id, slot)
    if step is None:
        return Served(reading)
    drift = float(plan.params["episode_drift_sigma"])
    return Served(apply_episode(reading, profile, step, drift), ("episodes",))


def served(
    profile: DeviceProfile,
    slot: int,
    *,
    seed: int,
    plan: FaultPlan,
    interval: float = 10.0,
    start: str | datetime | None = None,
) -> Served:
    """The payload the API serves for `profile`'s device at `slot` under `plan`."""
    device_id = profile.device_id
    kind = payload_kind(plan, seed, device_id, slot)
    if kind == "duplicates" and slot > 0:
        # The previous reading again: walk back past a run of duplicates to the original.
        source = slot - 1
        while source > 0 and payload_kind(plan, seed, device_id, source) == "duplicates":
            source -= 1
        original = served(profile, source, seed=seed, plan=plan, interval=interval, start=start)
        return Served(original.payload, ("duplicates",))
    base = _base(profile, slot, seed, interval, start, plan)
    if kind not in CORRUPTIONS:
        return base
    low, high = plan.params["skew_minutes"]
    timing = SlotTiming(
        slot_time_ms(slot, interval, start),
        interval_ms(interval),
        needs_millis(interval),
        (low, high),
    )
    rng = slot_rng(seed, device_id, slot, PAYLOAD_STREAM)
    rng.random()  # skip the draw that chose the kind
    payload = CORRUPTIONS[kind](dict(base.payload), rng, timing)  # type: ignore[arg-type]
    return Served(payload, (*base.faults, kind))


def http_fault(plan: FaultPlan, seed: int, device_id: int, request: int) -> HttpFault:
    """The HTTP faults of the `request`-th request to a device (so a retry can succeed)."""
    p_latency, p_429, p_500 = (plan.rate(kind) for kind in ("latency", "http_429", "http_500"))
    if not (p_latency or p_429 or p_500):
        return HttpFault()
    rng = slot_rng(seed, device_id, request, HTTP_STREAM)
    latency_draw, error_draw = rng.random(), rng.random()
    delay = 0.0
    if latency_draw < p_latency:
        low, high = plan.params["latency_seconds"]
        delay = rng.uniform(low, high)
    status = 429 if error_draw < p_429 else 500 if error_draw < p_429 + p_500 else None
    return HttpFault(delay, status)


def simulate_readings(
    *,
    seed: int,
    devices: int = 5,
    count: int,
    interval: float = 10.0,
    start: str | datetime = DEFAULT_START,
    faults: str = "none",
) -> list[dict[str, Any] | str]:
    """What a virtual-clock API serves for `count` slots of each device, interleaved by slot.

    Payload faults are included (a malformed body appears as its raw str); HTTP faults are not.
    """
    plan = load_fault_plan(faults)
    profiles = load_profiles(devices)
    return [
        served(profile, slot, seed=seed, plan=plan, interval=interval, start=start).payload
        for slot in range(count)
        for profile in profiles
    ]
