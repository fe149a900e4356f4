"""Who is told about a failing reading in the demo: `fmslab alerts` (the notifier) always;
Alertmanager, with local Slack and e-mail stand-ins as its receivers, when it is installed.

    alerts zone + fms-alerts (stream job) -> `fmslab alerts` -> Alertmanager -> Slack, e-mail
                                                    `-> delivery log (JSONL)

Without Alertmanager on PATH the notifier records each event only (`recorded_only`) and the
demo says so: the Alertmanager part is skipped, not faked.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from fmslab.config import Settings
from fmslab.jobs.orchestration import service_env
from fmslab.services import fmslab_command, free_port, start_service, stop_service

# Alerts fire in seconds in a demo (the committed rules keep their `for` durations).
DEMO_FOR = {"sensor": "0s", "device_failure": "0s"}


class Notifications:
    """The notifier and, where installed, Alertmanager + Prometheus and the local receivers."""

    def __init__(self, settings: Settings, state: Path) -> None:
        self.settings, self.state = settings, state
        self.slack: Any = None
        self.mail: Any = None
        self.alertmanager: str | None = None
        self.skipped: list[str] = []

    def start(self, stack: contextlib.ExitStack, bootstrap: str) -> None:
        """Start what is installed; every part is stopped when `stack` closes."""
        from fmslab.monitoring import monitor

        missing = monitor.missing_binaries()
        alerts_port = free_port()
        if missing:
            self.skipped.append(
                f"{' and '.join(missing)} not installed, so no notification is sent; the "
                f"notifier records each event only ({monitor.INSTALL_HINT})"
            )
        else:
            self._start_monitoring(stack, alerts_port)
        cmd = fmslab_command("alerts", "--bootstrap", bootstrap, "--metrics-port", str(alerts_port))
        if self.alertmanager:
            cmd += ["--alertmanager", self.alertmanager]
        start_service(
            "alerts", cmd, state_dir=self.state, port=alerts_port, env=service_env(self.settings),
            timeout=30,
        )  # fmt: skip
        stack.callback(stop_service, "alerts", self.state)

    def _start_monitoring(self, stack: contextlib.ExitStack, alerts_port: int) -> None:
        from fmslab.monitoring import monitor, render
        from fmslab.monitoring.receivers import MailReceiver, SlackReceiver

        self.slack = stack.enter_context(SlackReceiver())
        self.mail = stack.enter_context(MailReceiver())
        url_file = monitor.monitor_dir(self.settings).parent / "demo-secrets" / "slack-webhook-url"
        url_file.parent.mkdir(parents=True, exist_ok=True)
        url_file.write_text(self.slack.url, encoding="utf-8")
        stack.callback(url_file.unlink, missing_ok=True)
        values = render.AlertmanagerValues(
            slack_url_file=str(url_file), smtp_smarthost=self.mail.smarthost,
            group_wait="1s", group_interval="2s",
        )  # fmt: skip
        options = monitor.MonitorOptions(
            "1s", "1s", dict(DEMO_FOR), values, alerts_port=alerts_port
        )
        stack.callback(monitor.down, self.settings)
        monitor.up(self.settings, options)
        self.alertmanager = monitor.service_url(self.settings, "alertmanager")

    def slack_messages(self) -> list[dict[str, Any]]:
        """Payloads the Slack stand-in received."""
        return self.slack.payloads() if self.slack else []

    def emails(self) -> list[Any]:
        """Messages the SMTP stand-in received."""
        return self.mail.emails() if self.mail else []
