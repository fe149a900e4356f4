"""The figures the course measures: nearest-rank percentiles and one summary shape for them.

Every benchmark, the collector's statistics and the run report describe a set of measured values
(latencies, mostly) with `summarize`, so they all print and store the same keys.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence

SUMMARY_KEYS = ("count", "mean", "p50", "p95", "p99", "max")


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100): the smallest value with at least q % of the values
    at or below it; None when there are no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def summarize(
    values: Iterable[float], *, scale: float = 1.0, digits: int | None = 3
) -> dict[str, float | int | None]:
    """`{count, mean, p50, p95, p99, max}` of measured values (nearest-rank percentiles).

    Every figure but `count` is multiplied by `scale` (1000: seconds to milliseconds) and rounded
    to `digits` (None: not rounded); all are None when there are no values."""
    ordered = sorted(values)

    def figure(value: float | None) -> float | None:
        if value is None:
            return None
        value *= scale
        return value if digits is None else round(value, digits)

    return {
        "count": len(ordered),
        "mean": figure(statistics.fmean(ordered) if ordered else None),
        "p50": figure(percentile(ordered, 50)),
        "p95": figure(percentile(ordered, 95)),
        "p99": figure(percentile(ordered, 99)),
        "max": figure(ordered[-1] if ordered else None),
    }
