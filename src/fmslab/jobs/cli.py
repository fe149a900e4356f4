"""`fmslab run`: the main job in embedded mode."""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from fmslab.config import load_settings


def run(
    duration: float = typer.Option(60.0, help="How long to collect, in seconds."),
    interval: float = typer.Option(10.0, help="Seconds between two polls of a device."),
    devices: int = typer.Option(5, min=1, help="Number of devices to poll."),
    faults: str = typer.Option("default", help="Simulator fault profile(s), comma-separated."),
    seed: int | None = typer.Option(None, help="Seed of the simulator (default: FMSLAB_SEED)."),
) -> None:
    """Run the main job in embedded mode: simulate, collect, check quality, report."""
    from fmslab.jobs.run import RunOptions, run_main_job

    settings = load_settings()
    if seed is not None:
        settings = settings.with_(seed=seed)
    if interval <= 0 or duration < interval:
        raise typer.BadParameter("need 0 < interval <= duration")
    options = RunOptions(duration, interval, devices, faults, progress=sys.stderr.isatty())
    run_main_job(settings, options, Console())


def register(app: typer.Typer) -> None:
    """Add `run` to the `fmslab` command."""
    app.command("run")(run)
