"""The report of one `fmslab run`: figures as JSON, and an HTML page with embedded charts.

Charts are matplotlib PNGs embedded as base64 `data:` URIs, so the page is one self-contained
file: readings per device, rows per lake zone, the quality dimensions against their targets, and
the latency distribution from collection to readable in the lake.
"""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display: the report is written to a file

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from fmslab.quality.charts import draw_dimension_bars  # noqa: E402

_BAR = "#1565c0"


def figure_png(fig: Figure) -> str:
    """A figure as a base64 PNG data URI (the figure is closed)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _bars(labels: list[str], values: list[float], title: str, xlabel: str, ylabel: str) -> Figure:
    """Count bars, each labelled with its count (no reference line to collide with)."""
    fig, ax = plt.subplots(figsize=(5.5, 3.2))
    bars = ax.bar(labels, values, color=_BAR, width=0.6)
    ax.bar_label(bars, fmt="%g", fontsize=8)
    ax.margins(y=0.15)  # room above the tallest bar for its label
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    return fig


def dimensions_chart(dimensions: dict[str, float], targets: dict[str, float]) -> Figure:
    """The four dimensions in % (green pass, red fail), their targets as dashed lines."""
    fig, ax = plt.subplots(figsize=(7, 3.4))
    draw_dimension_bars(ax, dimensions, targets, "Quality dimensions against their targets")
    return fig


def latency_chart(latencies: list[float]) -> Figure:
    """Histogram of seconds from collected_at to readable in the lake."""
    fig, ax = plt.subplots(figsize=(5.5, 3.2))
    ax.hist(latencies, bins=30, color=_BAR)
    ax.set_xlabel("seconds from collection to readable in the lake (s)")
    ax.set_ylabel("readings (count)")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title("End-to-end latency")
    return fig


def charts(
    figures: dict[str, Any], latencies: list[float], targets: dict[str, float]
) -> dict[str, str]:
    """Every chart of the report as a data URI, by title."""
    per_device = figures["readings_per_device"]
    zones = figures["zones"]
    out = {
        "Readings per device": figure_png(
            _bars(
                [f"device {d}" for d in per_device],
                list(per_device.values()),
                "Readings collected per device",
                "DeviceId",
                "readings (count)",
            )  # fmt: skip
        ),
        "Rows per lake zone": figure_png(
            _bars(
                list(zones),
                list(zones.values()),
                "Rows stored per lake zone",
                "zone",
                "rows (count)",
            )
        ),
    }
    if figures["quality"]["dimensions"]:
        out["Quality dimensions"] = figure_png(
            dimensions_chart(figures["quality"]["dimensions"], targets)
        )
    if latencies:
        out["Latency"] = figure_png(latency_chart(latencies))
    return out


def _table(rows: list[tuple[str, Any]]) -> str:
    body = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows
    )
    return f"<table>{body}</table>"


def summary_rows(figures: dict[str, Any]) -> list[tuple[str, Any]]:
    """The headline figures of a run as (label, value) rows."""
    quality, latency = figures["quality"], figures["latency_seconds"]
    rows: list[tuple[str, Any]] = [
        ("duration (s)", figures["options"]["duration"]),
        ("readings collected (archived)", figures["collected"]),
    ]
    rows += [(f"stored in {zone}", count) for zone, count in figures["zones"].items()]
    rows += [
        ("dropped as duplicates", figures["dropped_duplicates"]),
        ("backfilled by reconcile", figures["reconcile"]["backfilled"]),
        ("readings stored more than once", figures["exactly_once"]["stored_twice"]),
        ("quality score", quality["score"]),
        ("alert events (isFail readings)", figures["zones"].get("alerts", 0)),
        ("latency p50 (s)", latency["p50"]),
        ("latency p95 (s)", latency["p95"]),
        ("latency max (s)", latency["max"]),
        ("total run time (s)", figures["seconds"]["total"]),
    ]
    return rows


def write_reports(
    reports_dir: Path, figures: dict[str, Any], latencies: list[float], targets: dict[str, float]
) -> tuple[Path, Path]:
    """Write `run-report.json` and `run-report.html` into `reports_dir`; returns both paths."""
    reports_dir = Path(reports_dir)
    reports_dir.mkdir(parents=True, exist_ok=True)
    json_path = reports_dir / "run-report.json"
    json_path.write_text(json.dumps(figures, indent=2, default=str) + "\n")
    images = "".join(
        f'<figure><img alt="{html.escape(t)}" src="{uri}"><figcaption>{html.escape(t)}'
        "</figcaption></figure>"
        for t, uri in charts(figures, latencies, targets).items()
    )
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>fmslab run report</title>"
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "th,td{border:1px solid #ccc;padding:4px 10px;text-align:left}"
        "figure{display:inline-block;margin:1em}</style></head><body>"
        f"<h1>fmslab run report</h1><p>started {html.escape(str(figures['started_at']))}, "
        f"mode embedded, seed {figures['options']['seed']}, faults "
        f"{html.escape(figures['options']['faults'])}</p>"
        f"{_table(summary_rows(figures))}<h2>Charts</h2>{images}"
        "<h2>Figures</h2><p>All figures: <code>run-report.json</code>.</p></body></html>\n"
    )
    html_path = reports_dir / "run-report.html"
    html_path.write_text(page, encoding="utf-8")
    return json_path, html_path
