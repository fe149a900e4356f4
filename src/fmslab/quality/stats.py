"""Outlier statistics: IQR bounds and z-scores (pure functions, used by the validator and ch. 3)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from fmslab.quality.rules import OutlierSettings


def quantile(sorted_values: Sequence[float], q: float) -> float:
    """The q-quantile of already sorted values by linear interpolation (numpy's default method,
    Spark's `percentile`); plain Python because numpy's overhead dominates on 100 values."""
    position = (len(sorted_values) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (position - low) * (sorted_values[high] - sorted_values[low])


def iqr_bounds(values: Iterable[float], k: float = 1.5) -> tuple[float, float]:
    """`(Q1 - k*IQR, Q3 + k*IQR)`; quartiles by linear interpolation (numpy's and Spark's
    `percentile` default). Raises ValueError on an empty input."""
    data = sorted(float(v) for v in values)
    if not data:
        raise ValueError("iqr_bounds needs at least one value")
    q1, q3 = quantile(data, 0.25), quantile(data, 0.75)
    spread = q3 - q1
    return q1 - k * spread, q3 + k * spread


def zscores(values: Iterable[float]) -> np.ndarray:
    """`(x - mean) / stddev` of each value, with the sample stddev (ddof=1, like Spark's
    `stddev`); all zeros when the stddev is 0 or there are fewer than two values."""
    data = np.asarray(list(values), dtype=float)
    if data.size < 2:
        return np.zeros(data.size)
    std = data.std(ddof=1)
    if std == 0:
        return np.zeros(data.size)
    return (data - data.mean()) / std


@dataclass(frozen=True)
class OutlierCheck:
    """The verdict on one value against its device's window."""

    outlier: bool
    z: float | None = None
    bounds: tuple[float, float] | None = None  # IQR bounds, when the window was full enough
    clip_to: float | None = None  # the nearest acceptable value, for the CLIP action

    @property
    def evidence(self) -> str:
        """`z=4.2`, `iqr 70.1..90.3`, or both, for a reason string."""
        parts = []
        if self.z is not None:
            parts.append(f"z={self.z:.1f}")
        if self.bounds is not None:
            parts.append(f"iqr {self.bounds[0]:.4g}..{self.bounds[1]:.4g}")
        return ", ".join(parts)


def check_outlier(
    value: float, window: Iterable[float], settings: OutlierSettings, z_threshold: float
) -> OutlierCheck:
    """Is `value` an outlier against the previous values of its window? Either method suffices:
    IQR once the window holds `iqr_min_count` values, z-score once it holds `zscore_min_count`."""
    data = list(window)
    count = len(data)
    low = high = z = None
    iqr_out = z_out = False
    if count >= settings.iqr_min_count:
        low, high = iqr_bounds(data, settings.iqr_k)
        iqr_out = not low <= value <= high
    if count >= settings.zscore_min_count:
        mean = math.fsum(data) / count
        std = math.sqrt(math.fsum((x - mean) ** 2 for x in data) / (count - 1))
        if std > 0:
            z = (value - mean) / std
            z_out = abs(z) > z_threshold
            if not iqr_out:  # CLIP goes to the z-score limit unless IQR bounds apply
                low, high = (mean - z_threshold * std, mean + z_threshold * std)
    if not (iqr_out or z_out):
        return OutlierCheck(False, z=z)
    bounds = (low, high) if iqr_out else None
    clip_to = min(max(value, low), high) if low is not None else value
    return OutlierCheck(True, z=z if z_out else None, bounds=bounds, clip_to=clip_to)
