"""Every Prometheus metric the course's services export: name, type, labels, help, service.

One registry that code, tests, rules, dashboards and docs read. The stream job and the alert
notifier create their metrics from it (`make_metrics`); the collector and the simulator declare
theirs beside their code, and tests/monitoring scrapes every running service and requires the
exposed families to equal this catalog (no metric missing here, none listed that nobody exports).

Names follow docs/architecture.md §7: `fms_` prefix, base units (seconds, ratios 0..1), counters end
in `_total`, labels `device`, `sensor`, `zone`, `query`. A name here is the one PromQL uses
(counters with `_total`; histograms without their `_bucket`/`_sum`/`_count` suffixes).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["counter", "gauge", "histogram"]
Service = Literal["api", "collector", "stream", "alerts"]

#: Seconds from a reading's collection to its micro-batch written in the lake: about a trigger
#: interval plus a batch when healthy, tens of seconds when Spark falls behind.
LATENCY_BUCKETS = (0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 7.5, 10.0, 15.0, 20.0, 30.0, 60.0, 120.0)


@dataclass(frozen=True)
class MetricSpec:
    """One exported metric family."""

    name: str
    kind: Kind
    labels: tuple[str, ...]
    help: str
    service: Service

    @property
    def base_name(self) -> str:
        """The name prometheus_client takes (counters without `_total`)."""
        if self.kind == "counter" and self.name.endswith("_total"):
            return self.name[: -len("_total")]
        return self.name

    def sample_names(self) -> tuple[str, ...]:
        """Every series name PromQL may use for this family."""
        if self.kind == "histogram":
            return tuple(f"{self.name}{s}" for s in ("_bucket", "_sum", "_count"))
        return (self.name,)


def _m(service: Service, name: str, kind: Kind, labels: tuple[str, ...], help_: str) -> MetricSpec:
    return MetricSpec(name, kind, labels, help_, service)


D, S, Q = ("device",), ("device", "sensor"), ("query",)

CATALOG: tuple[MetricSpec, ...] = (
    # --- FMS API simulator (fmslab.simulator.metrics), on the API's own port -------------------
    _m("api", "fms_api_requests_total", "counter", ("device", "status"),
       "Requests to GET /{DeviceId}/ by device and HTTP status."),
    _m("api", "fms_api_readings_generated_total", "counter", D,
       "Readings served with status 200, by device."),
    _m("api", "fms_api_faults_injected_total", "counter", ("kind",),
       "Faults injected into responses, by kind."),
    # --- collector (fmslab.collector.metrics) --------------------------------------------------
    _m("collector", "fms_collector_readings_total", "counter", D, "Readings accepted from the API"),
    _m("collector", "fms_collector_api_errors_total", "counter", ("device", "kind"),
       "Failed API requests by kind"),
    _m("collector", "fms_collector_retries_total", "counter", (), "API request retries"),
    _m("collector", "fms_collector_circuit_state", "gauge", D,
       "Circuit breaker: 0 closed, 1 half-open, 2 open"),
    _m("collector", "fms_collector_spool_depth", "gauge", (),
       "Readings waiting in the local spool"),
    _m("collector", "fms_collector_produce_latency_seconds", "histogram", (),
       "Seconds from the start of a poll to the broker's acknowledgement"),
    _m("collector", "fms_collector_last_seen_timestamp_seconds", "gauge", D,
       "Unix time of the device's last accepted reading"),
    _m("collector", "fms_collector_sensor_value", "gauge", S, "Current sensor or motor value"),
    _m("collector", "fms_collector_quarantined_total", "counter", D,
       "Payloads set aside as not a reading"),
    _m("collector", "fms_collector_deliveries_total", "counter", ("outcome",),
       "Broker delivery outcomes (acked, failed)"),
    # --- stream job: Spark's progress events (StreamingQueryListener) --------------------------
    _m("stream", "fms_stream_batches_total", "counter", Q, "Micro-batches completed"),
    _m("stream", "fms_stream_input_rows_total", "counter", Q, "Rows read from the source"),
    _m("stream", "fms_stream_input_rows_per_second", "gauge", Q,
       "Source rows per second arriving, last micro-batch (Spark's inputRowsPerSecond)"),
    _m("stream", "fms_stream_processed_rows_per_second", "gauge", Q,
       "Rows per second processed, last micro-batch (Spark's processedRowsPerSecond)"),
    _m("stream", "fms_stream_batch_duration_seconds", "gauge", Q,
       "Wall time of the last micro-batch (Spark's batchDuration)"),
    _m("stream", "fms_stream_batch_phase_seconds", "gauge", ("query", "phase"),
       "Parts of the last micro-batch's duration (Spark's durationMs, per phase)"),
    _m("stream", "fms_stream_watermark_timestamp_seconds", "gauge", Q,
       "Event-time watermark of the query, Unix time (absent when the query has none)"),
    _m("stream", "fms_stream_offsets_behind_latest", "gauge", Q,
       "Source offsets not yet read: the latest available minus the last batch's end"),
    _m("stream", "fms_stream_rows_total", "counter", ("query", "zone"),
       "Records written per lake zone (processed, alerts, quarantine, dropped)"),
    _m("stream", "fms_stream_alert_events_total", "counter", ("type",),
       "Events published to fms-alerts, by type"),
    _m("stream", "fms_stream_end_to_end_latency_seconds", "histogram", (),
       "Seconds from a reading's collection to its micro-batch written to the lake"),
    # --- stream job: each micro-batch's quality report -----------------------------------------
    _m("stream", "fms_quality_score_ratio", "gauge", Q,
       "Quality score of the last micro-batch (0..1; alert below the threshold)"),
    _m("stream", "fms_quality_dimension_ratio", "gauge", ("query", "dimension"),
       "Quality dimensions of the last micro-batch: completeness, accuracy, consistency, "
       "timeliness (0..1)"),
    # --- stream job: devices, from the accepted readings ---------------------------------------
    _m("stream", "fms_device_sensor_value", "gauge", S,
       "Current cleaned sensor or motor value of a device (last accepted reading)"),
    _m("stream", "fms_device_baseline_value", "gauge", S,
       "The device's profile mean of a sensor or motor (data/devices.yaml), the alert baseline"),
    _m("stream", "fms_device_last_seen_timestamp_seconds", "gauge", D,
       "Unix time of the device's last accepted reading"),
    _m("stream", "fms_device_failing", "gauge", D,
       "1 when a reading of the device in the last micro-batch had isFail"),
    _m("stream", "fms_device_failures_total", "counter", D, "Readings with isFail true"),
    # --- alert notifier (`fmslab alerts`) ------------------------------------------------------
    _m("alerts", "fms_alerts_events_total", "counter", ("type", "severity"),
       "Events consumed from fms-alerts"),
    _m("alerts", "fms_alerts_deliveries_total", "counter", ("outcome",),
       "Events by delivery outcome (accepted, refused, recorded_only; failed: a post retried)"),
    _m("alerts", "fms_alerts_pending", "gauge", (), "Events read but not yet accepted"),
    _m("alerts", "fms_alerts_consumer_lag", "gauge", (),
       "fms-alerts offsets not yet read by the notifier"),
)  # fmt: skip

BY_NAME: dict[str, MetricSpec] = {spec.name: spec for spec in CATALOG}


def specs(service: Service) -> tuple[MetricSpec, ...]:
    """The catalog entries one service exports."""
    return tuple(spec for spec in CATALOG if spec.service == service)


def series_names() -> frozenset[str]:
    """Every series name a PromQL expression may use (histogram suffixes included)."""
    return frozenset(name for spec in CATALOG for name in spec.sample_names())


def make_metrics(
    service: Service, registry: Any, buckets: tuple[float, ...] = LATENCY_BUCKETS
) -> dict[str, Any]:
    """prometheus_client objects for every metric of `service`, by catalog name."""
    from prometheus_client import Counter, Gauge, Histogram

    made: dict[str, Any] = {}
    for spec in specs(service):
        if spec.kind == "counter":
            made[spec.name] = Counter(spec.base_name, spec.help, spec.labels, registry=registry)
        elif spec.kind == "gauge":
            made[spec.name] = Gauge(spec.name, spec.help, spec.labels, registry=registry)
        else:
            made[spec.name] = Histogram(
                spec.name, spec.help, spec.labels, buckets=buckets, registry=registry
            )
    return made


def exposed_families(text: str) -> dict[str, str]:
    """Families in a /metrics text (catalog-style name -> type), from prometheus_client's
    parser; counters get their `_total` back."""
    from prometheus_client.parser import text_string_to_metric_families

    found: dict[str, str] = {}
    for family in text_string_to_metric_families(text):
        name = f"{family.name}_total" if family.type == "counter" else family.name
        found[name] = family.type
    # prometheus_client adds a `<name>_created` gauge beside each counter and histogram.
    for name in list(found):
        base = name.removesuffix("_created")
        if base != name and (f"{base}_total" in found or found.get(base) == "histogram"):
            del found[name]
    return found
