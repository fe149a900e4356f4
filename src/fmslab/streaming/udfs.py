"""Chapter 8's user-defined functions: sensor status, motor efficiency, equipment risk.

Each rule exists three ways that give identical results:

- a pure Python function of one reading (`sensor_status`, `motor_efficiency`, `equipment_risk`),
  which is the definition and what the tests read first;
- a numpy version over whole columns (`*_array`), the body of the pandas (Arrow) UDFs;
- Spark wrappers: `python_udfs()` (row at a time, `udf`) and `pandas_udfs()` (a batch of rows
  at a time over Arrow, `pandas_udf`).

Every number comes from `data/udf_thresholds.yaml` (docs/architecture.md, "Alert thresholds").
A value is missing when it is null, NaN or the device's `-1` read-failure sentinel.

Floating point: the numpy versions do the same IEEE operations in the same order as the pure
functions, so efficiencies agree exactly, not just approximately.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from fmslab.config import data_dir

THRESHOLDS_FILE = "udf_thresholds.yaml"
SENSOR_FIELDS = ("sensor1", "sensor2", "sensor3")
STATUSES = ("CRITICAL", "HIGH_WARNING", "WARNING", "DATA_MISSING", "NORMAL")
RISK_LEVELS = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "MINIMAL")
SENTINEL = -1.0


@dataclass(frozen=True)
class UdfThresholds:
    """The numbers behind the UDFs (see data/udf_thresholds.yaml for their meaning)."""

    critical_above: tuple[float, float, float]
    warning_fraction: float
    critical_count: int
    warning_count: int
    range_limit: dict[str, int]
    temperature_above: float
    temperature_loss_per_degree: float
    humidity_above: float
    humidity_loss_per_percent: float
    minimum_factor: float
    status_points: dict[str, int]
    fail_points: int
    low_efficiency_below: float
    low_efficiency_points: int
    missing_efficiency_points: int
    levels: tuple[tuple[str, int], ...]  # (level, minimum score), highest first


def _thresholds_from(spec: dict[str, Any]) -> UdfThresholds:
    status, efficiency, risk = spec["status"], spec["efficiency"], spec["risk"]
    points = {name: int(risk["status_points"][name]) for name in STATUSES}
    levels = tuple(
        sorted(((n, int(risk["levels"][n])) for n in RISK_LEVELS), key=lambda item: -item[1])
    )
    if levels[-1][1] != 0:
        raise ValueError(f"{THRESHOLDS_FILE}: the lowest risk level must start at score 0")
    return UdfThresholds(
        critical_above=tuple(float(status["critical_above"][s]) for s in SENSOR_FIELDS),  # type: ignore[arg-type]
        warning_fraction=float(status["warning_fraction"]),
        critical_count=int(status["critical_count"]),
        warning_count=int(status["warning_count"]),
        range_limit={name: int(limit) for name, limit in efficiency["range_limit"].items()},
        temperature_above=float(efficiency["temperature_above"]),
        temperature_loss_per_degree=float(efficiency["temperature_loss_per_degree"]),
        humidity_above=float(efficiency["humidity_above"]),
        humidity_loss_per_percent=float(efficiency["humidity_loss_per_percent"]),
        minimum_factor=float(efficiency["minimum_factor"]),
        status_points=points,
        fail_points=int(risk["fail_points"]),
        low_efficiency_below=float(risk["low_efficiency_below"]),
        low_efficiency_points=int(risk["low_efficiency_points"]),
        missing_efficiency_points=int(risk["missing_efficiency_points"]),
        levels=levels,
    )


def load_thresholds(path: str | Path | None = None) -> UdfThresholds:
    """The UDF thresholds from `path` (default: data/udf_thresholds.yaml)."""
    if path is None:
        return _default_thresholds()
    with open(path, encoding="utf-8") as handle:
        return _thresholds_from(yaml.safe_load(handle))


@lru_cache(maxsize=1)
def _default_thresholds() -> UdfThresholds:
    return load_thresholds(data_dir() / THRESHOLDS_FILE)


# --- pure functions: one reading ------------------------------------------------------------------


def is_missing(value: Any) -> bool:
    """Whether a measurement is missing: None, NaN or the -1 read-failure sentinel."""
    if value is None or value is pd.NA:
        return True
    number = float(value)
    return math.isnan(number) or number == SENTINEL


def sensor_status(
    s1: float | None, s2: float | None, s3: float | None, thresholds: UdfThresholds | None = None
) -> str:
    """DATA_MISSING, CRITICAL, HIGH_WARNING, WARNING or NORMAL for one reading's three sensors.

    Checked in that order: any sensor missing; two or more above their alert threshold; exactly
    one above; two or more above 90 % of their threshold; otherwise normal.
    """
    t = thresholds or _default_thresholds()
    values = (s1, s2, s3)
    if any(is_missing(v) for v in values):
        return "DATA_MISSING"
    critical = sum(float(v) > limit for v, limit in zip(values, t.critical_above, strict=True))
    if critical >= t.critical_count:
        return "CRITICAL"
    if critical >= 1:
        return "HIGH_WARNING"
    near = sum(
        float(v) > t.warning_fraction * limit
        for v, limit in zip(values, t.critical_above, strict=True)
    )
    return "WARNING" if near >= t.warning_count else "NORMAL"


def _factor(value: float, above: float, loss: float, floor: float) -> float:
    return max(floor, 1.0 - loss * (value - above)) if value > above else 1.0


def motor_efficiency(
    motor_speed: float | None,
    range_limit: float | None,
    temperature: float | None,
    humidity: float | None,
    thresholds: UdfThresholds | None = None,
) -> float | None:
    """Speed over its range limit, derated for heat and humidity, in [0, 1]; None if unknown.

    Derating (data/udf_thresholds.yaml): x (1 - 0.01 per °C above 70 °C) and x (1 - 0.005 per %
    humidity above 60 %), each factor at least 0.5. Missing speed, temperature or humidity, or a
    range limit that is missing or not positive, gives None.
    """
    t = thresholds or _default_thresholds()
    if any(is_missing(v) for v in (motor_speed, temperature, humidity)):
        return None
    if range_limit is None or not float(range_limit) > 0:
        return None
    ratio = float(motor_speed) / float(range_limit)
    heat = _factor(
        float(temperature), t.temperature_above, t.temperature_loss_per_degree, t.minimum_factor
    )
    damp = _factor(float(humidity), t.humidity_above, t.humidity_loss_per_percent, t.minimum_factor)
    return min(max(ratio * heat * damp, 0.0), 1.0)


def risk_score(
    status: str | None,
    is_fail: bool | None,
    efficiency: float | None,
    thresholds: UdfThresholds | None = None,
) -> int:
    """Status points + failure points + efficiency points (see data/udf_thresholds.yaml).

    A null status counts as DATA_MISSING and a null isFail as false; an unknown status is a
    ValueError.
    """
    t = thresholds or _default_thresholds()
    name = "DATA_MISSING" if status is None else status
    if name not in t.status_points:
        raise ValueError(f"unknown sensor status {status!r}; expected one of {STATUSES}")
    score = t.status_points[name]
    if is_fail is not None and is_fail is not pd.NA and bool(is_fail):
        score += t.fail_points
    if efficiency is None or is_missing(efficiency):
        score += t.missing_efficiency_points
    elif float(efficiency) < t.low_efficiency_below:
        score += t.low_efficiency_points
    return score


def equipment_risk(
    status: str | None,
    is_fail: bool | None,
    efficiency: float | None,
    thresholds: UdfThresholds | None = None,
) -> str:
    """CRITICAL, HIGH, MEDIUM, LOW or MINIMAL: the level whose minimum the risk score reaches.

    Default scoring: CRITICAL status 4, HIGH_WARNING 2, WARNING 1, DATA_MISSING 1; isFail +4;
    efficiency below 0.3 +2, unknown efficiency +1. Levels: CRITICAL >= 7, HIGH >= 5,
    MEDIUM >= 3, LOW >= 1, MINIMAL 0.
    """
    t = thresholds or _default_thresholds()
    score = risk_score(status, is_fail, efficiency, t)
    return next(level for level, minimum in t.levels if score >= minimum)


# --- numpy versions: whole columns ----------------------------------------------------------------


def _numbers(values: Any) -> np.ndarray:
    """A float array with NaN for nulls (Spark hands nullable columns over as float or object)."""
    return pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _missing(values: np.ndarray) -> np.ndarray:
    return np.isnan(values) | (values == SENTINEL)


def sensor_status_array(
    s1: Any, s2: Any, s3: Any, thresholds: UdfThresholds | None = None
) -> np.ndarray:
    """`sensor_status` over columns: an object array of status names."""
    t = thresholds or _default_thresholds()
    columns = [_numbers(s) for s in (s1, s2, s3)]
    missing = np.logical_or.reduce([_missing(c) for c in columns])
    critical = sum(
        (c > limit).astype(int) for c, limit in zip(columns, t.critical_above, strict=True)
    )
    near = sum(
        (c > t.warning_fraction * limit).astype(int)
        for c, limit in zip(columns, t.critical_above, strict=True)
    )
    return np.select(
        [missing, critical >= t.critical_count, critical >= 1, near >= t.warning_count],
        ["DATA_MISSING", "CRITICAL", "HIGH_WARNING", "WARNING"],
        default="NORMAL",
    ).astype(object)


def _factor_array(values: np.ndarray, above: float, loss: float, floor: float) -> np.ndarray:
    return np.where(values > above, np.maximum(floor, 1.0 - loss * (values - above)), 1.0)


def motor_efficiency_array(
    motor_speed: Any,
    range_limit: Any,
    temperature: Any,
    humidity: Any,
    thresholds: UdfThresholds | None = None,
) -> np.ndarray:
    """`motor_efficiency` over columns: a float array, NaN where the efficiency is unknown."""
    t = thresholds or _default_thresholds()
    speed, heat_c, damp_pct = (_numbers(v) for v in (motor_speed, temperature, humidity))
    limit = np.broadcast_to(_numbers(np.atleast_1d(range_limit)), speed.shape)
    unknown = _missing(speed) | _missing(heat_c) | _missing(damp_pct) | ~(limit > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = speed / limit
        heat = _factor_array(
            heat_c, t.temperature_above, t.temperature_loss_per_degree, t.minimum_factor
        )
        damp = _factor_array(
            damp_pct, t.humidity_above, t.humidity_loss_per_percent, t.minimum_factor
        )
        efficiency = np.minimum(np.maximum(ratio * heat * damp, 0.0), 1.0)
    return np.where(unknown, np.nan, efficiency)


def risk_score_array(
    status: Any, is_fail: Any, efficiency: Any, thresholds: UdfThresholds | None = None
) -> np.ndarray:
    """`risk_score` over columns: an int array."""
    t = thresholds or _default_thresholds()
    names = pd.Series(status, dtype=object).fillna("DATA_MISSING")
    unknown = sorted(set(names.unique()) - set(t.status_points))
    if unknown:
        raise ValueError(f"unknown sensor status {unknown[0]!r}; expected one of {STATUSES}")
    score = names.map(t.status_points).to_numpy(dtype=int)
    failed = pd.Series(is_fail, dtype="boolean").fillna(False).to_numpy(dtype=bool)
    score = score + np.where(failed, t.fail_points, 0)
    eff = _numbers(efficiency)
    score = score + np.where(_missing(eff), t.missing_efficiency_points, 0)
    low = ~_missing(eff) & (eff < t.low_efficiency_below)
    return score + np.where(low, t.low_efficiency_points, 0)


def equipment_risk_array(
    status: Any, is_fail: Any, efficiency: Any, thresholds: UdfThresholds | None = None
) -> np.ndarray:
    """`equipment_risk` over columns: an object array of risk levels."""
    t = thresholds or _default_thresholds()
    score = risk_score_array(status, is_fail, efficiency, t)
    return np.select(
        [score >= minimum for _, minimum in t.levels[:-1]],
        [level for level, _ in t.levels[:-1]],
        default=t.levels[-1][0],
    ).astype(object)


# --- Spark wrappers -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SparkUdfs:
    """The three UDFs as Spark column functions (call them with columns)."""

    sensor_status: Any
    motor_efficiency: Any
    equipment_risk: Any


def python_udfs(thresholds: UdfThresholds | None = None) -> SparkUdfs:
    """Row-at-a-time Spark UDFs (`pyspark.sql.functions.udf`) around the pure functions."""
    from pyspark.sql.functions import udf
    from pyspark.sql.types import DoubleType, StringType

    t = thresholds or _default_thresholds()
    return SparkUdfs(
        sensor_status=udf(lambda s1, s2, s3: sensor_status(s1, s2, s3, t), StringType()),
        motor_efficiency=udf(
            lambda speed, limit, temp, hum: motor_efficiency(speed, limit, temp, hum, t),
            DoubleType(),
        ),
        equipment_risk=udf(lambda st, fail, eff: equipment_risk(st, fail, eff, t), StringType()),
    )


def pandas_udfs(thresholds: UdfThresholds | None = None) -> SparkUdfs:
    """Vectorised Spark UDFs (`pandas_udf`, Arrow batches) around the numpy versions."""
    from pyspark.sql.functions import pandas_udf
    from pyspark.sql.types import DoubleType, StringType

    t = thresholds or _default_thresholds()

    @pandas_udf(StringType())  # type: ignore[call-overload]
    def status_udf(s1: pd.Series, s2: pd.Series, s3: pd.Series) -> pd.Series:
        return pd.Series(sensor_status_array(s1, s2, s3, t))

    @pandas_udf(DoubleType())  # type: ignore[call-overload]
    def efficiency_udf(
        speed: pd.Series, limit: pd.Series, temp: pd.Series, hum: pd.Series
    ) -> pd.Series:
        # Float64 turns NaN into a real null on the way back to Spark (NaN would stay NaN).
        return pd.Series(motor_efficiency_array(speed, limit, temp, hum, t), dtype="Float64")

    @pandas_udf(StringType())  # type: ignore[call-overload]
    def risk_udf(status: pd.Series, is_fail: pd.Series, efficiency: pd.Series) -> pd.Series:
        return pd.Series(equipment_risk_array(status, is_fail, efficiency, t))

    return SparkUdfs(status_udf, efficiency_udf, risk_udf)
