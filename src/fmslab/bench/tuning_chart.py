"""Charts of the tuning sweeps (chapter 10): distributions, not only means.

Functions take the DataFrames of `fmslab.bench.tuning` and return a matplotlib Figure (never
`plt.show()`; assign the result in a notebook).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

_COLOURS = ("#1565c0", "#c62828", "#2e7d32", "#ef6c00", "#6a1b9a", "#00838f")


def ecdf(values: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """(sorted values, share of values at or below each one): the empirical distribution."""
    ordered = np.sort(np.asarray(values, dtype=float))
    return ordered, np.arange(1, len(ordered) + 1) / max(1, len(ordered))


def plot_latency_ecdf(
    latencies: Mapping[str, Sequence[float]], title: str | None = None, limit: float | None = None
) -> Figure:
    """One ECDF line per setting (x: latency in s, y: share of readings at or below it), with
    dotted lines at p50 and p95, and a dashed vertical line at `limit` (a target) if given."""
    fig, ax = plt.subplots(figsize=(7, 3.6))
    for colour, (setting, values) in zip(_COLOURS * 4, latencies.items(), strict=False):
        x, y = ecdf(values)
        ax.step(x, y * 100, where="post", color=colour, label=str(setting))
    for share in (50, 95):
        ax.axhline(share, color="#999999", linestyle=":", linewidth=0.8)
        ax.annotate(f"p{share}", (1.0, share), xycoords=("axes fraction", "data"), fontsize=8)
    if limit is not None:
        ax.axvline(limit, color="#333333", linestyle="--", linewidth=1, label=f"target {limit:g} s")
    ax.set_xlabel("end-to-end latency (s)")
    ax.set_ylabel("readings at or below (%)")
    ax.set_ylim(0, 101)
    ax.set_title(title or "Latency distribution per setting (ECDF)")
    ax.legend(loc="center left", bbox_to_anchor=(1.06, 0.5), fontsize="small")
    fig.tight_layout()
    return fig


def plot_codec_tradeoff(frame: pd.DataFrame, title: str | None = None) -> Figure:
    """Two panels per codec (the index): stored bytes per message, and produce / consume rates."""
    fig, (size_ax, speed_ax) = plt.subplots(1, 2, figsize=(9, 3.4))
    codecs = [str(c) for c in frame.index]
    size_ax.bar(codecs, frame["stored_bytes_per_msg"], color=_COLOURS[0], width=0.6)
    size_ax.set_xlabel("codec")
    size_ax.set_ylabel("stored size (bytes/message)")
    size_ax.set_title("Size")
    # Two bars per codec on the same category axis: produce left of the tick, consume right.
    speed_ax.bar(codecs, frame["produce_msg_s"], -0.4, align="edge", color=_COLOURS[1],
                 label="produce")  # fmt: skip
    speed_ax.bar(codecs, frame["consume_msg_s"], 0.4, align="edge", color=_COLOURS[2],
                 label="consume")  # fmt: skip
    speed_ax.set_xlabel("codec")
    speed_ax.set_ylabel("rate (messages/s)")
    speed_ax.set_title("Speed")
    speed_ax.legend(loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize="small")
    fig.suptitle(title or "Producer compression: size against speed")
    fig.tight_layout()
    return fig


def plot_setting_rates(
    frame: pd.DataFrame, column: str, xlabel: str, ylabel: str, title: str
) -> Figure:
    """Bars of one measured figure (`column`) per setting (the index), each bar labelled;
    `ylabel` names the figure with its unit, e.g. "drain rate (messages/s)"."""
    fig, ax = plt.subplots(figsize=(6, 3.2))
    labels = [str(i) for i in frame.index]
    bars = ax.bar(labels, frame[column], color=_COLOURS[0], width=0.6)
    ax.bar_label(bars, fmt="%.0f", fontsize=8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.margins(y=0.15)
    ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_scenario_percentiles(table: pd.DataFrame, title: str | None = None) -> Figure:
    """Grouped bars of p50, p95 and p99 latency per scenario (a `scenario_table`), with a black
    line at the p95 target of the scenarios that have one."""
    fig, ax = plt.subplots(figsize=(7, 3.4))
    scenarios = [str(s) for s in table.index]
    columns = [c for c in ("p50 (s)", "p95 (s)", "p99 (s)") if c in table]
    width = 0.8 / max(1, len(columns))
    for n, (colour, column) in enumerate(zip(_COLOURS, columns, strict=False)):
        values = pd.to_numeric(table[column], errors="coerce").fillna(0)
        bars = ax.bar(scenarios, values, width, align="edge", color=colour, label=column[:3])
        for patch in bars:  # the n-th percentile's bars side by side around each scenario's tick
            patch.set_x(patch.get_x() - 0.4 + n * width)
    targets = pd.to_numeric(table.get("p95 target (s)", pd.Series(dtype=float)), errors="coerce")
    for n, target in enumerate(targets.reindex(table.index)):
        if pd.notna(target):
            label = "p95 target" if n == targets.notna().values.argmax() else None
            ax.hlines(target, n - 0.45, n + 0.45, colors="black", linewidth=2, label=label)
    ax.set_xlim(-0.5, len(scenarios) - 0.5)  # the moved bars, not the ticks, set the extent
    ax.set_xlabel("scenario")
    ax.set_ylabel("end-to-end latency (s)")
    ax.set_title(title or "Latency percentiles per full scenario run")
    ax.legend(loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize="small")
    fig.tight_layout()
    return fig
