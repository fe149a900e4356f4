"""`fmslab alerts`: every fms-alerts event raised as an alert in Alertmanager (API v2).

    fms-alerts --(group fmslab-alerts)--> AlertNotifier --POST /api/v2/alerts--> Alertmanager
                                               |                          (routing, grouping,
                                               +--> delivery log (JSONL)   dedup, repeats)

Alertmanager's one routing configuration decides who is told; this service only turns events
into alerts. It never loses an event: offsets are committed only after Alertmanager accepted
the alerts of a poll, and while Alertmanager is down it retries with exponential backoff
(tenacity), so a restart reads again whatever was not accepted. Without an Alertmanager (none
installed: a student's laptop) it still records every event in the delivery log, marked
`recorded_only`, and says nobody was notified.

An event's alert: `device_failure` -> DeviceFailure {device} (the same labels as the Prometheus
rule of that name, so Alertmanager merges the two), `quality_score` -> BatchQualityLow, `test` ->
FmsTestAlert; severity HIGH/CRITICAL -> critical, ERROR -> error, WARNING -> warning, INFO ->
info.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from prometheus_client import CollectorRegistry
from tenacity import Retrying, retry_if_exception, wait_exponential

from fmslab.monitoring.metrics_catalog import make_metrics
from fmslab.services import MetricsEndpoint

ALERTS_TOPIC = "fms-alerts"
GROUP = "fmslab-alerts"
SEVERITIES = {
    "info": "info",
    "warning": "warning",
    "warn": "warning",
    "error": "error",
    "high": "critical",
    "critical": "critical",
}
ALERT_NAMES = {
    "device_failure": "DeviceFailure",
    "quality_score": "BatchQualityLow",
    "test": "FmsTestAlert",
}


def delivery_log(settings: Any) -> Path:
    """Where `fmslab alerts` keeps its delivery log (under the settings' state dir)."""
    return Path(settings.state_dir or ".fmslab") / "alerts" / "deliveries.jsonl"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def alert_of(event: dict[str, Any]) -> dict[str, Any]:
    """The Alertmanager API v2 alert of one fms-alerts event."""
    kind = str(event.get("type") or "unknown")
    raw_severity = str(event.get("severity") or "").lower()
    severity = SEVERITIES.get(raw_severity, "warning")
    labels = {"alertname": ALERT_NAMES.get(kind, "FmsEvent"), "severity": severity}
    if event.get("DeviceId") is not None:
        labels["device"] = str(event["DeviceId"])
    if kind == "test" and event.get("test_id"):
        labels["test_id"] = str(event["test_id"])
    annotations = {"summary": _summary(kind, event), "source": "fms-alerts"}
    for key in ("reading_id", "batch_id", "score", "threshold", "time"):
        if event.get(key) is not None:
            annotations[key] = str(event[key])
    if event.get("reasons"):
        annotations["reasons"] = ", ".join(map(str, event["reasons"]))
    if raw_severity not in SEVERITIES:
        annotations["note"] = f"unknown severity {event.get('severity')!r}, sent as warning"
    alert = {"labels": labels, "annotations": annotations}
    if isinstance(event.get("time"), str):
        alert["startsAt"] = event["time"]
    return alert


def _summary(kind: str, event: dict[str, Any]) -> str:
    if kind == "device_failure":
        return f"Device {event.get('DeviceId')} reports a failure (isFail) at {event.get('time')}"
    if kind == "quality_score":
        return f"Micro-batch {event.get('batch_id')} quality score {event.get('score')}"
    if kind == "test":
        return f"Test alert ({event.get('severity')}) sent by `fmslab alerts test`"
    return f"fms-alerts event of type {kind}"


class AlertmanagerDown(ConnectionError):
    """Alertmanager did not accept the alerts (unreachable, or a 5xx answer)."""


def post_alerts(url: str, alerts: list[dict[str, Any]], timeout: float = 5.0) -> None:
    """POST alerts to Alertmanager's API v2; AlertmanagerDown when it did not accept them.

    A 4xx answer (alerts it will never take) is a ValueError: retrying would not help."""
    try:
        reply = httpx.post(f"{url.rstrip('/')}/api/v2/alerts", json=alerts, timeout=timeout)
    except httpx.HTTPError as err:
        raise AlertmanagerDown(f"{url}: {err}") from err
    if reply.status_code >= 500:
        raise AlertmanagerDown(f"{url}: HTTP {reply.status_code} {reply.text[:200]}")
    if reply.status_code >= 400:
        raise ValueError(f"Alertmanager refused the alerts: HTTP {reply.status_code} {reply.text}")


@dataclass
class DeliveryLog:
    """One JSON line per event: its offset, the alert, the outcome and when."""

    path: Path

    def write(self, entries: list[dict[str, Any]]) -> None:
        """Append entries (flushed at once: the log is the proof of what happened)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as handle:
            for entry in entries:
                handle.write(json.dumps(entry, default=str) + "\n")

    def read(self) -> list[dict[str, Any]]:
        """Every entry so far."""
        if not self.path.is_file():
            return []
        lines = self.path.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]


@dataclass
class NotifierStats:
    """What the notifier did since it started."""

    events: int = 0
    accepted: int = 0
    recorded_only: int = 0
    bad: int = 0
    retries: int = 0
    by_alert: dict[str, int] = field(default_factory=dict)


class AlertNotifier:
    """Consumes fms-alerts and raises its events in Alertmanager (`alertmanager_url` None:
    record only). `run()` until `stop()`; `serve_metrics(port)` exports its own metrics."""

    def __init__(
        self,
        bootstrap: str,
        alertmanager_url: str | None,
        log_path: Path,
        *,
        group: str = GROUP,
        max_wait: float = 10.0,
        on_delivered: Callable[[list[dict[str, Any]]], None] | None = None,
    ) -> None:
        self.bootstrap, self.url, self.group = bootstrap, alertmanager_url, group
        self.log = DeliveryLog(Path(log_path))
        self.max_wait = max_wait
        self.on_delivered = on_delivered
        self.stats = NotifierStats()
        self.registry = CollectorRegistry()
        self.m = make_metrics("alerts", self.registry)
        self._stop = threading.Event()
        self._endpoint = MetricsEndpoint()

    def serve_metrics(self, port: int, host: str = "127.0.0.1") -> int:
        """Serve /metrics on `host`:`port` (0: a free port); returns the port."""
        self._endpoint.registry = self.registry
        return self._endpoint.serve(port, host)

    def stop(self) -> None:
        """Ask `run` to end after the poll in hand (not yet accepted events stay uncommitted)."""
        self._stop.set()

    def run(self, duration: float | None = None, until: Callable[[], bool] | None = None) -> None:
        """Consume until `stop()`, `duration` seconds, or `until()` is true."""
        from fmslab.broker.clients import make_consumer
        from fmslab.broker.offsets import partitions_of

        consumer = make_consumer(
            self.bootstrap,
            group_id=self.group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=100,
        )
        deadline = None if duration is None else time.monotonic() + duration
        try:
            partitions = partitions_of(consumer, ALERTS_TOPIC)
            consumer.assign(partitions)  # explicit: Tansu's group join waits a session timeout
            while not self._stop.is_set():
                if deadline is not None and time.monotonic() >= deadline:
                    break
                if until is not None and until():
                    break
                batch = consumer.poll(timeout_ms=200)
                records = [r for rs in batch.values() for r in rs]
                if records and self._handle(records):
                    self._commit(consumer, records)
                self._lag(consumer, partitions)
        finally:
            consumer.close(autocommit=False)
            self._endpoint.close()

    def _handle(self, records: list[Any]) -> bool:
        """Alerts of the records delivered (or recorded); False when stopped before that."""
        self.m["fms_alerts_pending"].set(len(records))
        entries, alerts = self._parse(records)
        outcome, reason = ("recorded_only", None) if self.url is None else ("accepted", None)
        if alerts and self.url is not None:
            outcome, reason = self._deliver(alerts)
            if outcome is None:
                return False
        stamp = _now()
        for entry in entries:
            entry.setdefault("outcome", outcome)
            entry["at"] = stamp
            if "alert" in entry:
                entry.update({"reason": reason} if reason else {})
                name = entry["alert"]["labels"]["alertname"]
                self.stats.by_alert[name] = self.stats.by_alert.get(name, 0) + 1
        self.log.write(entries)
        self._count(outcome, len(alerts))
        if self.on_delivered is not None:
            self.on_delivered(entries)
        return True

    def _parse(self, records: list[Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Log entries of the records and the alerts of those that are events."""
        entries, alerts = [], []
        for record in records:
            entry: dict[str, Any] = {"partition": record.partition, "offset": record.offset}
            try:
                event = json.loads(record.value)
                if not isinstance(event, dict):
                    raise ValueError("not a JSON object")
            except (TypeError, ValueError) as err:
                entries.append(entry | {"outcome": "bad_payload", "reason": str(err)})
                self.stats.bad += 1
                continue
            alert = alert_of(event)
            entries.append(entry | {"event": event, "alert": alert})
            alerts.append(alert)
            severity = alert["labels"]["severity"]
            self.m["fms_alerts_events_total"].labels(str(event.get("type")), severity).inc()
        return entries, alerts

    def _count(self, outcome: str, done: int) -> None:
        self.stats.events += done
        self.m["fms_alerts_deliveries_total"].labels(outcome).inc(done)
        if outcome == "accepted":
            self.stats.accepted += done
        elif outcome == "recorded_only":
            self.stats.recorded_only += done
        else:
            self.stats.bad += done
        self.m["fms_alerts_pending"].set(0)

    def _deliver(self, alerts: list[dict[str, Any]]) -> tuple[Any, str | None]:
        """POST with exponential backoff until accepted; (outcome, reason): ("accepted", None),
        ("refused", why) for alerts Alertmanager will never take, (None, None) when stopped."""

        def failed(state: Any) -> None:
            self.stats.retries += 1
            self.m["fms_alerts_deliveries_total"].labels("failed").inc()

        retrying = Retrying(
            retry=retry_if_exception(lambda e: isinstance(e, AlertmanagerDown)),
            wait=wait_exponential(multiplier=0.25, max=self.max_wait),
            stop=lambda _state: self._stop.is_set(),
            before_sleep=failed,
            reraise=True,
        )
        try:
            retrying(post_alerts, self.url or "", alerts)
        except AlertmanagerDown:
            return None, None  # stopped while Alertmanager was down: nothing committed
        except ValueError as err:  # a 4xx: kept in the log with the reason, not retried
            return "refused", str(err)
        return "accepted", None

    def _commit(self, consumer: Any, records: list[Any]) -> None:
        from kafka import TopicPartition
        from kafka.structs import OffsetAndMetadata

        last: dict[TopicPartition, int] = {}
        for record in records:
            tp = TopicPartition(record.topic, record.partition)
            last[tp] = max(last.get(tp, -1), record.offset)
        consumer.commit({tp: OffsetAndMetadata(o + 1, "", -1) for tp, o in last.items()})

    def _lag(self, consumer: Any, partitions: list[Any]) -> None:
        lag = 0
        for tp in partitions:
            high, position = consumer.highwater(tp), consumer.position(tp)
            if high is not None and position is not None:
                lag += max(0, high - position)
        self.m["fms_alerts_consumer_lag"].set(lag)
