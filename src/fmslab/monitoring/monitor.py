"""Prometheus and Alertmanager for the embedded pipeline: `fmslab monitor up|down|status`.

Both run from the binaries on PATH (Debian's `prometheus` and `prometheus-alertmanager`), on
free ports of 127.0.0.1, with their data in a fresh folder under `<state dir>/monitor/` (removed
by `down`), and are recorded and stopped by pid like the pipeline's services. Their
configuration is rendered from the same templates as the stack's (`fmslab.monitoring.render`),
with the local ports of the embedded services as scrape targets.

Credentials come from the environment, never from a file in git: FMSLAB_SLACK_WEBHOOK_URL is
written to `<monitor dir>/secrets/slack-webhook-url` (mode 600) for Alertmanager's
`api_url_file`; FMSLAB_SMTP_SMARTHOST, FMSLAB_SMTP_FROM, FMSLAB_ALERT_EMAIL_TO,
FMSLAB_SMTP_USERNAME and FMSLAB_SMTP_PASSWORD (written to a file the same way) set the e-mail.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from fmslab.config import Settings
from fmslab.monitoring import render
from fmslab.services import (
    Service,
    ServiceError,
    free_port,
    http_ok,
    read_service,
    start_service,
    stop_service,
)

NAMES = ("alertmanager", "prometheus")  # start order (Prometheus sends to Alertmanager)
ALERTS_METRICS_PORT = 9875  # `fmslab alerts` (FMSLAB_ALERTS_METRICS_PORT)
NO_WEBHOOK = "http://127.0.0.1:9/no-slack-webhook-configured"  # port 9 (discard): fails fast
INSTALL_HINT = (
    "install them: Debian/Ubuntu `sudo apt-get install prometheus prometheus-alertmanager`; "
    "macOS `brew install prometheus alertmanager`; conda "
    "`conda install -c conda-forge prometheus alertmanager`; elsewhere the release archives "
    "of https://prometheus.io/download (put both binaries on PATH)"
)


class MonitoringMissing(ServiceError):
    """Prometheus or Alertmanager is not installed (the message says how to install it)."""


# Debian names Alertmanager's binary prometheus-alertmanager; upstream, brew and conda do not.
BINARIES = {
    "prometheus": ("prometheus",),
    "alertmanager": ("alertmanager", "prometheus-alertmanager"),
}


def binary(name: str) -> str | None:
    """The path of the `prometheus` or `alertmanager` binary on PATH, None when missing."""
    return next((p for c in BINARIES[name] if (p := shutil.which(c))), None)


def missing_binaries() -> list[str]:
    """The monitoring binaries not found on PATH."""
    return [name for name in BINARIES if binary(name) is None]


def require_binaries(names: tuple[str, ...] = ("prometheus", "alertmanager")) -> None:
    """Raise MonitoringMissing, naming what is missing and how to install it."""
    missing = [name for name in names if binary(name) is None]
    if missing:
        raise MonitoringMissing(f"{' and '.join(missing)} not found on PATH; {INSTALL_HINT}")


@dataclass
class MonitorOptions:
    """How the embedded monitoring runs (tests shorten the intervals and `for` durations)."""

    scrape_interval: str = "5s"
    evaluation_interval: str = "5s"
    for_overrides: dict[str, str] = field(default_factory=dict)
    alertmanager: render.AlertmanagerValues | None = None  # None: from the environment
    prometheus_port: int | None = None  # None: a free port
    alertmanager_port: int | None = None
    alerts_port: int | None = None  # `fmslab alerts` /metrics (None: FMSLAB_ALERTS_METRICS_PORT)


def monitor_dir(settings: Settings) -> Path:
    """Where the embedded Prometheus and Alertmanager keep their configuration and data."""
    return Path(settings.state_dir or ".fmslab") / "monitor"


def alerts_metrics_port() -> int:
    """The port of `fmslab alerts`' /metrics (FMSLAB_ALERTS_METRICS_PORT, default 9875)."""
    return int(os.environ.get("FMSLAB_ALERTS_METRICS_PORT", ALERTS_METRICS_PORT))


