"""Device profiles: each machine's per-field distributions, read from `data/devices.yaml`."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from fmslab.config import data_dir
from fmslab.reading import MOTORS, SENSORS, VALUE_FIELDS

SENSOR_FIELDS, MOTOR_FIELDS = SENSORS, MOTORS
BASE_DEVICES = 5


class ProfileError(ValueError):
    """The device profile file is missing or malformed."""


@dataclass(frozen=True)
class FieldProfile:
    """How one sensor or motor of one device behaves."""

    mean: float
    stddev: float
    outlier_prob: float
    minus_one_prob: float


@dataclass(frozen=True)
class DeviceProfile:
    """One machine: its DeviceId and the distribution of each of its six fields."""

    device_id: int
    fields: dict[str, FieldProfile]
    derived_from: int | None = None

    def field(self, name: str) -> FieldProfile:
        """The profile of field `name` (sensor1..3, motor1..3)."""
        return self.fields[name]

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready description (the shape of `data/devices.yaml`, plus `derived_from`)."""

        def group(names: tuple[str, ...]) -> dict[str, dict[str, float]]:
            return {name: vars(self.fields[name]).copy() for name in names}

        return {
            "DeviceId": self.device_id,
            "derived_from": self.derived_from,
            "sensors": group(SENSOR_FIELDS),
            "motors": group(MOTOR_FIELDS),
        }


def _field(raw: Any, where: str) -> FieldProfile:
    try:
        prof = FieldProfile(
            mean=float(raw["mean"]),
            stddev=float(raw["stddev"]),
            outlier_prob=float(raw["outlier_prob"]),
            minus_one_prob=float(raw["minus_one_prob"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ProfileError(
            f"{where}: needs numeric mean, stddev, outlier_prob, minus_one_prob"
        ) from exc
    if prof.stddev < 0 or not 0 <= prof.outlier_prob + prof.minus_one_prob <= 1:
        raise ProfileError(f"{where}: stddev must be >= 0 and the probabilities sum to <= 1")
    return prof


def _device(raw: Any, path: Path) -> DeviceProfile:
    try:
        device_id = int(raw["id"])
        groups = {**raw["sensors"], **raw["motors"]}
    except (KeyError, TypeError, ValueError) as exc:
        raise ProfileError(f"{path}: each device needs an id, sensors and motors") from exc
    missing = set(VALUE_FIELDS) - set(groups)
    if missing:
        raise ProfileError(f"{path}: device {device_id} lacks {sorted(missing)}")
    fields = {
        name: _field(groups[name], f"{path}: device {device_id} {name}") for name in VALUE_FIELDS
    }
    return DeviceProfile(device_id, fields)


def read_base_profiles(path: Path | None = None) -> list[DeviceProfile]:
    """The devices defined in the profile file (by default `data/devices.yaml`), in id order."""
    path = path or data_dir() / "devices.yaml"
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ProfileError(f"cannot read device profiles: {exc}") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("devices"), list) or not raw["devices"]:
        raise ProfileError(f"{path}: expected a non-empty `devices:` list")
    devices = sorted((_device(item, path) for item in raw["devices"]), key=lambda p: p.device_id)
    if [p.device_id for p in devices] != list(range(1, len(devices) + 1)):
        raise ProfileError(f"{path}: device ids must be 1..{len(devices)} without gaps")
    return devices


def derive_profile(base: list[DeviceProfile], device_id: int) -> DeviceProfile:
    """Device `device_id` beyond the defined ones: a defined device's profile, means nudged.

    Device n copies device ((n - 1) mod B) + 1 (B defined devices) and shifts every mean by a
    small deterministic fraction in [-1 %, +1 %], so extra devices are similar but not identical.
    """
    source = base[(device_id - 1) % len(base)]
    shift = (((device_id * 7) % 9) - 4) * 0.0025
    fields = {
        name: replace(prof, mean=round(prof.mean * (1 + shift), 2))
        for name, prof in source.fields.items()
    }
    return DeviceProfile(device_id, fields, derived_from=source.device_id)


def load_profiles(devices: int = BASE_DEVICES, path: Path | None = None) -> list[DeviceProfile]:
    """Profiles of devices 1..`devices`: the defined ones, then derived ones (derive_profile)."""
    if devices < 1:
        raise ValueError(f"devices must be >= 1, not {devices}")
    base = read_base_profiles(path)
    return [
        base[n - 1] if n <= len(base) else derive_profile(base, n) for n in range(1, devices + 1)
    ]
