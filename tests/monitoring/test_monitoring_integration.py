"""The monitored pipeline, for real: simulator (failure episodes: isFail while the sensors drift
hot) -> collector -> Tansu -> Spark stream job -> Prometheus (real binary, 1 s scrapes, the
committed rules with `for: 2s` on the sensors) -> Alertmanager (real binary, committed routing,
second-long grouping) -> a Slack-compatible HTTP receiver and an aiosmtpd SMTP server; and
fms-alerts -> `fmslab alerts` -> the same Alertmanager. Alertmanager is killed mid-run and
restarted. One run (module fixture), several checks.
"""

from __future__ import annotations

import os
import signal
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest

from fmslab.broker.clients import make_producer
from fmslab.config import Settings
from fmslab.jobs import orchestration
from fmslab.lake.local import LocalLake
from fmslab.lake.records import read_zone
from fmslab.monitoring import monitor
from fmslab.monitoring.metrics_catalog import exposed_families, specs
from fmslab.monitoring.notifier import DeliveryLog, delivery_log
from fmslab.monitoring.receivers import MailReceiver, SlackReceiver
from fmslab.monitoring.summary import monitoring_figures, summary_rows
from fmslab.services import (
    fmslab_command,
    free_port,
    pid_alive,
    read_service,
    start_service,
    stop_service,
    wait_until,
)
from tests.monitoring.conftest import quick_alertmanager

pytestmark = pytest.mark.slow
OUTAGE_EVENTS = 3
JOBS = {"fms-api", "collector", "stream", "alerts", "prometheus", "alertmanager"}
# Rules that cannot fire in this run: pressure drifts to ~100 PSI at most (threshold 130), the
# motor, quality and lag rules keep their committed minutes-long `for`, and nothing goes quiet.
NOT_EXPECTED = {"PressureHigh", "MotorOffBaseline", "QualityScoreLow", "NoReadingsCollected",
                "TargetDown", "ConsumerLagGrowing"}  # fmt: skip


@dataclass
class Run:
    """What one monitored run produced."""

    settings: Settings
    metrics: dict[str, str] = field(default_factory=dict)  # service -> /metrics text
    targets: dict[str, str] = field(default_factory=dict)
    fired: list[dict[str, str]] = field(default_factory=list)  # Prometheus' ALERTS labels
    slack: list[tuple[float, dict]] = field(default_factory=list)
    mail: list[tuple[float, Any]] = field(default_factory=list)
    deliveries: list[dict] = field(default_factory=list)
    alerts_zone: pd.DataFrame | None = None
    processed: pd.DataFrame | None = None
    am_killed_at: float = 0.0
    am_restarted_at: float = 0.0
    summary: dict[str, Any] | None = None  # `fmslab run`'s monitoring figures
    outage_alerts: list[dict] = field(default_factory=list)  # Alertmanager's, after its restart
    phases: dict[str, float] = field(default_factory=dict)  # seconds since the start


def _scrape_all(settings: Settings, alerts_port: int) -> dict[str, str]:
    ports = {"api": settings.api_port, "collector": settings.metrics_port,
             "stream": settings.stream_metrics_port, "alerts": alerts_port}  # fmt: skip
    return {s: httpx.get(f"http://127.0.0.1:{p}/metrics", timeout=5).text for s, p in ports.items()}


def _emails(mail: MailReceiver) -> list[str]:
    return [m["Subject"] for m in mail.emails()]


def _fired(prometheus: str) -> list[dict[str, str]]:
    query = 'max_over_time(ALERTS{alertstate="firing"}[15m])'
    reply = httpx.get(f"{prometheus}/api/v1/query", params={"query": query}, timeout=10).json()
    return [r["metric"] for r in reply["data"]["result"]]


