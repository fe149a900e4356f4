"""The metric catalog: its names follow the project's conventions, and the code builds from it.

That every running service exposes exactly the catalog's families is checked against the real
processes in test_monitoring_integration.py (one pipeline for all the running checks).
"""

from __future__ import annotations

import re

from prometheus_client import CollectorRegistry, generate_latest

from fmslab.monitoring.metrics_catalog import CATALOG, exposed_families, make_metrics, specs
from fmslab.monitoring.stream_metrics import offsets_behind

LABELS = {"device", "sensor", "zone", "query", "status", "kind", "outcome", "phase", "dimension",
          "type", "severity"}  # fmt: skip
UNITS = ("_seconds", "_ratio", "_total", "_value", "_per_second", "_depth", "_state", "_failing",
         "_latest", "_pending", "_lag")  # fmt: skip


def test_names_follow_the_conventions() -> None:
    names = [spec.name for spec in CATALOG]
    assert len(names) == len(set(names))
    for spec in CATALOG:
        assert re.fullmatch(r"fms_[a-z0-9_]+", spec.name), spec.name
        assert spec.name.endswith("_total") == (spec.kind == "counter"), spec.name
        assert spec.name.endswith(UNITS), f"{spec.name}: no base unit or kind suffix"
        assert set(spec.labels) <= LABELS, spec.name
        assert spec.help


def test_each_service_exposes_what_its_catalog_entries_say() -> None:
    for service in ("stream", "alerts"):
        registry = CollectorRegistry()
        made = make_metrics(service, registry)
        for spec in specs(service):  # one sample each, so every family shows
            metric = made[spec.name]
            child = metric.labels(*("x" for _ in spec.labels)) if spec.labels else metric
            child.observe(1.0) if spec.kind == "histogram" else child.inc()
        exposed = exposed_families(generate_latest(registry).decode())
        assert exposed == {s.name: s.kind for s in specs(service)}


def test_offsets_behind_latest_sums_every_partition() -> None:
    latest = '{"fms-raw-data": {"0": 10, "1": 7}}'
    assert offsets_behind(latest, '{"fms-raw-data": {"0": 4, "1": 7}}') == 6
    assert offsets_behind(latest, '{"fms-raw-data": {"0": 12}}') == 7  # never negative
    assert offsets_behind(None, latest) is None
    assert offsets_behind("not json", latest) is None
