"""The Grafana dashboard as code (grafana-foundation-sdk, Grafana 11 build).

`fmslab monitor render` writes `stack/grafana/dashboards/fms-overview.json`, which the stack's
Grafana provisions; a test builds it again and requires the file unchanged. Every panel uses the
provisioned data source uid `fms-prometheus`; every query is in `PANEL_QUERIES`, which chapter 11
draws with matplotlib from the same expressions, and a test parses each with promql-parser and
checks it names only metrics of the catalog. Thresholds come from `fmslab.thresholds`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fmslab.config import project_root
from fmslab.thresholds import AlertThresholds, alert_thresholds

DATASOURCE_UID = "fms-prometheus"
DASHBOARD_UID = "fms-overview"
DASHBOARD_FILE = Path("stack/grafana/dashboards/fms-overview.json")
TIMEZONE = "Asia/Seoul"
REFRESH = "10s"

_DEVICE = "device {{device}}"
_LATENCY = "sum by (le) (rate(fms_stream_end_to_end_latency_seconds_bucket[5m]))"


def _sensor(name: str) -> tuple[tuple[str, ...], str]:
    return (f'max by (device) (fms_device_sensor_value{{sensor="{name}"}})',), _DEVICE


#: Panel title -> (PromQL expressions, legend). Chapter 11 plots the same queries.
PANEL_QUERIES: dict[str, tuple[tuple[str, ...], str]] = {
    "Device status": (("max by (device) (fms_device_failing)",), _DEVICE),
    "Temperature (°C)": _sensor("sensor1"),
    "Humidity (%)": _sensor("sensor2"),
    "Pressure (PSI)": _sensor("sensor3"),
    "Motor speed (RPM)": (
        ('max by (device, sensor) (fms_device_sensor_value{sensor=~"motor[0-9]+"})',),
        "device {{device}} {{sensor}}",
    ),
    "Failures in the last 5 min": (
        ("sum by (device) (increase(fms_device_failures_total[5m]))",),
        _DEVICE,
    ),
    "Data quality score": (("min(fms_quality_score_ratio)",), "score"),
    "Throughput (readings/s)": (
        (
            "sum(rate(fms_collector_readings_total[1m]))",
            "sum(fms_stream_processed_rows_per_second)",
        ),
        "",
    ),
    "End-to-end latency (s)": (
        tuple(f"histogram_quantile({q}, {_LATENCY})" for q in ("0.5", "0.95", "0.99")),
        "",
    ),
    "Consumer lag (offsets)": (
        ("sum(fms_stream_offsets_behind_latest)", "sum(fms_alerts_consumer_lag)"),
        "",
    ),
}  # fmt: skip
LEGENDS = {
    "Throughput (readings/s)": ("collected", "processed by Spark"),
    "End-to-end latency (s)": ("p50", "p95", "p99"),
    "Consumer lag (offsets)": ("stream job behind fms-raw-data", "notifier behind fms-alerts"),
}


def _datasource() -> Any:
    from grafana_foundation_sdk.models.dashboard import DataSourceRef

    return DataSourceRef(type_val="prometheus", uid=DATASOURCE_UID)


def _targets(panel: Any, title: str) -> Any:
    from grafana_foundation_sdk.builders.prometheus import Dataquery

    exprs, legend = PANEL_QUERIES[title]
    legends = LEGENDS.get(title, (legend,) * len(exprs))
    for ref, (expr, name) in enumerate(zip(exprs, legends, strict=True)):
        query = Dataquery().expr(expr).legend_format(name).ref_id("ABC"[ref])
        panel = panel.with_target(query.datasource(_datasource()))
    return panel.datasource(_datasource())


def _steps(*pairs: tuple[float | None, str]) -> Any:
    from grafana_foundation_sdk.builders.dashboard import ThresholdsConfig
    from grafana_foundation_sdk.models.dashboard import Threshold, ThresholdsMode

    steps = [Threshold(value=value, color=color) for value, color in pairs]
    return ThresholdsConfig().mode(ThresholdsMode.ABSOLUTE).steps(steps)


def _series(title: str, unit: str, limit: float | None = None) -> Any:
    from grafana_foundation_sdk.builders.timeseries import Panel

    panel = Panel().title(title).unit(unit).height(8).span(12)
    if limit is not None:  # the alert threshold, drawn as a red line
        from grafana_foundation_sdk.builders.common import GraphThresholdsStyleConfig
        from grafana_foundation_sdk.models.common import GraphThresholdsStyleMode

        style = GraphThresholdsStyleConfig().mode(GraphThresholdsStyleMode.LINE)
        panel = panel.thresholds(_steps((None, "green"), (limit, "red"))).thresholds_style(style)
    return _targets(panel, title)


def _status() -> Any:
    from grafana_foundation_sdk.builders.stat import Panel
    from grafana_foundation_sdk.models.dashboard import (
        ValueMap,
        ValueMappingResult,
    )

    mapping = ValueMap(
        options={
            "0": ValueMappingResult(text="OK", color="green", index=0),
            "1": ValueMappingResult(text="FAILING", color="red", index=1),
        }
    )
    panel = Panel().title("Device status").height(5).span(24).mappings([mapping])
    return _targets(panel.thresholds(_steps((None, "green"), (1, "red"))), "Device status")


def _quality(t: AlertThresholds) -> Any:
    from grafana_foundation_sdk.builders.gauge import Panel

    steps = _steps(
        (None, "red"), (t.quality_score_below, "yellow"), (t.quality_good_above, "green")
    )
    panel = Panel().title("Data quality score").unit("percentunit").min(0).max(1).thresholds(steps)
    return _targets(panel.height(8).span(6), "Data quality score")


def build_dashboard(thresholds: AlertThresholds | None = None) -> dict[str, Any]:
    """The dashboard's JSON model."""
    from grafana_foundation_sdk.builders.dashboard import Dashboard, Row
    from grafana_foundation_sdk.cog.encoder import JSONEncoder

    t = thresholds or alert_thresholds()
    above = t.sensor_above
    builder = (
        Dashboard("FMS · factory monitoring")
        .uid(DASHBOARD_UID)
        .tags(["fmslab", "generated"])
        .refresh(REFRESH)
        .time("now-30m", "now")
        .timezone(TIMEZONE)
        .with_row(Row("Devices"))
        .with_panel(_status())
        .with_panel(_series("Temperature (°C)", "celsius", above["sensor1"]))
        .with_panel(_series("Humidity (%)", "humidity", above["sensor2"]))
        .with_panel(_series("Pressure (PSI)", "pressurepsi", above["sensor3"]))
        .with_panel(_series("Motor speed (RPM)", "rotrpm"))
        .with_row(Row("Pipeline"))
        .with_panel(_series("Failures in the last 5 min", "short").span(6))
        .with_panel(_quality(t))
        .with_panel(_series("Throughput (readings/s)", "short"))
        .with_panel(_series("End-to-end latency (s)", "s"))
        .with_panel(_series("Consumer lag (offsets)", "short"))
    )
    return json.loads(JSONEncoder(sort_keys=True, indent=2).encode(builder.build()))


def dashboard_text(thresholds: AlertThresholds | None = None) -> str:
    """The dashboard file's text (sorted keys, two-space indent, final newline)."""
    return (
        json.dumps(build_dashboard(thresholds), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    )


def write_dashboard(root: Path | None = None) -> bool:
    """Write the dashboard JSON under `root`; True when it changed."""
    path = (root or project_root()) / DASHBOARD_FILE
    text = dashboard_text()
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return True


def dashboard_queries(model: dict[str, Any]) -> list[str]:
    """Every PromQL expression of a dashboard model's panels."""
    return [
        target["expr"]
        for panel in model.get("panels", [])
        for target in panel.get("targets", [])
        if "expr" in target
    ]