def embedded_targets(
    settings: Settings, prometheus_port: int, alertmanager_port: int, alerts_port: int | None = None
) -> dict[str, str]:
    """Scrape targets of the embedded services (their configured local ports)."""
    host = settings.host
    return {
        "api": f"{host}:{settings.api_port}",
        "collector": f"{host}:{settings.metrics_port}",
        "stream": f"{host}:{settings.stream_metrics_port}",
        "alerts": f"{host}:{alerts_port or alerts_metrics_port()}",
        "prometheus": f"{host}:{prometheus_port}",
        "alertmanager": f"{host}:{alertmanager_port}",
    }


def _secret(folder: Path, name: str, value: str) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(value, encoding="utf-8")
    path.chmod(0o600)
    return str(path)


def alertmanager_values_from_env(folder: Path) -> render.AlertmanagerValues:
    """Receivers from FMSLAB_* variables (see the module docstring); secrets go to files."""
    env = os.environ
    secrets = folder / "secrets"
    values = render.AlertmanagerValues(
        slack_url_file=_secret(
            secrets, "slack-webhook-url", env.get("FMSLAB_SLACK_WEBHOOK_URL", NO_WEBHOOK)
        ),
        smtp_smarthost=env.get("FMSLAB_SMTP_SMARTHOST", "127.0.0.1:1025"),
        smtp_from=env.get("FMSLAB_SMTP_FROM", "fms-alerts@fmslab.local"),
        email_to=env.get("FMSLAB_ALERT_EMAIL_TO", "factory-manager@fmslab.local"),
        smtp_username=env.get("FMSLAB_SMTP_USERNAME") or None,
    )
    if env.get("FMSLAB_SMTP_PASSWORD"):
        values.smtp_password_file = _secret(secrets, "smtp-password", env["FMSLAB_SMTP_PASSWORD"])
    return values


def _write_configs(
    settings: Settings, options: MonitorOptions, folder: Path, ports: tuple[int, int]
) -> tuple[Path, Path]:
    prometheus_port, alertmanager_port = ports
    rules = folder / "rules" / "fms.yml"
    rules.parent.mkdir(parents=True, exist_ok=True)
    rules.write_text(render.render_rules(for_overrides=options.for_overrides), encoding="utf-8")
    prom_values = render.PrometheusValues(
        targets=embedded_targets(settings, prometheus_port, alertmanager_port, options.alerts_port),
        rule_files=str(rules.parent / "*.yml"),
        scrape_interval=options.scrape_interval,
        scrape_timeout=options.scrape_interval,
        evaluation_interval=options.evaluation_interval,
    )
    prom_config = folder / "prometheus.yml"
    prom_config.write_text(render.render_prometheus(prom_values), encoding="utf-8")
    am_values = options.alertmanager or alertmanager_values_from_env(folder)
    am_config = folder / "alertmanager.yml"
    am_config.write_text(render.render_alertmanager(am_values), encoding="utf-8")
    return prom_config, am_config


def _start_alertmanager(state: Path, folder: Path, config: Path, port: int) -> Service:
    url = f"http://127.0.0.1:{port}"
    cmd = [
        binary("alertmanager") or "alertmanager",
        f"--config.file={config}",
        f"--storage.path={folder / 'alertmanager-data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        f"--web.external-url={url}",  # links in notifications point here, not at the hostname
        "--cluster.listen-address=",  # one instance: no gossip port
        "--log.level=info",
    ]
    return start_service(
        "alertmanager", cmd, state_dir=state, port=port, url=url,
        ready=http_ok(f"{url}/-/ready"), timeout=60,
    )  # fmt: skip


