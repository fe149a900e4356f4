"""The chart of a scenario report: the latency distribution and what each component used."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402


def _latency(ax: Any, report: dict[str, Any]) -> None:
    hist = report["latency_histogram"]
    edges, counts = hist["edges_s"], hist["counts"]
    widths = [b - a for a, b in zip(edges, edges[1:], strict=False)]
    ax.bar(edges[:-1], counts, width=widths, align="edge", color="tab:blue", edgecolor="white")
    latency = report["latency_s"]
    for key, colour in (("p50", "tab:green"), ("p95", "tab:orange"), ("p99", "tab:red")):
        if latency[key] is not None:
            ax.axvline(latency[key], color=colour, linestyle="--")
    ax.set_title(
        f"Latency of {latency['count']} readings\n(dashed: p50 {latency['p50']} s, "
        f"p95 {latency['p95']} s, p99 {latency['p99']} s)",
        fontsize=10,
    )
    ax.set_xlabel("collected -> readable in the lake (s)")
    ax.set_ylabel("readings (count)")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))


def _components(cpu_ax: Any, mem_ax: Any, components: dict[str, dict[str, float]]) -> None:
    names = list(components)
    cpu_ax.bar(names, [components[n]["cpu_s"] for n in names], color="tab:purple")
    cpu_ax.set_title("CPU per component", fontsize=10)
    cpu_ax.set_xlabel("component")
    cpu_ax.set_ylabel("CPU time (s)")
    mem_ax.bar(names, [components[n]["pss_peak_mb"] for n in names], color="tab:gray")
    mem_ax.set_title("Peak memory per component", fontsize=10)
    mem_ax.set_xlabel("component")
    mem_ax.set_ylabel("peak PSS (MiB)")


def _why(step: dict[str, Any], p95_limit: float | None) -> str:
    """Why a step was not sustained, in the report's own figures."""
    if step["lost"] or step["duplicates"]:
        return f"lost {step['lost']}, duplicated {step['duplicates']}"
    if p95_limit is not None and step["p95_s"] is not None and step["p95_s"] > p95_limit:
        return f"p95 {step['p95_s']:g} s > {p95_limit:g} s"
    return f"achieved {step['achieved_msg_s']:g} of {step['rate_msg_s']:g} msg/s"


def _steps(ax: Any, steps: list[dict[str, Any]], p95_limit: float | None) -> None:
    offered = [s["rate_msg_s"] for s in steps]
    top = max(offered) * 1.15
    ax.plot([0, top], [0, top], color="tab:gray", linestyle=":")
    ax.plot(offered, [s["achieved_msg_s"] for s in steps], marker="o")
    for step in steps:
        if not step["sustained"]:
            ax.plot(step["rate_msg_s"], step["achieved_msg_s"], "x", color="tab:red", ms=10)
            ax.annotate(
                _why(step, p95_limit), (step["rate_msg_s"], step["achieved_msg_s"]),
                textcoords="offset points", xytext=(-8, 4), ha="right", fontsize=8,
                color="tab:red",
            )  # fmt: skip
    ax.set_xlim(0, top)
    ax.set_ylim(0, top)
    ax.set_title("Achieved rate per step\n(dotted: offered; x: not sustained)", fontsize=10)
    ax.set_xlabel("offered rate (msg/s)")
    ax.set_ylabel("achieved rate (msg/s)")


def scenario_chart(report: dict[str, Any]) -> Figure:
    """Latency histogram with p50/p95/p99, CPU seconds and peak PSS per component (and, for
    `max`, the achieved rate of each step)."""
    panels = 4 if report.get("steps") else 3
    fig, axes = plt.subplots(1, panels, figsize=(4.2 * panels, 4.0))
    _latency(axes[0], report)
    _components(axes[1], axes[2], report["components"])
    if panels == 4:
        _steps(axes[3], report["steps"], (report.get("targets") or {}).get("latency_p95_s"))
    form = "short form" if report["short"] else "full form"
    fig.suptitle(
        f"Scenario {report['scenario']} ({form}): {report['stored']} of {report['offered']} "
        f"stored, {report['throughput_msg_s']} msg/s"
    )
    fig.tight_layout()
    return fig


def write_scenario_png(report: dict[str, Any], path: Path) -> Path:
    """Draw `scenario_chart(report)` to a PNG file at `path`."""
    fig = scenario_chart(report)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
