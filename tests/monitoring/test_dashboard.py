"""The Grafana dashboard as code, and every PromQL expression of the dashboard and the rules:
it parses (promql-parser) and names only metrics of the catalog."""

from __future__ import annotations

import json

import promql_parser
import yaml

from fmslab.config import project_root
from fmslab.monitoring import dashboard, render
from fmslab.monitoring.metrics_catalog import series_names

ROOT = project_root()
PROMETHEUS_OWN = {"up", "ALERTS"}  # series Prometheus itself makes


def metric_names(expr: str) -> set[str]:
    """The metric names an expression selects (promql-parser's AST)."""
    names: set[str] = set()

    def visit(node: object) -> None:
        if isinstance(node, promql_parser.VectorSelector):
            names.add(node.name)

    promql_parser.walk(promql_parser.parse(expr), visit)
    return names


def rule_expressions() -> list[str]:
    rules = yaml.safe_load((ROOT / render.RULES_FILE).read_text(encoding="utf-8"))
    return [rule["expr"] for group in rules["groups"] for rule in group["rules"]]


def test_the_committed_dashboard_is_what_the_code_builds() -> None:
    committed = (ROOT / dashboard.DASHBOARD_FILE).read_text(encoding="utf-8")
    assert committed == dashboard.dashboard_text(), "stale: run `fmslab monitor render`"


def test_dashboard_settings_and_data_source() -> None:
    model = json.loads((ROOT / dashboard.DASHBOARD_FILE).read_text(encoding="utf-8"))
    assert (model["refresh"], model["timezone"], model["uid"]) == (
        "10s",
        "Asia/Seoul",
        "fms-overview",
    )
    provisioned = yaml.safe_load(
        (ROOT / "stack/grafana/provisioning/datasources/prometheus.yml").read_text(encoding="utf-8")
    )
    uid = provisioned["datasources"][0]["uid"]
    panels = [p for p in model["panels"] if p["type"] != "row"]
    assert {p["title"] for p in panels} == set(dashboard.PANEL_QUERIES)
    for panel in panels:
        assert panel["datasource"]["uid"] == uid, panel["title"]
        assert {t["datasource"]["uid"] for t in panel["targets"]} == {uid}
    gauge = next(p for p in panels if p["type"] == "gauge")
    steps = [s["value"] for s in gauge["fieldConfig"]["defaults"]["thresholds"]["steps"]]
    assert steps == [None, 0.7, 0.9]


def test_every_expression_parses_and_names_only_catalog_metrics() -> None:
    model = json.loads((ROOT / dashboard.DASHBOARD_FILE).read_text(encoding="utf-8"))
    expressions = dashboard.dashboard_queries(model) + rule_expressions()
    assert len(expressions) >= 20
    known = series_names() | PROMETHEUS_OWN
    for expr in expressions:
        names = metric_names(expr)
        assert names, expr
        assert names <= known, f"{expr}: {names - known} not in the metric catalog"


def test_the_name_check_catches_an_unknown_metric() -> None:
    assert metric_names("rate(fms_not_a_metric_total[5m]) > 0") == {"fms_not_a_metric_total"}
    assert not metric_names("rate(fms_not_a_metric_total[5m])") <= series_names()
