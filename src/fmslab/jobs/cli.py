"""Commands of the jobs area: `fmslab run|schedule`, `fmslab up|down|status`, `fmslab reconcile`."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from fmslab.config import Settings, load_settings

AS_JSON = typer.Option(False, "--json", help="Print JSON.")


def _settings(lake_dir: Path | None = None) -> Settings:
    settings = load_settings()
    return settings.with_(lake_dir=lake_dir) if lake_dir is not None else settings


def run(
    duration: float = typer.Option(60.0, min=1, help="Seconds to collect."),
    interval: float = typer.Option(10.0, help="Seconds between two polls of a device."),
    devices: int = typer.Option(5, min=1, help="Number of devices to poll."),
    faults: str = typer.Option("default", help="Simulator fault profile(s), comma-separated."),
    seed: int | None = typer.Option(None, help="Seed of the simulator (default: FMSLAB_SEED)."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON at the end."),
) -> None:
    """Run the embedded pipeline for a while: up, live progress, down, reconcile, report."""
    from fmslab.jobs.run import RunOptions, run_main_job
    from fmslab.services import ServiceError

    settings = load_settings()
    if seed is not None:
        settings = settings.with_(seed=seed)
    if interval <= 0 or duration < interval:
        raise typer.BadParameter("need 0 < interval <= duration")
    options = RunOptions(duration, interval, devices, faults, live=sys.stdout.isatty())
    try:
        outcome = run_main_job(settings, options, Console())
    except ServiceError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1) from err
    if as_json:
        typer.echo(json.dumps(outcome.figures, indent=2, default=str))


def up(
    devices: int = typer.Option(5, min=1, help="Number of devices to poll."),
    interval: float = typer.Option(10.0, min=0.001, help="Seconds between two polls."),
    faults: str = typer.Option("default", help="Simulator fault profile(s)."),
    trigger: str = typer.Option("1s", help="Micro-batch interval of the stream job."),
) -> None:
    """Start the embedded pipeline in the background: simulator, broker, stream job, collector."""
    from fmslab.jobs.orchestration import PipelineOptions
    from fmslab.jobs.orchestration import up as start_all
    from fmslab.services import ServiceError

    settings = load_settings()
    try:
        started = start_all(settings, PipelineOptions(devices, interval, faults, trigger))
    except ServiceError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1) from err
    for service in started:
        typer.echo(f"{service.name:<10} pid {service.pid:<8} port {service.port or '-'}")
    typer.echo("pipeline up; `fmslab status` checks it, `fmslab down` stops it")


def down() -> None:
    """Stop every service of the embedded pipeline by pid (collector first, simulator last)."""
    from fmslab.jobs.orchestration import down as stop_all

    stopped = stop_all(load_settings())
    typer.echo(f"stopped: {', '.join(stopped)}" if stopped else "nothing was running")


def status(as_json: bool = AS_JSON) -> None:
    """Show each service's pid, port and health. Exit code 1 unless all are healthy."""
    from fmslab.jobs.orchestration import status as service_status

    rows = service_status(load_settings())
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
    else:
        table = Table(title="fmslab pipeline")
        for column in ("service", "pid", "port", "alive", "health"):
            table.add_column(column)
        for row in rows:
            health = "[green]healthy[/]" if row["healthy"] else "[red]down[/]"
            table.add_row(
                row["name"], str(row["pid"] or "-"), str(row["port"] or "-"),
                "yes" if row["alive"] else "no", health,
            )  # fmt: skip
        Console().print(table)
    if not all(row["healthy"] for row in rows):
        raise typer.Exit(1)


def reconcile(
    archive_dir: Path = typer.Option(None, "--archive-dir", help="Landing archive root."),
    lake_dir: Path = typer.Option(None, "--lake-dir", help="Local lake directory."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Only count what is missing."),
    as_json: bool = AS_JSON,
) -> None:
    """Backfill the lake with archived readings it lacks (after an embedded broker loss)."""
    from fmslab.jobs.orchestration import archive_dir as default_archive
    from fmslab.jobs.reconcile import reconcile as run_reconcile
    from fmslab.lake.storage import open_lake

    settings = _settings(lake_dir)
    archive = archive_dir or default_archive(settings)
    if not archive.is_dir():
        typer.echo(f"error: no landing archive at {archive}", err=True)
        raise typer.Exit(2)
    result = run_reconcile(archive, open_lake(settings), dry_run=dry_run)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2))
        return
    typer.echo(
        f"archived {result.archived} · in lake {result.in_lake} · dropped duplicates "
        f"{result.duplicates} · missing {result.missing} · backfilled {result.backfilled}"
        + (" (dry run)" if dry_run else "")
    )