def _drive(
    run: Run, options: monitor.MonitorOptions, slack: SlackReceiver, mail: MailReceiver, port: int
) -> None:
    alerts_port = port
    settings, state = run.settings, Path(run.settings.state_dir)
    began = time.monotonic()
    orchestration.up(settings, orchestration.PipelineOptions(5, 0.5, "episodes"))
    run.phases["pipeline up"] = time.monotonic() - began
    # Monitoring starts once the pipeline runs: a busy machine's minutes-long Spark start must
    # not count as targets down (TargetDown fires after 3 minutes).
    monitor.up(settings, options)
    prometheus = monitor.service_url(settings, "prometheus")
    am_url = monitor.service_url(settings, "alertmanager")
    cmd = fmslab_command("alerts", "--bootstrap", settings.bootstrap, "--alertmanager", am_url,
                         "--metrics-port", str(alerts_port))  # fmt: skip
    env = {**os.environ, "FMSLAB_STATE_DIR": str(state)}
    start_service("alerts", cmd, state_dir=state, env=env, port=alerts_port, timeout=30)

    def all_up() -> bool:
        run.targets = monitor.target_health(prometheus)
        return set(run.targets) == JOBS and set(run.targets.values()) == {"up"}

    assert wait_until(all_up, 30, 0.5), run.targets
    # Undisturbed: until two machines were paged (or 20 s passed, once one was); then
    # Alertmanager dies while the pipeline goes on, and comes back.
    paged = time.monotonic()
    assert wait_until(lambda: any("DeviceFailure" in s for s in _emails(mail)), 90, 0.25)
    wait_until(
        lambda: len({s.split()[-1] for s in _emails(mail)}) >= 2,
        20 - (time.monotonic() - paged),
        0.25,
    )
    run.phases["pages"] = time.monotonic() - began
    run.metrics = _scrape_all(settings, alerts_port)
    am = read_service("alertmanager", state)
    run.am_killed_at = time.time()
    os.killpg(am.pid, signal.SIGKILL)
    assert wait_until(lambda: not pid_alive(am.pid), 10)
    # Events that arrive while it is down (info: routed to nobody, so no notification counts
    # change); whatever failure events the pipeline sends meanwhile wait with them.
    producer = make_producer(settings.bootstrap)
    for n in range(OUTAGE_EVENTS):
        event = {"type": "test", "severity": "info", "test_id": f"outage-{n}"}
        producer.send("fms-alerts", event).get(timeout=30)
    producer.close()
    time.sleep(3)
    monitor.restart(settings, "alertmanager")
    run.am_restarted_at = time.time()
    time.sleep(5)  # readings, alerts and notifications after the restart
    stop_service("collector", state)
    stream = read_service("stream", state)
    lake = LocalLake(Path(settings.lake_dir))

    def settled() -> bool:
        zone = read_zone(lake, "alerts")
        accepted = [
            e for e in DeliveryLog(delivery_log(settings)).read() if e["outcome"] == "accepted"
        ]
        return orchestration.stream_idle(stream) and len(accepted) >= len(zone)

    assert wait_until(settled, 60, 1.0)
    run.phases["settled"] = time.monotonic() - began
    time.sleep(4)  # Alertmanager's last group_interval (2 s) and its sends
    run.fired = _fired(prometheus)
    run.slack = [(m.at, m.payload) for m in slack.messages]
    run.mail = [(m.at, m.payload) for m in mail.messages]
    run.deliveries = DeliveryLog(delivery_log(settings)).read()
    run.alerts_zone = read_zone(lake, "alerts")
    run.processed = read_zone(lake, "processed")
    run.summary = monitoring_figures(settings)
    query = {"filter": 'alertname="FmsTestAlert"'}
    run.outage_alerts = httpx.get(f"{am_url}/api/v2/alerts", params=query, timeout=10).json()


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    """The whole monitored pipeline, run once for this module's checks."""
    missing = monitor.missing_binaries()
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed: {monitor.INSTALL_HINT}")
    root = Path(tmp_path_factory.mktemp("monitored"))
    settings = Settings(
        api_port=free_port(), broker_port=free_port(), metrics_port=free_port(),
        stream_metrics_port=free_port(), seed=7, state_dir=root / "state",
        lake_dir=root / "lake", reports_dir=root / "reports", log_dir=root / "log",
    )  # fmt: skip
    alerts_port = free_port()
    with SlackReceiver() as slack, MailReceiver() as mail:
        options = monitor.MonitorOptions(
            "1s", "1s", for_overrides={"sensor": "2s"},
            alertmanager=quick_alertmanager(root / "secrets", slack, mail), alerts_port=alerts_port,
        )  # fmt: skip
        result = Run(settings)
        try:
            _drive(result, options, slack, mail, alerts_port)
            yield result
        finally:
            stop_service("alerts", Path(settings.state_dir))
            orchestration.down(settings)
            monitor.down(settings)


def test_every_exposed_metric_is_in_the_catalog_and_every_catalog_metric_is_exposed(
    run: Run,
) -> None:
    for service, text in run.metrics.items():
        exposed = {n: t for n, t in exposed_families(text).items() if n.startswith("fms_")}
        assert exposed == {s.name: s.kind for s in specs(service)}, service  # type: ignore[arg-type]


def test_prometheus_scrapes_every_target(run: Run) -> None:
    assert run.targets == dict.fromkeys(JOBS, "up")
    print("phases (s since start): " + ", ".join(f"{k} {v:.0f}" for k, v in run.phases.items()))


def _slack_titles(run: Run) -> list[str]:
    return [a["title"] for _, p in run.slack for a in p.get("attachments", [])]


