"""Charts for chapter 9: what the stream job wrote, read back from the lake's zones.

Functions return matplotlib figures and never call `plt.show()` (assign the result in a
notebook). Each has a title, axis labels with units, integer ticks where the axis counts, and
its legend right of the plotting area.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from fmslab.quality.charts import outside_legend
from fmslab.reading import QUANTITIES, axis_label
from fmslab.streaming.aggregates import WINDOWS

QUALITY_SERIES = ("score", "completeness", "accuracy", "consistency", "timeliness")


def plot_batch_quality(reports: pd.DataFrame, series: Sequence[str] = QUALITY_SERIES) -> Figure:
    """The score and the dimensions of each micro-batch's quality report (quality zone rows),
    in %, one marker per batch."""
    fig, ax = plt.subplots(figsize=(8, 3.2))
    ordered = reports.sort_values("batch_id")
    for column in series:
        ax.plot(ordered["batch_id"], ordered[column] * 100, marker="o", label=column)
    ax.set(
        xlabel="micro-batch id",
        ylabel="share of the batch's readings (%)",
        title="Quality per micro-batch",
        ylim=(0, 105),
    )
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    outside_legend(ax)
    fig.tight_layout()
    return fig


def window_series(aggregates: pd.DataFrame, column: str, window: str = "1 minute") -> pd.DataFrame:
    """One column per device, one row per window start of `window` from the first to the last
    window any device has: a window with no readings of a device is NaN (a gap, not a line)."""
    if window not in WINDOWS:
        raise ValueError(f"unknown window {window!r}: choose one of {', '.join(WINDOWS)}")
    rows = aggregates[aggregates["window"] == window]
    if rows.empty:
        return pd.DataFrame()
    table = rows.pivot_table(index="window_start", columns="DeviceId", values=column)
    starts = pd.date_range(table.index.min(), table.index.max(), freq=WINDOWS[window])
    return table.reindex(starts)


def plot_window_means(
    aggregates: pd.DataFrame, column: str = "sensor1_mean", window: str = "1 minute"
) -> Figure:
    """One line per device of a per-window aggregate (aggregates zone rows of `window` only),
    with a marker per window; a window without readings breaks the line."""
    series = window_series(aggregates, column, window)
    fig, ax = plt.subplots(figsize=(8, 3.2))
    for device in series.columns:
        ax.plot(series.index, series[device], marker="o", markersize=4, label=f"device {device}")
    field, _, statistic = column.rpartition("_")
    ax.set_ylabel(axis_label(field, f"{statistic} of ") if field in QUANTITIES else column)
    ax.set_xlabel(f"{window} window start (UTC, reading time)")
    ax.set_title(f"{column} per {window} window, per device")
    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    outside_legend(ax)
    fig.tight_layout()
    return fig
