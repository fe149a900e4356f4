"""`fmslab demo`: the scripted live walkthrough (see `fmslab.demo`)."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import typer


def _interrupt(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt


def demo(
    record: Path | None = typer.Option(
        None, "--record", help="Write the session as HTML + JSON (default reports/demo-*.html)."
    ),
    save: bool = typer.Option(False, "--save", help="Record to reports/demo-<time>.html."),
    duration: float = typer.Option(20.0, min=1, help="Seconds of collection (then the alert)."),
    devices: int = typer.Option(5, min=1, max=5, help="Devices polled (the plant has 5)."),
    interval: float = typer.Option(1.0, min=0.1, help="Seconds between two polls of a device."),
    alert_timeout: float = typer.Option(90.0, min=1, help="Seconds to wait for the alert."),
) -> None:
    """Walk through the live pipeline: health, collection, topic, stream, lake, quality, an
    alert and its notification; every service is stopped at the end (also on Ctrl-C)."""
    from rich.console import Console

    from fmslab.config import load_settings
    from fmslab.demo.record import default_path
    from fmslab.demo.session import DemoError, DemoOptions, run_demo

    # SIGTERM (a killed terminal, a timeout) ends the demo like Ctrl-C: every service is stopped.
    signal.signal(signal.SIGTERM, _interrupt)
    settings = load_settings()
    if save and record is None:
        record = default_path(Path(settings.reports_dir or "reports"))
    options = DemoOptions(duration, devices, interval, alert_timeout=alert_timeout)
    try:
        run_demo(settings, options, Console(), record)
    except DemoError as err:
        cause, _, fix = str(err).partition("\n")
        typer.echo(f"error: {cause}", err=True)
        typer.echo(fix or "fix: `fmslab doctor` checks the machine", err=True)
        raise typer.Exit(1) from err
    except KeyboardInterrupt:
        typer.echo("interrupted: every service the demo started was stopped", err=True)
        raise typer.Exit(130) from None


def register(app: typer.Typer) -> None:
    """Add `fmslab demo` to the `fmslab` command."""
    app.command("demo")(demo)
