"""Alert and notification counts of a run, from the running Alertmanager, Prometheus and
`fmslab alerts` (for `fmslab run`'s summary and report)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from fmslab.config import Settings


def _samples(text: str, name: str) -> dict[str, float]:
    """integration label -> value of one Alertmanager counter family."""
    from prometheus_client.parser import text_string_to_metric_families

    values: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                key = sample.labels.get("integration", "")
                values[key] = values.get(key, 0.0) + sample.value
    return values


def monitoring_figures(settings: Settings, timeout: float = 5.0) -> dict[str, Any] | None:
    """Alerts firing (by name), notifications sent and failed per channel, fms-alerts events
    delivered; None when the embedded Alertmanager does not run (no monitoring)."""
    from fmslab.monitoring import monitor
    from fmslab.monitoring.notifier import DeliveryLog, delivery_log

    am = monitor.service_url(settings, "alertmanager")
    if am is None:
        return None
    try:
        alerts = httpx.get(f"{am}/api/v2/alerts", timeout=timeout).json()
        metrics = httpx.get(f"{am}/metrics", timeout=timeout).text
    except httpx.HTTPError as err:
        return {"error": f"Alertmanager at {am} did not answer: {err}"}
    firing = Counter(
        a["labels"].get("alertname", "?") for a in alerts if a["status"]["state"] != "suppressed"
    )
    suppressed = sum(1 for a in alerts if a["status"]["state"] == "suppressed")
    sent = _samples(metrics, "alertmanager_notifications_total")
    failed = _samples(metrics, "alertmanager_notifications_failed_total")
    log = DeliveryLog(Path(delivery_log(settings))).read()
    return {
        "alerts_active": dict(sorted(firing.items())),
        "alerts_inhibited": suppressed,
        "notifications": {k: int(v) for k, v in sorted(sent.items()) if v},
        "notifications_failed": {k: int(v) for k, v in sorted(failed.items()) if v},
        "fms_alerts_events": dict(Counter(e["outcome"] for e in log)),
    }


def summary_rows(figures: dict[str, Any] | None) -> list[tuple[str, Any]]:
    """The monitoring rows of `fmslab run`'s summary (none without monitoring)."""
    if not figures:
        return []
    if "error" in figures:
        return [("monitoring", figures["error"])]
    rows: list[tuple[str, Any]] = [
        ("alerts active in Alertmanager", sum(figures["alerts_active"].values())),
        ("alerts inhibited", figures["alerts_inhibited"]),
    ]
    rows += [(f"alerts {name}", n) for name, n in figures["alerts_active"].items()]
    rows += [(f"notifications {ch}", n) for ch, n in figures["notifications"].items()]
    rows += [(f"notifications failed {ch}", n) for ch, n in figures["notifications_failed"].items()]
    rows += [(f"fms-alerts events {k}", n) for k, n in figures["fms_alerts_events"].items()]
    return rows
