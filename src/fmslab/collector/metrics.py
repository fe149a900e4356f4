"""Prometheus metrics of the collector, in their own registry, served on 127.0.0.1 by default."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from fmslab.collector.breaker import CircuitState
from fmslab.services import MetricsEndpoint

READINGS = "fms_collector_readings_total"
API_ERRORS = "fms_collector_api_errors_total"
RETRIES = "fms_collector_retries_total"
CIRCUIT_STATE = "fms_collector_circuit_state"
SPOOL_DEPTH = "fms_collector_spool_depth"
PRODUCE_LATENCY = "fms_collector_produce_latency_seconds"
LAST_SEEN = "fms_collector_last_seen_timestamp_seconds"
SENSOR_VALUE = "fms_collector_sensor_value"
QUARANTINED = "fms_collector_quarantined_total"
DELIVERIES = "fms_collector_deliveries_total"

#: Every metric name the collector exports (dashboards and alert rules may only use these).
METRIC_NAMES: tuple[str, ...] = (
    READINGS,
    API_ERRORS,
    RETRIES,
    CIRCUIT_STATE,
    SPOOL_DEPTH,
    PRODUCE_LATENCY,
    LAST_SEEN,
    SENSOR_VALUE,
    QUARANTINED,
    DELIVERIES,
)

# Poll-to-ack is milliseconds when healthy and seconds during a broker outage.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class CollectorMetrics(MetricsEndpoint):
    """The collector's metric objects, registered in a private registry."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        reg = self.registry
        self.readings = Counter(
            READINGS, "Readings accepted from the API", ["device"], registry=reg
        )
        self.api_errors = Counter(
            API_ERRORS, "Failed API requests by kind", ["device", "kind"], registry=reg
        )
        self.retries = Counter(RETRIES, "API request retries", registry=reg)
        self.circuit_state = Gauge(
            CIRCUIT_STATE,
            "Circuit breaker: 0 closed, 1 half-open, 2 open",
            ["device"],
            registry=reg,
        )
        self.spool_depth = Gauge(SPOOL_DEPTH, "Readings waiting in the local spool", registry=reg)
        self.produce_latency = Histogram(
            PRODUCE_LATENCY,
            "Seconds from the start of a poll to the broker's acknowledgement",
            buckets=LATENCY_BUCKETS,
            registry=reg,
        )
        self.last_seen = Gauge(
            LAST_SEEN, "Unix time of the device's last accepted reading", ["device"], registry=reg
        )
        self.sensor_value = Gauge(
            SENSOR_VALUE, "Current sensor or motor value", ["device", "sensor"], registry=reg
        )
        self.quarantined = Counter(
            QUARANTINED, "Payloads set aside as not a reading", ["device"], registry=reg
        )
        self.deliveries = Counter(
            DELIVERIES, "Broker delivery outcomes (acked, failed)", ["outcome"], registry=reg
        )
        self._server: Any = None

    def set_circuit(self, device: int, state: CircuitState) -> None:
        """Report a device's breaker state."""
        self.circuit_state.labels(device=str(device)).set(int(state))

    def device(self, device: int) -> DeviceSeries:
        """The per-device series of `device`, resolved once (`labels()` is costly per reading)."""
        return DeviceSeries(self, device)


class DeviceSeries:
    """One device's labelled series, looked up once and reused for every reading."""

    def __init__(self, metrics: CollectorMetrics, device: int) -> None:
        self.label = str(device)
        self._metrics = metrics
        self.readings = metrics.readings.labels(device=self.label)
        self.last_seen = metrics.last_seen.labels(device=self.label)
        self._circuit = metrics.circuit_state.labels(device=self.label)
        self._circuit_value: int | None = None
        self._sensors: dict[str, Any] = {}

    def circuit(self, state: CircuitState) -> None:
        """Report the breaker state (only changes touch the gauge)."""
        if state != self._circuit_value:
            self._circuit_value = int(state)
            self._circuit.set(int(state))

    def sensor(self, name: str, value: float) -> None:
        """Set the current value of one sensor or motor."""
        child = self._sensors.get(name)
        if child is None:
            child = self._sensors[name] = self._metrics.sensor_value.labels(
                device=self.label, sensor=name
            )
        child.set(value)
