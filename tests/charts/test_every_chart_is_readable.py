"""Every chart the library draws has a title, axis labels (with units where the axis has
numbers), integer ticks where it counts, and a legend that covers none of its plotting area.

The figures are drawn headless (Agg) from small real inputs and written as PNG files under the
test's temporary directory (FMSLAB_CHART_DIR=<dir> keeps them for a look).
"""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Callable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.category import StrCategoryConverter  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from fmslab.bench import (
    scenario_chart,  # noqa: E402
    tuning_chart,  # noqa: E402
)
from fmslab.bench.scenario_report import histogram  # noqa: E402
from fmslab.collector import charts as collector_charts  # noqa: E402
from fmslab.config import Settings  # noqa: E402
from fmslab.docs import architecture as docs_architecture  # noqa: E402
from fmslab.docs import charts as docs_charts  # noqa: E402
from fmslab.jobs import report as job_report  # noqa: E402
from fmslab.quality import charts as quality_charts  # noqa: E402
from fmslab.quality import check_readings  # noqa: E402
from fmslab.simulator import simulate_readings  # noqa: E402
from fmslab.stack import charts as stack_charts  # noqa: E402
from fmslab.stack.compose import load_stack  # noqa: E402
from fmslab.stack.tables import memory_table  # noqa: E402
from fmslab.streaming import charts as stream_charts  # noqa: E402
from fmslab.streaming.aggregates import window_aggregates  # noqa: E402

SRC = Path(__file__).resolve().parents[2] / "src" / "fmslab"
# Modules that import matplotlib only to configure it, and draw nothing.
NOT_DRAWING = {"notebook.py"}


@pytest.fixture(scope="module")
def inputs() -> dict:
    raw = simulate_readings(seed=3, devices=3, count=60, faults="chaos")
    result = check_readings(raw)
    accepted = result.frame().query("zone in ['processed', 'alerts']")
    # Leave minutes 3 and 4 out: the window chart must show the gap, not bridge it.
    minute = pd.to_datetime(accepted["time"], utc=True).dt.minute
    aggregates = window_aggregates(accepted[~minute.isin([33, 34])])
    batches = pd.DataFrame(
        {"batch_id": [0, 1, 2], "score": [0.9, 0.95, 1.0], "completeness": [0.98, 0.99, 1.0]}
    )
    for name in ("accuracy", "consistency", "timeliness"):
        batches[name] = [0.97, 0.99, 1.0]
    figures = {
        "readings_per_device": {1: 12, 2: 11},
        "zones": {"processed": 20, "alerts": 2, "quarantine": 1},
        "quality": {"dimensions": {name: d.value for name, d in result.report.dimensions.items()}},
    }
    return {
        "result": result,
        "clean": result.frame(),
        "aggregates": aggregates,
        "batches": batches,
        "figures": figures,
    }