def _start_prometheus(state: Path, folder: Path, config: Path, port: int) -> Service:
    url = f"http://127.0.0.1:{port}"
    cmd = [
        binary("prometheus") or "prometheus",
        f"--config.file={config}",
        f"--storage.tsdb.path={folder / 'prometheus-data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        f"--web.external-url={url}",
        "--web.enable-lifecycle",
    ]
    return start_service(
        "prometheus", cmd, state_dir=state, port=port, url=url,
        ready=http_ok(f"{url}/-/ready"), timeout=60,
    )  # fmt: skip


def up(settings: Settings, options: MonitorOptions | None = None) -> list[Service]:
    """Start Alertmanager, then Prometheus, against the embedded pipeline's ports.

    Raises MonitoringMissing where a binary is missing and ServiceError when one runs already or
    does not become ready (whatever this call started is stopped again)."""
    options = options or MonitorOptions()
    require_binaries()
    state = Path(settings.state_dir or ".fmslab")
    running = [n for n in NAMES if (s := read_service(n, state)) is not None and s.alive()]
    if running:
        raise ServiceError(f"already running: {', '.join(running)}; run `fmslab monitor down`")
    folder = monitor_dir(settings)
    shutil.rmtree(folder, ignore_errors=True)  # a fresh, temporary data folder per `up`
    folder.mkdir(parents=True)
    ports = (options.prometheus_port or free_port(), options.alertmanager_port or free_port())
    prom_config, am_config = _write_configs(settings, options, folder, ports)
    started: list[Service] = []
    try:
        started.append(_start_alertmanager(state, folder, am_config, ports[1]))
        started.append(_start_prometheus(state, folder, prom_config, ports[0]))
    except Exception:
        for service in reversed(started):
            stop_service(service, state)
        raise
    return started


def down(settings: Settings) -> list[str]:
    """Stop Prometheus and Alertmanager by pid and remove their data folder."""
    state = Path(settings.state_dir or ".fmslab")
    stopped = [name for name in reversed(NAMES) if stop_service(name, state)]
    shutil.rmtree(monitor_dir(settings), ignore_errors=True)
    return stopped


def service_url(settings: Settings, name: str) -> str | None:
    """The URL of a running embedded Prometheus or Alertmanager, None when it is not running."""
    service = read_service(name, Path(settings.state_dir or ".fmslab"))
    return service.url if service is not None and service.alive() else None


def status(settings: Settings) -> list[dict[str, Any]]:
    """Per engine: pid, url, alive, ready; Prometheus also its targets' health."""
    rows = []
    for name in NAMES:
        service = read_service(name, Path(settings.state_dir or ".fmslab"))
        row: dict[str, Any] = {"name": name, "pid": None, "url": None, "alive": False}
        if service is not None:
            row |= {"pid": service.pid, "url": service.url, "alive": service.alive()}
            row["ready"] = row["alive"] and http_ok(f"{service.url}/-/ready")()
            if name == "prometheus" and row["ready"]:
                row["targets"] = target_health(service.url or "")
        rows.append(row)
    return rows


def target_health(prometheus_url: str) -> dict[str, str]:
    """job -> health ("up", "down", "unknown") of every active scrape target."""
    reply = httpx.get(f"{prometheus_url}/api/v1/targets", timeout=5).json()
    return {
        t["labels"]["job"]: t["health"]
        for t in reply["data"]["activeTargets"]
        if "job" in t["labels"]
    }


def restart(settings: Settings, name: str) -> Service:
    """Start a stopped (or killed) Prometheus or Alertmanager again with its recorded command
    and configuration (its data folder is kept: Alertmanager resumes its notification log)."""
    state = Path(settings.state_dir or ".fmslab")
    service = read_service(name, state)
    if service is None:
        raise ServiceError(f"no {name} was recorded under {state}; run `fmslab monitor up`")
    stop_service(service, state)
    return start_service(
        name, service.cmd, state_dir=state, port=service.port, url=service.url,
        ready=http_ok(f"{service.url}/-/ready"), timeout=60,
    )  # fmt: skip
