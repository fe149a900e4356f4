"""Commands of the monitoring area: `fmslab monitor up|down|status|render`, `fmslab alerts`."""

from __future__ import annotations

import json
import os
import signal
import time
import uuid
from pathlib import Path
from typing import Any

import typer

from fmslab.config import Settings, load_settings
from fmslab.monitoring.notifier import delivery_log

monitor_app = typer.Typer(
    help="Prometheus and Alertmanager for the embedded pipeline.", no_args_is_help=True
)
alerts_app = typer.Typer(
    help="Raise every fms-alerts event in Alertmanager (`fmslab alerts`), or send a test alert.",
    invoke_without_command=True,
)


@monitor_app.command("up")
def monitor_up(
    scrape_interval: str = typer.Option("5s", help="Prometheus scrape and evaluation interval."),
) -> None:
    """Start Prometheus and Alertmanager (binaries on PATH) against the embedded pipeline."""
    from fmslab.monitoring import monitor
    from fmslab.services import ServiceError

    options = monitor.MonitorOptions(scrape_interval, scrape_interval)
    settings = load_settings()
    try:
        started = monitor.up(settings, options)
    except ServiceError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1) from err
    for service in started:
        typer.echo(f"{service.name:<13} pid {service.pid:<8} {service.url}")
    if "FMSLAB_SLACK_WEBHOOK_URL" not in os.environ:
        typer.echo("note: FMSLAB_SLACK_WEBHOOK_URL is not set: Slack notifications will fail")
    typer.echo("`fmslab monitor status` checks them, `fmslab monitor down` stops them")


@monitor_app.command("down")
def monitor_down() -> None:
    """Stop the embedded Prometheus and Alertmanager by pid and remove their data."""
    from fmslab.monitoring import monitor

    stopped = monitor.down(load_settings())
    typer.echo(f"stopped: {', '.join(stopped)}" if stopped else "nothing was running")


@monitor_app.command("status")
def monitor_status(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Show whether Prometheus and Alertmanager run, and the health of each scrape target."""
    from fmslab.monitoring import monitor

    rows = monitor.status(load_settings())
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    missing = monitor.missing_binaries()
    if missing:
        typer.echo(f"not installed: {', '.join(missing)}; {monitor.INSTALL_HINT}")
    for row in rows:
        state = "ready" if row.get("ready") else ("running" if row["alive"] else "stopped")
        typer.echo(f"{row['name']:<13} {state:<8} pid {row['pid'] or '-':<8} {row['url'] or ''}")
        for job, health in sorted((row.get("targets") or {}).items()):
            typer.echo(f"  target {job:<13} {health}")


@monitor_app.command("render")
def monitor_render() -> None:
    """Write stack/prometheus, stack/alertmanager (templates + data/) and the Grafana dashboard."""
    from fmslab.monitoring.render import write_stack_files

    changed = [str(p) for p in write_stack_files()]
    try:
        from fmslab.monitoring.dashboard import DASHBOARD_FILE, write_dashboard

        if write_dashboard():
            changed.append(str(DASHBOARD_FILE))
    except ImportError as err:  # grafana-foundation-sdk is a dev dependency
        typer.echo(f"dashboard not built ({err}): pip install -e '.[dev]'", err=True)
        raise typer.Exit(1) from err
    typer.echo("\n".join(f"wrote {p}" for p in changed) if changed else "up to date")


# --- fmslab alerts --------------------------------------------------------------------------


def resolve_alertmanager(settings: Settings, url: str | None) -> tuple[str | None, str]:
    """Alertmanager's URL (option, FMSLAB_ALERTMANAGER_URL, the embedded one, the stack's), or
    None with the reason nobody will be notified."""
    from fmslab.monitoring import monitor

    url = url or os.environ.get("FMSLAB_ALERTMANAGER_URL")
    if url:
        return url, f"Alertmanager at {url}"
    if settings.mode == "stack":
        return "http://alertmanager:9093", "the stack's Alertmanager"
    running = monitor.service_url(settings, "alertmanager")
    if running:
        return running, f"the embedded Alertmanager at {running}"
    if monitor.missing_binaries():
        why = f"Alertmanager is not installed ({monitor.INSTALL_HINT})"
    else:
        why = "Alertmanager is not running (start it with `fmslab monitor up`)"
    return None, f"{why}: events are recorded only, NOBODY IS NOTIFIED"


def _bootstrap(settings: Settings, bootstrap: str | None) -> str:
    """The broker's bootstrap servers, or exit 1 with the reason when it does not answer."""
    from fmslab.broker.clients import BrokerUnreachable, require_broker

    try:
        return require_broker(bootstrap or settings.bootstrap)
    except BrokerUnreachable as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1) from err


