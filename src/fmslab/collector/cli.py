"""`fmslab collect`: poll the FMS API and produce readings to `fms-raw-data` until told to stop."""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from types import FrameType

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.status import Status

from fmslab.collector.collector import Collector
from fmslab.collector.config import CollectorConfig
from fmslab.collector.stats import CollectorStats
from fmslab.collector.summary import print_summary, progress_line, summary_json


def _config(**values: object) -> CollectorConfig:
    try:
        return CollectorConfig.from_settings(**values)
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'config'}: {e['msg']}" for e in err.errors()
        )
        typer.echo(f"error: invalid collector settings: {problems}", err=True)
        raise typer.Exit(2) from err


def _stop_on_signals(collector: Collector) -> None:
    def handler(_signum: int, _frame: FrameType | None) -> None:
        collector.stop()

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, handler)


def collect(
    duration: float = typer.Option(None, "--duration", min=0, help="Seconds (default: forever)."),
    devices: int = typer.Option(5, "--devices", min=1, help="Poll DeviceIds 1..N."),
    interval: float = typer.Option(10.0, "--interval", min=0.001, help="Seconds between polls."),
    polls: int = typer.Option(None, "--polls", min=1, help="Polls per device, then stop."),
    api: str = typer.Option(None, "--api", help="FMS API base URL (default: settings)."),
    bootstrap: str = typer.Option(None, "--bootstrap", help="Kafka HOST:PORT (default: settings)."),
    metrics_port: int = typer.Option(
        None, "--metrics-port", min=0, help="Serve /metrics on 127.0.0.1:P (default: settings)."
    ),
    no_metrics: bool = typer.Option(False, "--no-metrics", help="Serve no /metrics endpoint."),
    spool_dir: Path = typer.Option(None, "--spool-dir", help="Local queue while broker is away."),
    archive_dir: Path = typer.Option(None, "--archive-dir", help="Landing archive root."),
    quarantine_file: Path = typer.Option(None, "--quarantine-file", help="Rejected payloads."),
    timeout: float = typer.Option(2.0, "--timeout", min=0.001, help="Seconds per HTTP request."),
    retries: int = typer.Option(3, "--retries", min=0, help="Retries after a failed request."),
    seed: int = typer.Option(None, "--seed", help="Seed of the backoff jitter."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Poll every device once per interval and produce its readings (key = DeviceId).

    Readings are archived under --archive-dir, spooled under --spool-dir while the broker is
    unreachable, and replayed in order when it returns. SIGINT/SIGTERM stop it cleanly (exit 0).
    """
    config = _config(
        devices=devices,
        interval=interval,
        polls=polls,
        api_url=api,
        bootstrap=bootstrap,
        metrics_port=metrics_port,
        spool_dir=spool_dir,
        archive_dir=archive_dir,
        quarantine_file=quarantine_file,
        timeout=timeout,
        retries=retries,
        seed=seed,
    )
    if no_metrics:
        config = config.model_copy(update={"metrics_port": None})
    collector = Collector(config)
    _stop_on_signals(collector)  # also covers the start-up, before the event loop runs
    console = Console(stderr=True)
    try:
        collector.start()
    except OSError as err:
        typer.echo(f"error: cannot serve metrics on port {config.metrics_port}: {err}", err=True)
        raise typer.Exit(1) from err
    if collector.metrics_port is not None:
        console.print(f"metrics on http://127.0.0.1:{collector.metrics_port}/metrics")
    stats = _run(collector, duration, console, live=sys.stderr.isatty() and not as_json)
    _stop_on_signals(collector)  # asyncio restored the defaults; keep the flush uninterrupted
    collector.close()
    if as_json:
        typer.echo(summary_json(stats))
    else:
        print_summary(stats, Console())


def _run(
    collector: Collector, duration: float | None, console: Console, live: bool
) -> CollectorStats:
    if not live:
        return collector.run(duration, handle_signals=True)
    with Status("collecting ...", console=console) as status:

        def show(stats: CollectorStats) -> None:
            status.update(progress_line(stats))

        return collector.run(duration, on_progress=show, handle_signals=True)


def register(app: typer.Typer) -> None:
    """Add `fmslab collect` to the `fmslab` command."""
    app.command("collect")(collect)
