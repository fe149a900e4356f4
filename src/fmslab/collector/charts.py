"""Charts for chapter 7: what a collector run gathered, per device.

Functions return matplotlib objects and never call `plt.show()` (assign the result in a notebook).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

_BAR, _EXPECTED = "#1565c0", "#333333"


def readings_per_device(readings: Iterable[Mapping[str, Any]]) -> dict[int, int]:
    """{DeviceId: readings}, sorted by DeviceId (readings without an int DeviceId are skipped)."""
    # type() rather than isinstance(): a bool is an int subclass and no DeviceId.
    counts = Counter(r.get("DeviceId") for r in readings if type(r.get("DeviceId")) is int)
    return dict(sorted(counts.items()))


def plot_readings_per_device(
    counts: Mapping[int, int], expected: float | None = None, title: str | None = None
) -> Figure:
    """Bars of readings per device; a dashed line at `expected` (duration / interval) if given,
    named in a legend right of the bars (where it covers none of them)."""
    fig, ax = plt.subplots()
    devices = [str(device) for device in counts]
    ax.bar(devices, list(counts.values()), color=_BAR, width=0.6, label="readings collected")
    if expected is not None:
        ax.axhline(
            expected, color=_EXPECTED, linestyle="--", linewidth=1, label=f"expected ({expected:g})"
        )
    ax.set_xlabel("DeviceId")
    ax.set_ylabel("readings (count)")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(title or "Readings collected per device")
    ax.legend(loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize="small")
    fig.tight_layout()
    return fig
