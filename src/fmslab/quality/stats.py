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


_SHIFT = 1074  # every finite float is an integer multiple of 2**-1074


def scaled(value: float) -> int:
    """`value * 2**1074` as an exact integer."""
    numerator, denominator = float(value).as_integer_ratio()
    return numerator << (_SHIFT + 1 - denominator.bit_length())


@dataclass(slots=True)
class WindowSums:
    """Exact running sums of a window's values (integers, so adding and removing never drift).

    Values come in as `scaled(value)`. The mean and the sample standard deviation (ddof=1)
    derived from the sums are the correctly rounded values of the exact formulas, so they depend
    on the window's values only, never on the order they came and went in: a window restored
    from a checkpoint gives the same verdicts as one that was never interrupted."""

    count: int = 0
    total: int = 0  # sum of value * 2**1074
    squares: int = 0  # sum of (value * 2**1074) ** 2

    def replace(self, new: int, old: int | None = None) -> None:
        """Count a scaled value in and, when given, another one out."""
        if old is None:
            self.count += 1
            self.total += new
            self.squares += new * new
        else:
            self.total += new - old
            self.squares += new * new - old * old

    def mean(self) -> float:
        """The mean of the values (ZeroDivisionError when empty)."""
        return self.total / (self.count << _SHIFT)

    def std(self) -> float:
        """The sample standard deviation (ddof=1); 0.0 for fewer than two values."""
        n = self.count
        if n < 2:
            return 0.0
        spread = n * self.squares - self.total * self.total
        return math.sqrt(spread / ((n * (n - 1)) << (2 * _SHIFT)))


def check_outlier(
    value: float, window: Iterable[float], settings: OutlierSettings, z_threshold: float
) -> OutlierCheck:
    """Is `value` an outlier against the previous values of its window? Either method suffices:
    IQR once the window holds `iqr_min_count` values, z-score once it holds `zscore_min_count`."""
    ordered = sorted(float(v) for v in window)
    sums = WindowSums()
    for item in ordered:
        sums.replace(scaled(item))
    return outlier_against(value, ordered, sums, settings, z_threshold)


def is_outlier(
    value: float,
    ordered: Sequence[float],
    sums: WindowSums,
    settings: OutlierSettings,
    z_threshold: float,
) -> bool:
    """`outlier_against(...).outlier`, without building the verdict (the common, clean case)."""
    count = len(ordered)
    if count >= settings.iqr_min_count:
        q1, q3 = quantile(ordered, 0.25), quantile(ordered, 0.75)
        spread = settings.iqr_k * (q3 - q1)
        if not q1 - spread <= value <= q3 + spread:
            return True
    if count >= settings.zscore_min_count:
        std = sums.std()
        return std > 0 and abs((value - sums.mean()) / std) > z_threshold
    return False


def outlier_against(
    value: float,
    ordered: Sequence[float],
    sums: WindowSums,
    settings: OutlierSettings,
    z_threshold: float,
) -> OutlierCheck:
    """`check_outlier` against a window given as its sorted values and their `WindowSums`."""
    count = len(ordered)
    low = high = z = None
    iqr_out = z_out = False
    if count >= settings.iqr_min_count:
        q1, q3 = quantile(ordered, 0.25), quantile(ordered, 0.75)
        spread = q3 - q1
        low, high = q1 - settings.iqr_k * spread, q3 + settings.iqr_k * spread
        iqr_out = not low <= value <= high
    if count >= settings.zscore_min_count:
        mean, std = sums.mean(), sums.std()
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
