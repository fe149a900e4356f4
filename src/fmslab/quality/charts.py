"""Charts for chapter 3: the four dimensions against their targets, value distributions.

Both return matplotlib objects and never call `plt.show()` (assign the result in a notebook).
Every chart has a title, axis labels with units, integer ticks on count axes, and its legend
outside the plotting area, so it hides no data.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from fmslab.quality.report import QualityReport
from fmslab.quality.stats import iqr_bounds
from fmslab.reading import QUANTITIES, axis_label

_PASS, _FAIL, _TARGET = "#2e7d32", "#c62828", "#333333"


def outside_legend(ax: Axes, **options: object) -> None:
    """The axes' legend to the right of the plotting area, where it covers no data."""
    ax.legend(loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize="small", **options)


def draw_dimension_bars(
    ax: Axes,
    values: dict[str, float],
    targets: dict[str, float],
    title: str,
    legend: bool = True,
) -> Axes:
    """Bars of quality dimensions in % (green pass, red fail) with each target as a dashed line
    across its bar. The figures go under the bars, in the tick labels, so no label sits on a
    target line. `legend=False` leaves the legend to a neighbouring chart."""
    names = list(values)
    heights = [values[n] * 100 for n in names]
    passed = [values[n] >= targets.get(n, 0.0) for n in names]
    bars = ax.bar(names, heights, color=[_PASS if p else _FAIL for p in passed], width=0.6)
    for bar, name in zip(bars, names, strict=True):
        if name in targets:
            left, width = bar.get_x(), bar.get_width()
            ax.hlines(
                targets[name] * 100, left - 0.08, left + width + 0.08, colors=_TARGET, ls="--"
            )
    ax.set_xticks(
        range(len(names)),
        [
            f"{n}\n{h:.2f} %" + (f"\n(target {targets[n] * 100:g} %)" if n in targets else "")
            for n, h in zip(names, heights, strict=True)
        ],
        fontsize=8,
    )
    ax.set_ylim(0, 105)
    ax.set_xlabel("quality dimension (measured value, target)")
    ax.set_ylabel("share of readings (%)")
    ax.set_title(title)
    handles = [
        Patch(color=_PASS, label="meets target"),
        Patch(color=_FAIL, label="misses target"),
        Line2D([], [], color=_TARGET, ls="--", label="target"),
    ]
    if legend:
        outside_legend(ax, handles=handles)
    return ax


def plot_dimensions(report: QualityReport, ax: Axes | None = None, legend: bool = True) -> Axes:
    """Bars of the four dimensions (green pass, red fail) with a target line on each bar."""
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.5))
    values = {name: d.value for name, d in report.dimensions.items()}
    targets = {name: d.target for name, d in report.dimensions.items()}
    title = f"Data quality: score {report.score:.1%}"
    return draw_dimension_bars(ax, values, targets, title, legend)


def plot_distributions(
    frame: pd.DataFrame, fields: Sequence[str], by: str | None = "DeviceId", bins: int = 30
) -> Figure:
    """One histogram per field (stacked per device when `by` is a column), with the field's
    IQR bounds (k = 1.5) over all its values as dotted lines; one legend, right of the charts."""
    fig, axes = plt.subplots(1, len(fields), figsize=(4 * len(fields) + 1, 3), squeeze=False)
    handles: list = []
    for ax, name in zip(axes[0], fields, strict=True):
        column = pd.to_numeric(frame[name], errors="coerce").astype(float)
        values = column.dropna()
        if by is not None and by in frame.columns:
            groups = [
                (key, values[frame.loc[values.index, by] == key])
                for key in sorted(frame[by].dropna().unique())
            ]
            ax.hist(
                [g for _, g in groups],
                bins=bins,
                stacked=True,
                label=[f"{by} {k}" for k, _ in groups],
            )
        else:
            ax.hist(values, bins=bins, color="#1565c0", label=name)
        if len(values):
            for bound in iqr_bounds(np.asarray(values)):
                ax.axvline(bound, color=_TARGET, linestyle=":", label="IQR bounds (k = 1.5)")
        handles, labels = ax.get_legend_handles_labels()
        ax.set_title(f"{name}: {QUANTITIES[name][0]}" if name in QUANTITIES else name)
        ax.set_xlabel(axis_label(name) if name in QUANTITIES else name)
        ax.set_ylabel("readings (count)")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    unique = dict(zip(labels, handles, strict=True)) if handles else {}
    share = 0.0  # of the figure's width the legend takes, right of the charts
    if unique:
        legend = fig.legend(unique.values(), unique.keys(), loc="center right", fontsize="small")
        fig.canvas.draw()
        share = legend.get_window_extent().width / fig.bbox.width + 0.01
    fig.tight_layout(rect=(0, 0, 1 - share, 1))
    return fig
