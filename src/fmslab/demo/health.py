"""Step 1: every service is up and answers its health check."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fmslab.demo.step import Step
from fmslab.jobs import orchestration
from fmslab.services import read_service

if TYPE_CHECKING:
    from fmslab.demo.running import Demo


def show(demo: Demo, number: int) -> Step:
    """Health of the pipeline's services, the notifier and (when installed) monitoring."""
    step = Step.of(number, "health")
    rows = [(r["name"], r["healthy"]) for r in orchestration.status(demo.settings)]
    alerts = read_service("alerts", demo.state)
    rows.append(("alerts (notifier)", alerts is not None and alerts.alive()))
    if demo.notifications.alertmanager:
        from fmslab.monitoring import monitor

        rows += [(r["name"], bool(r.get("ready"))) for r in monitor.status(demo.settings)]
    else:
        step.skipped += demo.notifications.skipped
    for name, healthy in rows:
        step.add(name, "healthy" if healthy else "DOWN", key=name, raw=healthy)
    healthy = sum(1 for _name, ok in rows if ok)
    step.add("services healthy", f"{healthy} of {len(rows)}", key="healthy", raw=healthy)
    step.figures["services"] = len(rows)
    # The pids of every process the demo started, so a record can prove they were all stopped.
    records = (p.stem for p in (demo.state / "services").glob("*.json"))
    step.figures["pids"] = {n: s.pid for n in sorted(records) if (s := read_service(n, demo.state))}
    return step
