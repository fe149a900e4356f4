"""Fixtures of the monitoring tests: local Slack and SMTP receivers, a broker with the topics,
the embedded Prometheus and Alertmanager (real binaries), all stopped by pid afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fmslab.broker.embedded import embedded_broker
from fmslab.broker.topics import create_topics
from fmslab.config import Settings
from fmslab.monitoring import monitor, render
from fmslab.monitoring.receivers import MailReceiver, SlackReceiver
from fmslab.services import free_port


@pytest.fixture
def slack() -> Iterator[SlackReceiver]:
    """A Slack-compatible webhook that records every payload."""
    with SlackReceiver() as receiver:
        yield receiver


@pytest.fixture
def mail() -> Iterator[MailReceiver]:
    """A local SMTP server (aiosmtpd) that records every message."""
    with MailReceiver() as receiver:
        yield receiver


@pytest.fixture
def topics_broker(tmp_path: Path) -> Iterator[str]:
    """A fresh Tansu broker with the course's topics; yields its bootstrap."""
    with embedded_broker(state_dir=tmp_path / "broker-state") as bootstrap:
        create_topics(bootstrap)
        yield bootstrap


def quick_alertmanager(
    folder: Path, slack: SlackReceiver, mail: MailReceiver
) -> render.AlertmanagerValues:
    """The committed routing with second-long group timings, to the local receivers."""
    folder.mkdir(parents=True, exist_ok=True)
    url_file = folder / "slack-webhook-url"
    url_file.write_text(slack.url, encoding="utf-8")
    return render.AlertmanagerValues(
        slack_url_file=str(url_file),
        smtp_smarthost=mail.smarthost,
        group_wait="1s",
        group_interval="2s",
    )


@pytest.fixture
def monitoring(tmp_path: Path, slack: SlackReceiver, mail: MailReceiver) -> Iterator[Settings]:
    """Settings whose embedded Prometheus and Alertmanager run (skipped where not installed)."""
    missing = monitor.missing_binaries()
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed: {monitor.INSTALL_HINT}")
    settings = Settings(
        api_port=free_port(), broker_port=free_port(), metrics_port=free_port(),
        stream_metrics_port=free_port(), state_dir=tmp_path / "state",
        lake_dir=tmp_path / "lake", reports_dir=tmp_path / "reports", log_dir=tmp_path / "log",
    )  # fmt: skip
    options = monitor.MonitorOptions(
        "1s", "1s", alertmanager=quick_alertmanager(tmp_path / "am-secrets", slack, mail)
    )
    monitor.up(settings, options)
    yield settings
    monitor.down(settings)
