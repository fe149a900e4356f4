"""`fmslab schedule`: the course's scheduler (`CourseJob` cycles) run from the command line.

    with scheduled_job(settings, options) as (scheduler, job):
        scheduler.run(options.cycles, options.every, duration=options.duration, stop_at=CRITICAL)

In embedded mode a private simulator and Tansu broker run for the length of the `with` block
(stopped by pid, and with the parent if it dies), unless `api_url` / `bootstrap` name running
ones; in stack mode the settings' endpoints are used. Spark starts at the first processing step,
so a missing JDK is a CRITICAL cycle, not a traceback.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.table import Table

from fmslab.config import Settings
from fmslab.jobs.errors import ErrorHandler, Incident, Severity
from fmslab.jobs.scheduler import CourseJob, CycleRecord, Scheduler

STATUS_STYLE = {"ok": "green", "failed": "red", "skipped": "dim"}


@dataclass
class ScheduleOptions:
    """What `fmslab schedule` runs: how many cycles, how often, and what each collects."""

    cycles: int = 1
    every: float = 0.0
    duration: float | None = None
    collect: float = 5.0
    interval: float = 1.0
    devices: int = 5
    faults: str = "none"
    api_url: str | None = None
    bootstrap: str | None = None
    work_dir: Path | None = None


def default_work_dir(settings: Settings) -> Path:
    """A fresh folder for one schedule run (checkpoint, spool, landing archive, run records)."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    return Path(settings.state_dir) / "schedule" / f"run-{stamp}-{os.getpid()}"


@contextlib.contextmanager
def _endpoints(
    settings: Settings, options: ScheduleOptions, work: Path
) -> Iterator[tuple[str, str]]:
    """(api_url, bootstrap): given ones, the stack's, or private embedded services."""
    with contextlib.ExitStack() as stack:
        api_url, bootstrap = options.api_url, options.bootstrap
        if settings.mode == "stack":
            api_url, bootstrap = api_url or settings.api_url, bootstrap or settings.bootstrap
        if api_url is None:
            from fmslab.simulator.process import simulator

            api_url = stack.enter_context(
                simulator(
                    seed=settings.seed,
                    devices=options.devices,
                    interval=options.interval,
                    faults=options.faults,
                    state_dir=work / "services",
                    log_dir=work / "api-log",
                )
            )
        if bootstrap is None:
            from fmslab.broker.embedded import embedded_broker
            from fmslab.broker.topics import create_topics

            bootstrap = stack.enter_context(embedded_broker(state_dir=work / "services"))
            create_topics(bootstrap)
        yield api_url, bootstrap


@contextlib.contextmanager
def scheduled_job(
    settings: Settings, options: ScheduleOptions, handler: ErrorHandler | None = None
) -> Iterator[tuple[Scheduler, CourseJob]]:
    """A scheduler over the course's three steps, its services up for the `with` block."""
    work = options.work_dir or default_work_dir(settings)
    work.mkdir(parents=True, exist_ok=True)
    with _endpoints(settings, options, work) as (api_url, bootstrap):
        job = CourseJob(
            None,
            settings,
            api_url=api_url,
            bootstrap=bootstrap,
            work_dir=work,
            devices=options.devices,
            interval=options.interval,
            collect_seconds=options.collect,
            seed=settings.seed,
        )
        try:
            yield Scheduler(job.steps(), handler, record_file=work / "runs.jsonl"), job
        finally:
            job.close()


def _summary(result: Any) -> str:
    if result is None:
        return ""
    if isinstance(result, dict):
        return ", ".join(f"{k} {v}" for k, v in result.items())
    return str(result)


def cycle_table(record: CycleRecord) -> Table:
    """One cycle as a table of its steps; each step's result or error is in the caption."""
    outcome = "[green]ok[/]" if record.ok else f"[red]{record.severity.name}[/]"  # type: ignore[union-attr]
    notes = [
        f"{s.step}: {s.error or _summary(s.result)}" for s in record.steps if s.error or s.result
    ]
    table = Table(
        title=f"cycle {record.cycle}: {outcome}",
        title_justify="left",
        caption="\n".join(notes) or None,
        caption_justify="left",
    )
    for column in ("step", "status", "attempts", "retries", "seconds", "severity"):
        table.add_column(column, no_wrap=True)
    for step in record.steps:
        style = STATUS_STYLE.get(step.status, "")
        table.add_row(
            step.step,
            f"[{style}]{step.status}[/]",
            str(step.attempts),
            str(max(0, step.attempts - 1)),
            f"{step.duration_s:.2f}",
            step.severity or "-",
        )
    return table


def incidents_line(incidents: list[Incident]) -> str:
    """Incidents per severity, and how many reached the notifier."""
    counts = {s.name: sum(i.severity == s for i in incidents) for s in Severity}
    notified = sum(i.notified for i in incidents)
    return (
        "incidents: " + ", ".join(f"{k} {v}" for k, v in counts.items()) + f"; notified {notified}"
    )


def exit_code(records: list[CycleRecord]) -> int:
    """0 when every cycle succeeded, 2 when one ended CRITICAL, else 1."""
    worst = max((r.severity for r in records if r.severity is not None), default=None)
    if worst is None:
        return 0
    return 2 if worst >= Severity.CRITICAL else 1


def records_json(scheduler: Scheduler) -> str:
    """Every step record of the run, with its result, as JSON."""
    from dataclasses import asdict

    rows = [asdict(step) for cycle in scheduler.cycles for step in cycle.steps]
    return json.dumps(rows, indent=2, default=str)