def _figures(inputs: dict) -> dict[str, Callable[[], Figure]]:
    report = inputs["result"].report
    targets = {name: d.target for name, d in report.dimensions.items()}
    return {
        "quality.plot_dimensions": lambda: quality_charts.plot_dimensions(report).figure,
        "quality.plot_distributions": lambda: quality_charts.plot_distributions(
            inputs["clean"], ["sensor1", "motor1"]
        ),
        "collector.plot_readings_per_device": lambda: collector_charts.plot_readings_per_device(
            {1: 12, 2: 11, 3: 12}, expected=12
        ),
        "jobs.dimensions_chart": lambda: job_report.dimensions_chart(
            inputs["figures"]["quality"]["dimensions"], targets
        ),
        "jobs.latency_chart": lambda: job_report.latency_chart([0.5, 0.7, 1.1, 2.0]),
        "jobs._bars": lambda: job_report._bars(["a", "b"], [3, 4], "title", "zone", "rows (count)"),
        "streaming.plot_batch_quality": lambda: stream_charts.plot_batch_quality(inputs["batches"]),
        "streaming.plot_window_means": lambda: stream_charts.plot_window_means(
            inputs["aggregates"]
        ),
        "bench.scenario_chart": lambda: scenario_chart.scenario_chart(_scenario_report(False)),
        "bench.scenario_chart.max": lambda: scenario_chart.scenario_chart(_scenario_report(True)),
        "stack.plot_memory_budget": lambda: stack_charts.plot_memory_budget(
            memory_table(load_stack()), load_stack().settings["budget_mib"]
        ),
        "docs.draw_architecture": lambda: docs_charts.draw_architecture(
            docs_architecture.architecture(Settings.model_construct())
        ),
        "tuning.plot_latency_ecdf": lambda: tuning_chart.plot_latency_ecdf(
            {"0.5 seconds": [0.6, 0.8, 1.1], "1 second": [0.9, 1.4, 2.2]}, limit=3.0
        ),
        "tuning.plot_codec_tradeoff": lambda: tuning_chart.plot_codec_tradeoff(
            pd.DataFrame(
                {
                    "stored_bytes_per_msg": [185.0, 38.0],
                    "produce_msg_s": [8e4, 3e4],
                    "consume_msg_s": [1.6e5, 5e4],
                },
                index=pd.Index(["none", "gzip"], name="codec"),
            )
        ),
        "tuning.plot_scenario_percentiles": lambda: tuning_chart.plot_scenario_percentiles(
            pd.DataFrame(
                {"p50 (s)": [0.8, 1.2], "p95 (s)": [1.5, 2.9], "p99 (s)": [2.0, 4.1]},
                index=pd.Index(["normal", "peak"], name="scenario"),
            )
        ),
        "tuning.plot_setting_rates": lambda: tuning_chart.plot_setting_rates(
            pd.DataFrame({"drain_msg_s": [900.0, 1500.0]}, index=[1, 3]),
            "drain_msg_s",
            "partitions of fms-raw-data",
            "drain rate (messages/s)",
            "Drain rate per partition count",
        ),
    }


def _scenario_report(with_steps: bool) -> dict:
    latencies = [0.8, 1.1, 1.2, 1.3, 2.5]
    report = {
        "scenario": "max" if with_steps else "normal",
        "short": True,
        "stored": 5,
        "offered": 5,
        "throughput_msg_s": 1.0,
        "latency_s": {"count": 5, "p50": 1.2, "p95": 2.5, "p99": 2.5, "max": 2.5},
        "latency_histogram": histogram(latencies),
        "components": {
            name: {"cpu_s": cpu, "pss_peak_mb": mb}
            for name, cpu, mb in (
                ("api", 0.1, 60),
                ("collector", 1.5, 50),
                ("broker", 0.1, 25),
                ("stream", 9.6, 1400),
            )
        },  # fmt: skip
    }
    if with_steps:
        report["steps"] = [
            {"rate_msg_s": 100, "achieved_msg_s": 99.0, "p95_s": 2.5, "lost": 0, "duplicates": 0,
             "sustained": True},
            {"rate_msg_s": 200, "achieved_msg_s": 150.0, "p95_s": 6.0, "lost": 0, "duplicates": 0,
             "sustained": False},
        ]  # fmt: skip
        report["targets"] = {"latency_p95_s": 5.0}
    return report


# Every public chart function (plot_*, *_chart) of every drawing module, as named above.
DRAWN = {
    "bench/scenario_chart.py": {"scenario_chart"},
    "quality/charts.py": {"plot_dimensions", "plot_distributions", "draw_dimension_bars"},
    "collector/charts.py": {"plot_readings_per_device"},
    "jobs/report.py": {"dimensions_chart", "latency_chart"},
    "streaming/charts.py": {"plot_batch_quality", "plot_window_means"},
    "stack/charts.py": {"plot_memory_budget"},
    "docs/charts.py": {"draw_architecture"},  # a diagram, no data axes: tests/docs checks it
    "bench/tuning_chart.py": {
        "plot_latency_ecdf",
        "plot_codec_tradeoff",
        "plot_setting_rates",
        "plot_scenario_percentiles",
    },
}