SCHEDULE_HELP = (
    "Run the course's scheduler: collection -> processing -> quality check, once per cycle.\n\n"
    "Each cycle prints its steps with status, attempts, retries and result. A failing step is "
    "retried while its error is transient or a service is unreachable (MEDIUM, HIGH); the rest "
    "of that cycle is skipped, and HIGH or worse is notified (logged). A CRITICAL failure (a "
    "broken environment, e.g. no JDK) stops the run at once.\n\n"
    "Exit code: 0 every cycle ok, 1 a cycle failed or a service did not start, 2 a cycle ended "
    "CRITICAL.\n\n"
    "In embedded mode a private simulator (virtual clock) and Tansu broker run for the length "
    "of the command, unless --api-url / --bootstrap name running ones; in stack mode the "
    "settings' endpoints are used. Step records go to WORK_DIR/runs.jsonl."
)


def schedule(
    cycles: int = typer.Option(
        None, min=1, help="Cycles to run (default: 1, or as many as --duration allows)."
    ),
    every: float = typer.Option(
        0.0, min=0.0, help="Seconds from one cycle's start to the next (0: back to back)."
    ),
    duration: float = typer.Option(
        None, min=0.001, help="Start no cycle this many seconds after the first one."
    ),
    collect: float = typer.Option(5.0, min=0.001, help="Seconds of collection per cycle."),
    interval: float = typer.Option(1.0, min=0.001, help="Seconds between two polls of a device."),
    devices: int = typer.Option(5, min=1, help="Number of devices to poll."),
    faults: str = typer.Option("none", help="Fault profile(s) of the private simulator."),
    seed: int | None = typer.Option(None, help="Seed of the simulator (default: FMSLAB_SEED)."),
    api_url: str = typer.Option(None, help="Poll this FMS API instead of a private simulator."),
    bootstrap: str = typer.Option(None, help="Use this broker instead of a private Tansu."),
    work_dir: Path = typer.Option(
        None, help="Checkpoint, spool and runs.jsonl (default: a fresh folder in the state dir)."
    ),
    lake_dir: Path = typer.Option(None, "--lake-dir", help="Local lake directory."),
    as_json: bool = typer.Option(
        False, "--json", help="Print every step record as JSON at the end."
    ),
) -> None:
    """Run the course's scheduler (see SCHEDULE_HELP)."""
    from fmslab.jobs.errors import ErrorHandler, Severity
    from fmslab.jobs.schedule import (
        ScheduleOptions,
        cycle_table,
        exit_code,
        incidents_line,
        records_json,
        scheduled_job,
    )
    from fmslab.services import ServiceError

    # Retries (WARNING) and notifications (ERROR, HIGH and worse) go to stderr as log lines.
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    settings = _settings(lake_dir)
    if seed is not None:
        settings = settings.with_(seed=seed)
    count = cycles if cycles is not None else (1 if duration is None else sys.maxsize)
    options = ScheduleOptions(
        count, every, duration, collect, interval, devices, faults, api_url, bootstrap, work_dir
    )
    console, handler = Console(), ErrorHandler()
    try:
        with scheduled_job(settings, options, handler) as (scheduler, job):
            console.print(f"api {job.api_url} · broker {job.bootstrap} · work {job.work_dir}")
            done = scheduler.run(
                count,
                every,
                duration=duration,
                stop_at=Severity.CRITICAL,
                on_cycle=lambda record: console.print(cycle_table(record)),
            )
    except ServiceError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1) from err
    ok = sum(record.ok for record in done)
    console.print(f"{len(done)} cycle(s), {ok} ok · {incidents_line(handler.incidents)}")
    if as_json:
        typer.echo(records_json(scheduler))
    raise typer.Exit(exit_code(done))


def register(app: typer.Typer) -> None:
    """Add `run`, `schedule`, `up`, `down`, `status` and `reconcile` to the `fmslab` command."""
    app.command("run")(run)
    app.command("schedule", help=SCHEDULE_HELP)(schedule)
    app.command("up")(up)
    app.command("down")(down)
    app.command("status")(status)
    app.command("reconcile")(reconcile)
