"""Fault profiles: which faults the simulator injects and how often (`data/fault_profiles.yaml`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from fmslab.config import data_dir

# Faults that change what a reading looks like; at most one per reading, keyed by the slot.
PAYLOAD_KINDS = ("malformed", "missing", "types", "duplicates", "disorder", "skew")
# Faults of the HTTP exchange, drawn per request.
HTTP_KINDS = ("latency", "http_429", "http_500")
FAULT_KINDS = ("episodes", *HTTP_KINDS, *PAYLOAD_KINDS)

DEFAULT_PARAMETERS: dict[str, Any] = {
    "episode_block": 60,
    "episode_length": [3, 12],
    "episode_drift_sigma": 4.0,
    "latency_seconds": [0.2, 1.0],
    "retry_after_seconds": 1,
    "skew_minutes": [2, 10],
}


class FaultProfileError(ValueError):
    """An unknown fault profile name or a malformed fault profile file."""


@dataclass(frozen=True)
class FaultPlan:
    """The probabilities of each fault kind, and the parameters of the faults."""

    name: str = "none"
    rates: dict[str, float] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=lambda: dict(DEFAULT_PARAMETERS))

    def rate(self, kind: str) -> float:
        """The probability of fault `kind` (0 when the plan does not inject it)."""
        return self.rates.get(kind, 0.0)

    @property
    def clean(self) -> bool:
        """Whether the plan injects nothing (the original API's behaviour)."""
        return not any(self.rates.values())


def _read_file(path: Path) -> dict[str, Any]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise FaultProfileError(f"cannot read fault profiles: {exc}") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("profiles"), dict):
        raise FaultProfileError(f"{path}: expected a `profiles:` mapping")
    return raw


def _check_rates(name: str, rates: Any, path: Path) -> dict[str, float]:
    if not isinstance(rates, dict):
        raise FaultProfileError(f"{path}: profile {name!r} must map fault kinds to probabilities")
    unknown = set(rates) - set(FAULT_KINDS)
    if unknown:
        raise FaultProfileError(f"{path}: profile {name!r} has unknown kinds {sorted(unknown)}")
    checked = {kind: float(p) for kind, p in rates.items()}
    if any(not 0 <= p <= 1 for p in checked.values()):
        raise FaultProfileError(f"{path}: profile {name!r} has a probability outside 0..1")
    return checked


def fault_profiles(path: Path | None = None) -> dict[str, dict[str, float]]:
    """Every named profile of the fault profile file: name -> {kind: probability}."""
    path = path or data_dir() / "fault_profiles.yaml"
    raw = _read_file(path)
    return {name: _check_rates(name, rates or {}, path) for name, rates in raw["profiles"].items()}


def _parameters(path: Path) -> dict[str, Any]:
    params = dict(DEFAULT_PARAMETERS)
    params.update(_read_file(path).get("parameters") or {})
    low, high = params["episode_length"]
    if not 1 <= low <= high <= params["episode_block"]:
        raise FaultProfileError(f"{path}: need 1 <= episode_length <= episode_block")
    return params


def load_fault_plan(spec: str = "none", path: Path | None = None) -> FaultPlan:
    """The plan for `spec`: one profile name or several, comma-separated (largest rate wins)."""
    path = path or data_dir() / "fault_profiles.yaml"
    profiles = fault_profiles(path)
    names = [part.strip() for part in spec.split(",") if part.strip()] or ["none"]
    unknown = [name for name in names if name not in profiles]
    if unknown:
        known = ", ".join(profiles)
        raise FaultProfileError(f"unknown fault profile {unknown[0]!r}; known profiles: {known}")
    rates: dict[str, float] = {}
    for name in names:
        for kind, p in profiles[name].items():
            rates[kind] = max(rates.get(kind, 0.0), p)
    if sum(rates.get(kind, 0.0) for kind in PAYLOAD_KINDS) > 1:
        raise FaultProfileError(f"payload fault probabilities of {spec!r} sum to more than 1")
    return FaultPlan(",".join(names), rates, _parameters(path))
