"""`fmslab run`'s summary shows the monitoring figures when monitoring ran, and nothing more
when it did not."""

from __future__ import annotations

from rich.console import Console

from fmslab.jobs.run import print_summary

FIGURES = {
    "options": {"duration": 30},
    "collected": 150,
    "zones": {"processed": 140, "alerts": 6, "quarantine": 4},
    "dropped_duplicates": 0,
    "reconcile": {"backfilled": 0},
    "exactly_once": {"stored_twice": 0},
    "quality": {"score": 0.97},
    "latency_seconds": {"p50": 2.1, "p95": 4.0, "max": 5.2},
    "seconds": {"total": 75.0},
}
MONITORING = {
    "alerts_active": {"DeviceFailure": 2, "HumidityHigh": 3},
    "alerts_inhibited": 2,
    "notifications": {"email": 2, "slack": 5},
    "notifications_failed": {},
    "fms_alerts_events": {"accepted": 6},
}


def _summary(figures: dict) -> str:
    console = Console(record=True, width=120)
    print_summary(console, figures)
    return console.export_text()


def test_the_summary_counts_alerts_and_notifications_when_monitoring_ran() -> None:
    text = _summary({**FIGURES, "monitoring": MONITORING})
    for label, value in (
        ("alerts active in Alertmanager", "5"),
        ("alerts inhibited", "2"),
        ("alerts DeviceFailure", "2"),
        ("notifications email", "2"),
        ("notifications slack", "5"),
        ("fms-alerts events accepted", "6"),
    ):
        line = next(row for row in text.splitlines() if label in row)
        assert line.rstrip(" │").endswith(value), line


def test_without_monitoring_the_summary_is_unchanged() -> None:
    text = _summary(FIGURES)
    assert "notifications" not in text and "Alertmanager" not in text
    assert "readings collected (archived)" in text