def _chart_functions(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
        and (node.name.startswith(("plot_", "draw_")) or node.name.endswith("_chart"))
    }


def test_the_test_draws_every_chart_the_library_draws() -> None:
    drawing = {
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if re.search(r"^\s*(import|from) matplotlib", path.read_text(encoding="utf-8"), re.M)
    } - NOT_DRAWING
    assert drawing == set(DRAWN), "a module draws charts this test does not check"
    for module, names in DRAWN.items():
        assert _chart_functions(SRC / module) == names, module


def _is_categorical(axis) -> bool:
    return isinstance(axis.get_converter(), StrCategoryConverter)


def _check_axes(ax: Axes, name: str) -> None:
    assert ax.get_title(), f"{name}: no title"
    for axis, label in ((ax.xaxis, ax.get_xlabel()), (ax.yaxis, ax.get_ylabel())):
        assert label, f"{name}: an axis without a label"
        identifier = label.lower().endswith("id")  # batch ids, DeviceId: no unit
        if not _is_categorical(axis) and not identifier:
            assert "(" in label and label.endswith(")"), f"{name}: {label!r} has no unit"
        if label.endswith("(count)") or (identifier and not _is_categorical(axis)):
            locator = axis.get_major_locator()
            assert isinstance(locator, MaxNLocator) and locator._integer, (
                f"{name}: the count axis {label!r} may show fractional ticks"
            )


def _overlaps(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def _check_legends(fig: Figure, name: str) -> None:
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    legends = [ax.get_legend() for ax in fig.axes if ax.get_legend()] + list(fig.legends)
    for legend in legends:
        box = legend.get_window_extent(renderer)
        for ax in fig.axes:
            assert not _overlaps(box, ax.get_window_extent(renderer)), (
                f"{name}: the legend covers the plotting area"
            )


@pytest.mark.parametrize(
    "name",
    [
        "quality.plot_dimensions",
        "quality.plot_distributions",
        "collector.plot_readings_per_device",
        "jobs.dimensions_chart",
        "jobs.latency_chart",
        "jobs._bars",
        "streaming.plot_batch_quality",
        "streaming.plot_window_means",
        "bench.scenario_chart",
        "bench.scenario_chart.max",
        "tuning.plot_latency_ecdf",
        "tuning.plot_codec_tradeoff",
        "tuning.plot_setting_rates",
        "tuning.plot_scenario_percentiles",
    ],
)
def test_chart_is_readable(name: str, inputs: dict, tmp_path: Path) -> None:
    fig = _figures(inputs)[name]()
    try:
        for ax in fig.axes:
            _check_axes(ax, name)
        _check_legends(fig, name)
        out = Path(os.environ.get("FMSLAB_CHART_DIR", tmp_path))
        out.mkdir(parents=True, exist_ok=True)
        fig.savefig(out / f"{name}.png", dpi=80, bbox_inches="tight")
    finally:
        plt.close(fig)


def test_window_chart_shows_one_window_size_and_breaks_at_empty_minutes(inputs: dict) -> None:
    aggregates = inputs["aggregates"]
    series = stream_charts.window_series(aggregates, "sensor1_mean")
    minutes = aggregates[aggregates["window"] == "1 minute"]
    # Only the 1-minute rows, one row per minute from the first to the last, gaps as NaN.
    assert series.notna().sum().sum() == minutes["sensor1_mean"].notna().sum()
    assert (series.index.to_series().diff().dropna() == pd.Timedelta("1min")).all()
    gap = series.index.minute.isin([33, 34])
    assert gap.any() and series[gap].isna().all().all()
    fig = stream_charts.plot_window_means(aggregates)
    try:
        lines = fig.axes[0].get_lines()
        assert len(lines) == series.shape[1]
        assert all(pd.isna(line.get_ydata()[gap]).all() for line in lines)
    finally:
        plt.close(fig)
    with pytest.raises(ValueError, match="unknown window"):
        stream_charts.window_series(aggregates, "sensor1_mean", "5 minutes")
