"""The alert thresholds of docs/architecture.md §6, from data/alert_thresholds.yaml (one source).

    t = alert_thresholds()
    t.sensor_above["sensor1"]       # 90.0 °C
    t.quality_score_below           # 0.70 (data/quality_rules.yaml, kpis.alert_score_below)
    t.for_["sensor"]                # "30s", the alert rules' `for`

The UDFs, the generated Prometheus rules and the chapters all read these numbers from here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from fmslab.config import data_dir

THRESHOLDS_FILE = "alert_thresholds.yaml"
SENSOR_FIELDS = ("sensor1", "sensor2", "sensor3")
FOR_KEYS = ("sensor", "motor", "device_failure", "quality", "no_data", "target_down", "lag")
_DURATION = re.compile(r"^(0|\d+(ms|s|m|h))$")


class ThresholdsError(ValueError):
    """The thresholds file is missing a value or holds a wrong one."""


@dataclass(frozen=True)
class AlertThresholds:
    """Every alert threshold and `for` duration (see data/alert_thresholds.yaml)."""

    sensor_above: dict[str, float]
    sensor_names: dict[str, str]
    sensor_units: dict[str, str]
    motor_deviation: float
    quality_score_below: float
    quality_good_above: float
    no_data_seconds: int
    lag_min_offsets: int
    for_: dict[str, str]

    def as_template_values(self) -> dict[str, str]:
        """The numbers as texts for the rule template (`%{temperature_above}`, `%{for_sensor}`)."""
        values = {f"{self.sensor_names[s]}_above": _num(v) for s, v in self.sensor_above.items()}
        values |= {f"for_{key}": value for key, value in self.for_.items()}
        values |= {
            "motor_deviation": _num(self.motor_deviation),
            "motor_deviation_percent": _num(self.motor_deviation * 100),
            "quality_score_below": _num(self.quality_score_below),
            "quality_score_percent": _num(self.quality_score_below * 100),
            "no_data_seconds": str(self.no_data_seconds),
            "lag_min_offsets": str(self.lag_min_offsets),
        }
        return values


def _num(value: float) -> str:
    return f"{value:g}"


def _quality_threshold(root: Path) -> float:
    from fmslab.quality.rules import load_rules

    return float(load_rules(root / "quality_rules.yaml").kpis.alert_score_below)


def _parse(spec: dict[str, Any], where: str, quality_below: float) -> AlertThresholds:
    try:
        sensors = {name: spec["sensors"][name] for name in SENSOR_FIELDS}
        durations = {key: str(spec["for"][key]) for key in FOR_KEYS}
        thresholds = AlertThresholds(
            sensor_above={n: float(s["above"]) for n, s in sensors.items()},
            sensor_names={n: str(s["name"]) for n, s in sensors.items()},
            sensor_units={n: str(s["unit"]) for n, s in sensors.items()},
            motor_deviation=float(spec["motor_deviation"]),
            quality_score_below=quality_below,
            quality_good_above=float(spec["quality_good_above"]),
            no_data_seconds=int(spec["no_data_seconds"]),
            lag_min_offsets=int(spec["lag_min_offsets"]),
            for_=durations,
        )
    except (KeyError, TypeError, ValueError) as err:
        raise ThresholdsError(f"{where}: missing or wrong value ({err})") from err
    bad = [f"{k}={v!r}" for k, v in durations.items() if not _DURATION.match(v)]
    if bad:
        raise ThresholdsError(f"{where}: `for` durations must be like 30s, 1m, 0s: {bad}")
    if not 0 < thresholds.motor_deviation < 1:
        raise ThresholdsError(f"{where}: motor_deviation must be a fraction in (0, 1)")
    return thresholds


def load_alert_thresholds(path: str | Path | None = None) -> AlertThresholds:
    """The alert thresholds from `path` (default data/alert_thresholds.yaml); the quality
    threshold comes from the quality_rules.yaml beside it."""
    if path is None:
        return alert_thresholds()
    path = Path(path)
    if not path.is_file():
        raise ThresholdsError(f"{path}: no such thresholds file")
    spec = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    quality_file = path.parent / "quality_rules.yaml"
    root = path.parent if quality_file.is_file() else data_dir()
    return _parse(spec, str(path), _quality_threshold(root))


@lru_cache(maxsize=1)
def alert_thresholds() -> AlertThresholds:
    """The course's alert thresholds (data/alert_thresholds.yaml), read once."""
    return load_alert_thresholds(data_dir() / THRESHOLDS_FILE)
