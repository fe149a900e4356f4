"""Chapter 11's monitoring bench: real Prometheus and Alertmanager over a seeded feed.

    lab = MonitoringLab(seed=42, devices=5)       # simulator, metrics, Prometheus, Alertmanager
    lab.feed(simulate_readings(seed=42, count=60, faults="episodes"))
    lab.query('fms_device_sensor_value{sensor="sensor1"}')
    lab.slack.payloads(), lab.mail.emails()
    lab.stop()

The stream job's metrics (`StreamMetrics`) are fed micro-batch by micro-batch by the project's
own rule engine in pandas (`route_records` + `batch_report`, the code the Spark job runs in each
batch), so a chapter runs in seconds and its values are seeded; `fmslab run` with `fmslab monitor
up` exports the same metrics from Spark. Where Prometheus or Alertmanager is not installed,
queries fall back to reading the metrics endpoints directly (`source` says which), and alerts
are explained but not fired.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import httpx
import pandas as pd

from fmslab.config import Settings
from fmslab.monitoring import monitor, render
from fmslab.monitoring.metrics_catalog import exposed_families
from fmslab.monitoring.receivers import MailReceiver, SlackReceiver
from fmslab.monitoring.stream_metrics import StreamMetrics
from fmslab.services import free_port, wait_until

#: The chapter's `for` durations: alerts fire within seconds (the committed rules keep theirs).
LAB_FOR = {"sensor": "0s", "device_failure": "0s"}


class MonitoringLab:
    """A simulator, the stream metrics, Prometheus, Alertmanager and local receivers."""

    def __init__(self, seed: int = 42, devices: int = 5, chapter: str = "11") -> None:
        from fmslab.simulator.process import simulator

        self._stack = contextlib.ExitStack()
        atexit.register(self.stop)
        self.state = Path(tempfile.mkdtemp(prefix=f"fmslab-{chapter}-"))
        self.slack = self._stack.enter_context(SlackReceiver())
        self.mail = self._stack.enter_context(MailReceiver())
        api_url = self._stack.enter_context(
            simulator(
                seed=seed,
                devices=devices,
                clock="virtual",
                state_dir=self.state / "api",
                log_dir=self.state / "api" / "log",
            )
        )
        self.metrics = StreamMetrics()
        self._stack.callback(self.metrics.close)
        self.settings = Settings(
            api_port=int(api_url.rsplit(":", 1)[1]),
            metrics_port=free_port(),  # no collector runs in this chapter: its target is down
            stream_metrics_port=self.metrics.serve(0),
            seed=seed,
            state_dir=self.state / "state",
        )
        self.missing = monitor.missing_binaries()
        self.prometheus: str | None = None
        self.alertmanager: str | None = None
        if not self.missing:
            self._start_monitoring()
        self._fed = 0

    @property
    def source(self) -> str:
        """Where query results come from."""
        if self.prometheus:
            return "Prometheus (PromQL over HTTP)"
        return f"the metrics endpoints directly ({', '.join(self.missing)} not installed)"

    def _start_monitoring(self) -> None:
        url_file = self.state / "secrets" / "slack-webhook-url"
        url_file.parent.mkdir(parents=True)
        url_file.write_text(self.slack.url, encoding="utf-8")
        values = render.AlertmanagerValues(
            slack_url_file=str(url_file), smtp_smarthost=self.mail.smarthost,
            group_wait="1s", group_interval="2s",
        )  # fmt: skip
        options = monitor.MonitorOptions("1s", "1s", dict(LAB_FOR), values, alerts_port=free_port())
        monitor.up(self.settings, options)
        self._stack.callback(monitor.down, self.settings)
        self.prometheus = monitor.service_url(self.settings, "prometheus")
        self.alertmanager = monitor.service_url(self.settings, "alertmanager")

    # --- the feed --------------------------------------------------------------------------

    def feed(self, readings: Iterable[Any], batch: int = 5, pause: float = 0.15) -> int:
        """Route readings `batch` at a time through the rule engine into the stream metrics,
        `pause` seconds apart (Prometheus scrapes every second); returns the batches fed."""
        from fmslab.quality.rules import load_rules
        from fmslab.quality.validator import QualityValidator
        from fmslab.streaming.processing import batch_report, route_records
        from fmslab.streaming.sinks import alert_events, utc_times

        rules = load_rules()
        validator = QualityValidator(rules)
        items = list(readings)
        batches = 0
        for start in range(0, len(items), batch):
            chunk = items[start : start + batch]
            records = pd.DataFrame(
                {
                    "value": [r if isinstance(r, str) else json.dumps(r) for r in chunk],
                    "partition": 0,
                    "offset": range(self._fed, self._fed + len(chunk)),
                    "timestamp": pd.Timestamp("2024-01-15T00:00:00Z")
                    + pd.to_timedelta(range(self._fed, self._fed + len(chunk)), unit="s"),
                }
            )
            self._fed += len(chunk)
            frame = utc_times(route_records(validator, records, None)).assign(batch_id=batches)
            report = batch_report(frame, rules)
            self.metrics.on_batch(frame, report, alert_events(frame, report, batches))
            batches += 1
            time.sleep(pause)
        return batches

    def settle(self, scrapes: int = 2) -> None:
        """Wait until Prometheus has scraped the current values (`scrapes` intervals)."""
        time.sleep(1.1 * scrapes)

    # --- queries ---------------------------------------------------------------------------

    def query(self, expr: str) -> pd.DataFrame:
        """An instant PromQL query as a frame (labels + value); raises without Prometheus."""
        if not self.prometheus:
            raise RuntimeError(f"no Prometheus: {self.source}")
        reply = httpx.get(f"{self.prometheus}/api/v1/query", params={"query": expr}, timeout=10)
        data = reply.json()
        if data["status"] != "success":
            raise ValueError(f"{expr}: {data.get('error')}")
        rows = [{**r["metric"], "value": float(r["value"][1])} for r in data["data"]["result"]]
        return pd.DataFrame(rows)

    def query_range(self, expr: str, start: float, end: float, step: float = 1.0) -> pd.DataFrame:
        """A range query as a long frame (labels, t = seconds since `start`, value)."""
        if not self.prometheus:
            raise RuntimeError(f"no Prometheus: {self.source}")
        params = {"query": expr, "start": start, "end": end, "step": step}
        data = httpx.get(f"{self.prometheus}/api/v1/query_range", params=params, timeout=10).json()
        rows = [
            {**r["metric"], "t": float(t) - start, "value": float(v)}
            for r in data["data"]["result"]
            for t, v in r["values"]
        ]
        return pd.DataFrame(rows)

    def endpoint(self, service: str) -> str:
        """The /metrics text of a running service (api or stream)."""
        port = {"api": self.settings.api_port, "stream": self.settings.stream_metrics_port}[service]
        return httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text

    def endpoint_families(self, service: str) -> dict[str, str]:
        """The fms_ families a running service exposes (name -> type)."""
        families = exposed_families(self.endpoint(service))
        return {n: t for n, t in families.items() if n.startswith("fms_")}

    def sensor_values(self, sensor: str) -> pd.Series:
        """Current value of one sensor per device: from Prometheus, or the endpoint (fallback)."""
        if self.prometheus:
            frame = self.query(f'max by (device) (fms_device_sensor_value{{sensor="{sensor}"}})')
            return frame.set_index("device")["value"].rename(sensor).sort_index(key=_numeric)
        from prometheus_client.parser import text_string_to_metric_families

        values = {
            s.labels["device"]: s.value
            for f in text_string_to_metric_families(self.endpoint("stream"))
            for s in f.samples
            if s.name == "fms_device_sensor_value" and s.labels["sensor"] == sensor
        }
        return pd.Series(values, name=sensor).sort_index(key=_numeric)

    def wait_for_slack(self, alertname: str, timeout: float = 30.0) -> list[dict[str, Any]]:
        """Slack payloads about `alertname` (waits until one arrives)."""

        def about() -> list[dict[str, Any]]:
            return [
                p
                for p in self.slack.payloads()
                if any(alertname in a.get("title", "") for a in p.get("attachments", []))
            ]

        wait_until(lambda: bool(about()), timeout, 0.2)
        return about()

    def alert_states(self) -> pd.DataFrame:
        """Alertmanager's alerts: name, device, severity, state (active or suppressed)."""
        if not self.alertmanager:
            return pd.DataFrame(columns=["alertname", "device", "severity", "state"])
        alerts = httpx.get(f"{self.alertmanager}/api/v2/alerts", timeout=10).json()
        rows = [
            {
                "alertname": a["labels"].get("alertname"),
                "device": a["labels"].get("device", ""),
                "severity": a["labels"].get("severity"),
                "state": a["status"]["state"],
            }
            for a in alerts
        ]
        return pd.DataFrame(rows).sort_values(["alertname", "device"], ignore_index=True)

    def stop(self) -> None:
        """Stop everything this bench started (a no-op the second time)."""
        self._stack.close()


def _numeric(index: pd.Index) -> pd.Index:
    return pd.Index([int(v) for v in index])


def rules_table(path: Path | None = None) -> pd.DataFrame:
    """The committed alert rules: name, severity, for, expression."""
    import yaml

    from fmslab.config import project_root

    source = path or project_root() / render.RULES_FILE
    rules = yaml.safe_load(source.read_text(encoding="utf-8"))
    return pd.DataFrame(
        [
            {"alert": r["alert"], "severity": r["labels"]["severity"], "for": r["for"],
             "expr": " ".join(r["expr"].split())}
            for g in rules["groups"]
            for r in g["rules"]
        ]
    ).set_index("alert")  # fmt: skip