@alerts_app.callback()
def alerts(
    ctx: typer.Context,
    duration: float | None = typer.Option(None, help="Stop after this many seconds."),
    alertmanager: str | None = typer.Option(None, help="Alertmanager URL (default: found)."),
    bootstrap: str | None = typer.Option(None, help="Kafka bootstrap servers."),
    metrics_port: int = typer.Option(
        9875, envvar="FMSLAB_ALERTS_METRICS_PORT", help="Serve /metrics here (0: off)."
    ),
) -> None:
    """Consume fms-alerts and raise each event in Alertmanager (retrying while it is down);
    offsets are committed only after it accepted; every event goes to the delivery log."""
    if ctx.invoked_subcommand is not None:
        return
    from fmslab.monitoring.notifier import AlertNotifier

    settings = load_settings()
    url, where = resolve_alertmanager(settings, alertmanager)
    servers = _bootstrap(settings, bootstrap)
    notifier = AlertNotifier(servers, url, delivery_log(settings))
    if metrics_port:
        notifier.serve_metrics(metrics_port, settings.host)
    typer.echo(f"fmslab alerts: {where}; delivery log {notifier.log.path}", err=url is None)
    signal.signal(signal.SIGTERM, lambda *_: notifier.stop())
    from fmslab.broker.offsets import OffsetsError

    try:
        notifier.run(duration)
    except KeyboardInterrupt:
        notifier.stop()
    except OffsetsError as err:  # no fms-alerts topic on that broker
        typer.echo(f"error: {err}; create the topics with `fmslab topics create`", err=True)
        raise typer.Exit(1) from err
    typer.echo(json.dumps(vars(notifier.stats)))


def _await_test(settings: Settings, servers: str, url: str | None, test_id: str) -> dict | None:
    """The delivery-log entry of the test event: from the running `fmslab alerts` service, or
    from a notifier run here until it handled the event (30 s at most)."""
    from fmslab.monitoring.notifier import AlertNotifier
    from fmslab.services import read_service

    log = delivery_log(settings)

    def entry() -> dict | None:
        from fmslab.monitoring.notifier import DeliveryLog

        found = [e for e in DeliveryLog(log).read() if e.get("event", {}).get("test_id") == test_id]
        return found[-1] if found else None

    service = read_service("alerts", Path(settings.state_dir or ".fmslab"))
    deadline = time.monotonic() + 30
    if service is not None and service.alive():
        while entry() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        return entry()
    notifier = AlertNotifier(servers, url, log)
    notifier.run(duration=30, until=lambda: entry() is not None)
    return entry()


def _receivers(url: str, test_id: str) -> list[str]:
    import httpx

    params = {"filter": f'test_id="{test_id}"'}
    for _ in range(20):
        alerts = httpx.get(f"{url}/api/v2/alerts", params=params, timeout=5).json()
        if alerts:
            return sorted({r["name"] for a in alerts for r in a.get("receivers", [])})
        time.sleep(0.25)
    return []


@alerts_app.command("test")
def alerts_test(
    severity: str = typer.Option("warning", help="info, warning, error or critical."),
    alertmanager: str | None = typer.Option(None, help="Alertmanager URL (default: found)."),
    bootstrap: str | None = typer.Option(None, help="Kafka bootstrap servers."),
) -> None:
    """Send a test event through the whole path: fms-alerts -> notifier -> Alertmanager."""
    from fmslab.broker.clients import make_producer

    settings = load_settings()
    url, where = resolve_alertmanager(settings, alertmanager)
    servers = _bootstrap(settings, bootstrap)
    test_id = uuid.uuid4().hex[:12]
    event: dict[str, Any] = {"type": "test", "severity": severity, "test_id": test_id}
    event["time"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    producer = make_producer(servers)
    producer.send("fms-alerts", event).get(timeout=30)
    producer.close()
    entry = _await_test(settings, servers, url, test_id)
    if entry is None:
        typer.echo(f"error: the test event {test_id} was not handled within 30 s", err=True)
        raise typer.Exit(1)
    if entry["outcome"] != "accepted" or url is None:
        typer.echo(f"test event {test_id}: {entry['outcome']} in {delivery_log(settings)}; {where}")
        return
    receivers = _receivers(url, test_id)
    typer.echo(f"test alert {test_id} ({severity}) accepted by {where}; routed to: "
               f"{', '.join(receivers) or '(no receiver yet)'}")  # fmt: skip


def register(app: typer.Typer) -> None:
    """Add `fmslab monitor ...` and `fmslab alerts ...` to the `fmslab` command."""
    app.add_typer(monitor_app, name="monitor")
    app.add_typer(alerts_app, name="alerts")
