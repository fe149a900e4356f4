"""Step 7: a failing reading, its alert and its notification (Slack and e-mail stand-ins)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import pandas as pd

from fmslab.demo.step import Step
from fmslab.services import wait_until

if TYPE_CHECKING:
    from fmslab.demo.running import Demo

ALERT = "DeviceFailure"


def _deliveries(demo: Demo) -> list[dict[str, Any]]:
    from fmslab.monitoring.notifier import DeliveryLog, delivery_log

    entries = DeliveryLog(delivery_log(demo.settings)).read()
    return [e for e in entries if e.get("alert", {}).get("labels", {}).get("alertname") == ALERT]


def _first_failure(demo: Demo) -> dict[str, Any] | None:
    from fmslab.lake.records import read_zone
    from fmslab.lake.storage import open_lake

    frame = read_zone(open_lake(demo.settings), "alerts")
    if frame.empty:
        return None
    first = frame.sort_values("collected_at").iloc[0]
    return {
        "rows": len(frame),
        "device": int(first["device_id"]),
        "time": str(pd.Timestamp(first["time"])),
        "reading_id": str(first["reading_id"]),
        "collected_at": pd.Timestamp(first["collected_at"]).timestamp(),
    }


def _notified(demo: Demo, step: Step, failure: dict[str, Any]) -> None:
    """Wait for the page (Slack and e-mail) and count what Alertmanager sent."""
    notes = demo.notifications

    def paged() -> bool:
        return any(ALERT in str(m.get("subject", "")) for m in notes.emails()) and any(
            ALERT in str(p) for p in notes.slack_messages()
        )

    wait_until(paged, demo.options.alert_timeout, 0.25)
    # Alertmanager counts a notification once its receiver answered, and may send the next group
    # update at any moment: read its counters, then the stand-ins, until the two agree.
    sent, slack, mails = _settled(demo)
    subjects = [str(m.get("subject", "")) for m in mails]
    step.add("Slack notifications received", len(slack), key="slack")
    step.add("e-mails received", len(mails), key="emails")
    if subjects:
        step.add("first e-mail subject", subjects[0], key="first_subject")
    # Only this alert's notifications: another rule may have paged earlier (a service starting).
    received = [*notes.slack.messages, *notes.mail.messages]
    arrivals = [m.at for m in received if ALERT in str(m.payload)]
    if arrivals:
        delay = min(arrivals) - failure["collected_at"]
        step.add("collected -> first notification", f"{delay:.1f} s", key="page_s",
                 raw=round(delay, 1))  # fmt: skip
    for integration in ("slack", "email"):
        step.add(f"Alertmanager notifications sent ({integration})", sent.get(integration, 0),
                 key=f"am_sent_{integration}")  # fmt: skip


SETTLE_S = 15.0  # longer than a few of the demo's 2 s group intervals


def _settled(demo: Demo) -> tuple[dict[str, int], list[Any], list[Any]]:
    """Alertmanager's sent counters and what the stand-ins received, read until they agree (or
    SETTLE_S passes: then the last reading of both, which the step shows side by side)."""
    from fmslab.monitoring.summary import monitoring_figures

    notes = demo.notifications
    deadline = time.monotonic() + SETTLE_S
    while True:
        sent = (monitoring_figures(demo.settings) or {}).get("notifications", {})
        slack, mails = notes.slack_messages(), notes.emails()
        agree = sent.get("slack", 0) == len(slack) and sent.get("email", 0) == len(mails)
        if agree or time.monotonic() > deadline:
            return sent, slack, mails
        time.sleep(0.25)


def show(demo: Demo, number: int) -> Step:
    """The first isFail reading in the alerts zone, the notifier's delivery, the page."""
    step = Step.of(number, "alert")
    failure = _first_failure(demo)
    if failure is None:
        step.add("failing readings (alerts zone)", 0, key="failing")
        step.skipped.append(
            f"no failing reading within {demo.options.alert_timeout:g} s; run longer "
            "(--duration) or with more devices (--devices)"
        )
        return step
    step.add("failing readings (alerts zone)", failure["rows"], key="failing")
    first = {k: failure[k] for k in ("device", "time", "reading_id")}
    text = f"device {failure['device']} at {failure['time']}"
    step.add("first failing reading", text, key="first_failure", raw=first)
    wait_until(lambda: len(_deliveries(demo)) >= failure["rows"], demo.options.alert_timeout, 0.25)
    entries = _deliveries(demo)
    outcomes: dict[str, int] = {}
    for entry in entries:
        outcomes[entry["outcome"]] = outcomes.get(entry["outcome"], 0) + 1
    step.add(f"{ALERT} events the notifier handled", len(entries), key="events")
    for outcome, count in sorted(outcomes.items()):
        step.add(f"events {outcome}", count, key=f"events_{outcome}")
    if demo.notifications.alertmanager:
        _notified(demo, step, failure)
    else:
        step.skipped += demo.notifications.skipped
    return step
