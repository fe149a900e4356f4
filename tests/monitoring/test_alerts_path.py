"""`fmslab alerts` against the real Alertmanager: events become alerts, Alertmanager routes them
to the local Slack and SMTP receivers, and a killed Alertmanager loses no event."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from fmslab.broker.clients import make_producer
from fmslab.broker.offsets import committed_offsets, end_offsets
from fmslab.config import Settings
from fmslab.monitoring import monitor
from fmslab.monitoring.notifier import GROUP, AlertNotifier, DeliveryLog, delivery_log
from fmslab.monitoring.receivers import MailReceiver, SlackReceiver
from fmslab.services import (
    fmslab_command,
    free_port,
    pid_alive,
    read_service,
    start_service,
    stop_service,
    wait_until,
)


def _failure(device: int) -> dict:
    return {"type": "device_failure", "severity": "HIGH", "DeviceId": device,
            "time": "2026-01-15T14:30:00Z", "reading_id": f"r-{device}", "reasons": []}  # fmt: skip


def _send(bootstrap: str, *values: object) -> None:
    producer = make_producer(bootstrap)
    for value in values:
        producer.send("fms-alerts", value).get(timeout=30)
    producer.close()


def _env(settings: Settings) -> dict[str, str]:
    return {**os.environ, "FMSLAB_STATE_DIR": str(settings.state_dir), "COLUMNS": "200"}


def _slack_devices(slack: SlackReceiver, alertname: str) -> list[str]:
    """Device of each Slack message about `alertname` (the critical route groups by device)."""
    found = []
    for payload in slack.payloads():
        for attachment in payload.get("attachments", []):
            if alertname in attachment.get("title", ""):
                found.append(attachment.get("text", ""))
    return found


def test_events_reach_slack_and_email_and_none_is_lost_when_alertmanager_dies(
    monitoring: Settings, topics_broker: str, slack: SlackReceiver, mail: MailReceiver
) -> None:
    settings, state = monitoring, Path(monitoring.state_dir)
    am_url = monitor.service_url(settings, "alertmanager")
    cmd = fmslab_command(
        "alerts", "--bootstrap", topics_broker, "--alertmanager", am_url,
        "--metrics-port", str(free_port()),
    )  # fmt: skip
    alerts = start_service("alerts", cmd, state_dir=state, env=_env(settings), timeout=30)
    try:
        quality = {"type": "quality_score", "severity": "WARNING", "score": 0.5, "batch_id": 3}
        _send(topics_broker, *(_failure(d) for d in (1, 2, 3)), quality, "not json {")
        assert wait_until(lambda: len(mail.emails()) >= 3 and len(slack.payloads()) >= 4, 60, 0.2)

        # Alertmanager dies; events keep coming; the notifier retries and commits nothing.
        am = read_service("alertmanager", state)
        os.killpg(am.pid, signal.SIGKILL)
        assert wait_until(lambda: not pid_alive(am.pid), 10)
        committed = committed_offsets(topics_broker, GROUP, "fms-alerts")[0]
        _send(topics_broker, _failure(4), _failure(5))
        time.sleep(3)
        assert committed_offsets(topics_broker, GROUP, "fms-alerts")[0] == committed
        monitor.restart(settings, "alertmanager")
        assert wait_until(lambda: len(mail.emails()) >= 5, 60, 0.2)
        assert wait_until(
            lambda: committed_offsets(topics_broker, GROUP, "fms-alerts")[0] == 7, 30, 0.2
        )
        time.sleep(3)  # anything more Alertmanager would send (it must not)

        # Exactly: one page per failing device on both channels, the warning on Slack only.
        subjects = sorted(m["Subject"] for m in mail.emails())
        assert subjects == [f"[FMS FIRING] DeviceFailure {d}" for d in range(1, 6)]
        failures = _slack_devices(slack, "DeviceFailure")
        assert sorted(failures) == sorted(
            f"Device {d} reports a failure (isFail) at 2026-01-15T14:30:00Z\n" for d in range(1, 6)
        )
        assert len(_slack_devices(slack, "BatchQualityLow")) == 1
        assert len(slack.payloads()) == 6

        # The delivery log: every offset once; the bad payload kept with its reason.
        entries = DeliveryLog(delivery_log(settings)).read()
        assert sorted(e["offset"] for e in entries) == list(range(7))
        outcomes = {e["offset"]: e["outcome"] for e in entries}
        assert outcomes[4] == "bad_payload" and list(outcomes.values()).count("accepted") == 6
        assert end_offsets(topics_broker, "fms-alerts")[0] == 7

        # `fmslab alerts test` goes the whole way and says where Alertmanager routed it.
        for severity, receiver in (("critical", "slack-and-email"), ("info", "log-only")):
            done = subprocess.run(
                fmslab_command("alerts", "test", "--severity", severity,
                               "--bootstrap", topics_broker, "--alertmanager", am_url),
                capture_output=True, text=True, env=_env(settings), timeout=90,
            )  # fmt: skip
            assert done.returncode == 0, done.stderr
            assert f"routed to: {receiver}" in done.stdout, done.stdout
    finally:
        stop_service(alerts, state)


def test_without_alertmanager_every_event_is_recorded_and_nobody_is_notified(
    topics_broker: str, tmp_path: Path
) -> None:
    _send(topics_broker, _failure(1), _failure(2))
    log = tmp_path / "deliveries.jsonl"
    notifier = AlertNotifier(topics_broker, None, log)
    notifier.run(duration=30, until=lambda: notifier.stats.events >= 2)
    assert [e["outcome"] for e in DeliveryLog(log).read()] == ["recorded_only"] * 2
    assert notifier.stats.accepted == 0
    # The command says so, and how to install Alertmanager (here: none on PATH). Recorded
    # events are committed (the log holds them): the command reads only the new one.
    _send(topics_broker, _failure(3))
    env = {**os.environ, "PATH": "", "FMSLAB_STATE_DIR": str(tmp_path / "state")}
    done = subprocess.run(
        [sys.executable, "-m", "fmslab", "alerts", "--duration", "3", "--metrics-port", "0",
         "--bootstrap", topics_broker],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Alertmanager is not installed" in done.stderr
    assert "NOBODY IS NOTIFIED" in done.stderr and "apt-get install" in done.stderr
    stats = json.loads(done.stdout.strip().splitlines()[-1])
    assert stats["recorded_only"] == 1 and stats["accepted"] == 0
    assert [e["event"]["DeviceId"] for e in DeliveryLog(log).read()] == [1, 2]
