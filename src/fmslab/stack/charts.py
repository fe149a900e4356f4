"""Chapter 04's chart: the stack's memory limits per profile against the Docker VM budgets."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure


def plot_memory_budget(table: pd.DataFrame, budget_mib: dict[str, int]) -> Figure:
    """Bars: running total of memory limits as profiles are added; dashed lines: the budgets."""
    fig, ax = plt.subplots()
    totals = table["total (MiB)"] / 1024
    bars = ax.bar(table.index, totals, color="#4c72b0")
    ax.bar_label(bars, labels=[f"{v:.2f} GiB" for v in totals], label_type="center", color="white")
    for name, mib in sorted(budget_mib.items(), key=lambda item: item[1]):
        ax.axhline(mib / 1024, linestyle="--", color="#c44e52" if name == "all" else "#dd8452")
        label = f"budget {name}: {mib / 1024:.0f} GiB"
        ax.annotate(label, (0.01, mib / 1024), xycoords=("axes fraction", "data"), ha="left",
                    va="bottom", xytext=(0, 2), textcoords="offset points")  # fmt: skip
    ax.set_title("Stack memory limits as profiles are added")
    ax.set_xlabel("profiles started (each bar adds one profile to the bars left of it)")
    ax.set_ylabel("sum of memory limits (GiB)")
    ax.set_ylim(0, max(max(budget_mib.values()) / 1024, totals.max()) * 1.2)
    fig.tight_layout()
    return fig
