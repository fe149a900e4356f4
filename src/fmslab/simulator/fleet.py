"""The simulated machines behind the API: which slot each device serves next, and its faults."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

from fmslab.simulator.clock import DEFAULT_START, current_slot, parse_time
from fmslab.simulator.corruption import to_json
from fmslab.simulator.faults import FaultPlan, load_fault_plan
from fmslab.simulator.feed import HttpFault, Served, http_fault, served
from fmslab.simulator.profiles import DeviceProfile, load_profiles

Clock = Literal["realtime", "virtual"]
MAX_SEED = 2**63 - 1
MAX_ID_DIGITS = 9  # longer ids cannot be devices; do not parse arbitrarily long numbers


@dataclass(frozen=True)
class SimulatorConfig:
    """Everything `fmslab api` is started with (except where it listens and logs)."""

    seed: int = 42
    devices: int = 5
    interval: float = 10.0
    faults: str = "none"
    clock: Clock = "virtual"
    start: str = DEFAULT_START

    def __post_init__(self) -> None:
        if not 0 <= self.seed <= MAX_SEED:
            raise ValueError(f"seed must be in 0..{MAX_SEED}, not {self.seed}")
        if self.devices < 1:
            raise ValueError(f"devices must be >= 1, not {self.devices}")
        if not self.interval > 0:
            raise ValueError(f"interval must be > 0 seconds, not {self.interval}")
        if self.clock not in ("realtime", "virtual"):
            raise ValueError(f"clock must be 'realtime' or 'virtual', not {self.clock!r}")
        parse_time(self.start)


@dataclass(frozen=True)
class Delivery:
    """One reading handed out: its slot, what was served, and the response body."""

    slot: int
    served: Served
    body: bytes


class Fleet:
    """The devices of one simulator run, their clocks and request counters."""

    def __init__(self, config: SimulatorConfig, plan: FaultPlan | None = None) -> None:
        self.config = config
        self.plan = plan or load_fault_plan(config.faults)
        self.profiles: list[DeviceProfile] = load_profiles(config.devices)
        self._cursor = [0] * (config.devices + 1)  # virtual clock: next slot per device
        self._requests = [0] * (config.devices + 1)  # HTTP fault draws per device
        self._last: list[Delivery | None] = [None] * (config.devices + 1)

    def device(self, text: str) -> int | None:
        """The DeviceId named by a path segment, or None when it names no device."""
        if not (text.isascii() and text.isdigit()) or len(text) > MAX_ID_DIGITS:
            return None
        number = int(text)
        return number if 1 <= number <= self.config.devices else None

    def request_fault(self, device: int) -> HttpFault:
        """The HTTP faults of the next request to `device` (each request draws anew)."""
        self._requests[device] += 1
        return http_fault(self.plan, self.config.seed, device, self._requests[device])

    def _slot(self, device: int) -> int:
        if self.config.clock == "realtime":
            return current_slot(self.config.interval)
        slot = self._cursor[device]
        self._cursor[device] = slot + 1
        return slot

    def take(self, device: int) -> Delivery:
        """The reading `device` serves now (the virtual clock then moves to the next slot)."""
        slot = self._slot(device)
        last = self._last[device]
        if last is not None and last.slot == slot:  # realtime: same slot, same reading
            return last
        start = self.config.start if self.config.clock == "virtual" else None
        result = served(
            self.profiles[device - 1],
            slot,
            seed=self.config.seed,
            plan=self.plan,
            interval=self.config.interval,
            start=start,
        )
        payload = result.payload
        body = (to_json(payload) if isinstance(payload, dict) else payload).encode()
        delivery = Delivery(slot, result, body)
        self._last[device] = delivery
        return delivery

    def switch_faults(self, spec: str) -> None:
        """Serve from now on with the fault profiles `spec` (FaultProfileError if unknown): a
        device's data goes bad, or clean again, while the API keeps running."""
        self.plan = load_fault_plan(spec)
        self.config = replace(self.config, faults=spec)

    def describe(self) -> dict[str, Any]:
        """The run's settings, for /healthz."""
        return {
            "devices": self.config.devices,
            "clock": self.config.clock,
            "seed": self.config.seed,
            "faults": self.plan.name,
            "interval": self.config.interval,
            "start": self.config.start if self.config.clock == "virtual" else None,
        }