def test_rules_fire_and_alertmanager_routes_them_by_severity(run: Run) -> None:
    failing = set(run.alerts_zone["device_id"].astype(int).astype(str))
    assert failing, "the failure profile produced no isFail reading"
    fired = {(a["alertname"], a.get("device")) for a in run.fired}
    names = {name for name, _ in fired}
    assert names & NOT_EXPECTED == set(), fired
    assert float(run.processed["sensor3"].max()) <= 130.0  # why PressureHigh cannot fire
    # The DeviceFailure rule fired only for machines that had an isFail reading.
    rule_failing = {device for name, device in fired if name == "DeviceFailure"}
    assert rule_failing and rule_failing <= failing
    # Critical: one page per failing machine on both channels (grouped by alertname, device).
    subjects = [m["Subject"] for _, m in run.mail]
    firing_mail = [s for s in subjects if s.startswith("[FMS FIRING]")]
    assert {s.split()[-1] for s in firing_mail} == failing
    assert all("DeviceFailure" in s for s in subjects), subjects  # warnings never e-mail
    critical_slack = [t for t in _slack_titles(run) if "DeviceFailure" in t]
    assert len(critical_slack) == len(subjects)  # the same notifications on Slack
    # Warnings reach Slack only, one message per alert name group and change.
    warning_titles = [t for t in _slack_titles(run) if "(warning)" in t]
    allowed = {"TemperatureHigh", "HumidityHigh", "BatchQualityLow"}
    assert {t.split()[1] for t in warning_titles} <= allowed
    assert any("HumidityHigh" in t for t in warning_titles)  # humidity runs above 85 % (mean 90)
    counts = {
        "slack": len(run.slack),
        "email": len(run.mail),
        "slack_critical": len(critical_slack),
        "slack_warning": len(warning_titles),
        "rules_fired": sorted(names),
        "failing_devices": sorted(failing),
    }
    print(f"notifications: {counts}")


def test_no_fms_alerts_event_is_lost_when_alertmanager_is_killed(run: Run) -> None:
    accepted = [e for e in run.deliveries if e["outcome"] == "accepted"]
    failures = [
        e["event"]["reading_id"] for e in accepted if e["event"]["type"] == "device_failure"
    ]
    assert sorted(set(failures)) == sorted(run.alerts_zone["reading_id"])
    assert {e["outcome"] for e in run.deliveries} == {"accepted"}
    offsets = [e["offset"] for e in run.deliveries]
    assert sorted(offsets) == list(range(len(offsets)))  # every offset once, none skipped
    after = [e for e in accepted if pd.Timestamp(e["at"]).timestamp() > run.am_restarted_at]
    outage = [e for e in accepted if e["event"].get("test_id", "").startswith("outage-")]
    assert len(outage) == OUTAGE_EVENTS and all(e in after for e in outage)
    # ... and the restarted Alertmanager holds them (its state died with it).
    assert sorted(a["labels"]["test_id"] for a in run.outage_alerts) == [
        f"outage-{n}" for n in range(OUTAGE_EVENTS)
    ]
    print(f"fms-alerts events accepted: {len(accepted)} ({len(after)} after the restart)")


def test_time_from_a_failing_hot_reading_to_its_notifications(run: Run) -> None:
    first = (
        run.alerts_zone.assign(at=pd.to_datetime(run.alerts_zone["collected_at"], utc=True))
        .groupby(run.alerts_zone["device_id"].astype(int).astype(str))["at"]
        .min()
    )
    # The first FIRING notification of each failing machine, per channel (later ones are
    # Alertmanager's re-sends after its restart, not new news).
    firsts: dict[str, dict[str, float]] = {"slack": {}, "email": {}}
    for at, message in run.mail:
        device = message["Subject"].split()[-1]
        if message["Subject"].startswith("[FMS FIRING]") and device in first:
            firsts["email"].setdefault(device, at)
    for at, payload in run.slack:
        for attachment in payload.get("attachments", []):
            if "DeviceFailure" in attachment["title"] and "[FIRING" in attachment["title"]:
                firsts["slack"].setdefault(attachment["text"].split()[1], at)
    # Only machines paged before Alertmanager was killed: the outage would add to the others.
    delays = {
        channel: [
            at - first[device].timestamp()
            for device, at in by_device.items()
            if at < run.am_killed_at
        ]
        for channel, by_device in firsts.items()
    }
    for channel, values in delays.items():
        assert values, channel
        assert min(values) > 0  # a notification never precedes its reading
        print(
            f"first isFail reading (sensors drifting hot) -> {channel} (Alertmanager up): "
            f"n={len(values)} "
            f"p50 {statistics.median(values):.1f} s, max {max(values):.1f} s"
        )


def test_the_run_summary_counts_alerts_and_notifications(run: Run) -> None:
    summary = run.summary
    assert summary is not None and "error" not in summary
    # Alertmanager's own counters restart with it: at most what the receivers got in all.
    assert set(summary["notifications"]) <= {"slack", "email"}
    assert summary["notifications"].get("email", 0) <= len(run.mail)
    assert summary["notifications"].get("slack", 0) <= len(run.slack)
    assert summary["notifications_failed"] == {}
    # The outage's events (info: notified to nobody) are active in the restarted Alertmanager.
    assert summary["alerts_active"]["FmsTestAlert"] == OUTAGE_EVENTS
    assert summary["fms_alerts_events"] == {"accepted": len(run.deliveries)}
    labels = [label for label, _ in summary_rows(summary)]
    assert "alerts active in Alertmanager" in labels and "alerts FmsTestAlert" in labels
