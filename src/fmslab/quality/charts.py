"""Charts for chapter 3: the four dimensions against their targets, value distributions.

Both return matplotlib objects and never call `plt.show()` (end the notebook cell with `;`).
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from fmslab.quality.report import QualityReport
from fmslab.quality.stats import iqr_bounds

_PASS, _FAIL, _TARGET = "#2e7d32", "#c62828", "#333333"


def plot_dimensions(report: QualityReport, ax: Axes | None = None) -> Axes:
    """Bars of the four dimensions (green pass, red fail) with a target line on each bar."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    names = list(report.dimensions)
    values = [report.dimensions[n].value * 100 for n in names]
    colors = [_PASS if report.dimensions[n].passed else _FAIL for n in names]
    bars = ax.bar(names, values, color=colors, width=0.6)
    for bar, name in zip(bars, names, strict=True):
        target = report.dimensions[name].target * 100
        left, width = bar.get_x(), bar.get_width()
        ax.hlines(target, left - 0.08, left + width + 0.08, colors=_TARGET, linestyles="--")
        ax.annotate(
            f"{bar.get_height():.2f}%",
            (left + width / 2, bar.get_height()),
            ha="center",
            va="bottom",
            fontsize=8,
        )
    ax.set_ylim(0, 105)
    ax.set_ylabel("%")
    ax.set_title(f"Data quality (score {report.score:.1%}); dashed: target")
    return ax


def plot_distributions(
    frame: pd.DataFrame, fields: Sequence[str], by: str | None = "DeviceId", bins: int = 30
) -> Figure:
    """One histogram per field (stacked per device when `by` is a column), with the field's
    IQR bounds (k = 1.5) over all its values as dotted lines."""
    fig, axes = plt.subplots(1, len(fields), figsize=(4 * len(fields), 3), squeeze=False)
    for ax, name in zip(axes[0], fields, strict=True):
        column = pd.to_numeric(frame[name], errors="coerce").astype(float)
        values = column.dropna()
        if by is not None and by in frame.columns:
            groups = [
                (key, values[frame.loc[values.index, by] == key])
                for key in sorted(frame[by].dropna().unique())
            ]
            ax.hist(
                [g for _, g in groups], bins=bins, stacked=True, label=[str(k) for k, _ in groups]
            )
            ax.legend(title=by, fontsize=7)
        else:
            ax.hist(values, bins=bins, color="#1565c0")
        if len(values):
            for bound in iqr_bounds(np.asarray(values)):
                ax.axvline(bound, color=_TARGET, linestyle=":")
        ax.set_title(name)
    fig.tight_layout()
    return fig
