"""Commands of the jobs area: `fmslab run`, `fmslab up|down|status`, `fmslab reconcile`."""

from __future__ import annotations

import json
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
    from fmslab.lake.reconcile import reconcile as run_reconcile
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


def register(app: typer.Typer) -> None:
    """Add `run`, `up`, `down`, `status` and `reconcile` to the `fmslab` command."""
    app.command("run")(run)
    app.command("up")(up)
    app.command("down")(down)
    app.command("status")(status)
    app.command("reconcile")(reconcile)
