"""Commands of the streaming area: `fmslab stream` (fms-raw-data -> quality rules -> the lake)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import typer

_UNITS = {"ms": "milliseconds", "s": "seconds", "sec": "seconds", "m": "minutes", "min": "minutes"}
_TRIGGER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*$")


def spark_interval(text: str) -> str:
    """`1s` / `500ms` / `2 minutes` -> Spark's interval text (`1 seconds`); ValueError if not."""
    match = _TRIGGER.match(text.lower())
    if not match:
        raise ValueError(f"not a trigger interval: {text!r} (examples: 1s, 500ms, 2 minutes)")
    number, unit = match.groups()
    unit = _UNITS.get(unit, unit)
    if unit.rstrip("s") not in ("millisecond", "second", "minute"):
        raise ValueError(f"unknown unit in {text!r}: use ms, s or min")
    if float(number) <= 0:
        raise ValueError(f"the trigger interval must be positive, not {text!r}")
    return f"{number} {unit.rstrip('s')}s"


def _summary_table(summary: dict[str, Any]) -> Any:
    from rich.table import Table

    table = Table(title="fmslab stream")
    table.add_column("figure")
    table.add_column("value", justify="right")
    keys = ("batches", "records", "files", "route_seconds", "write_seconds", "seconds")
    for key in (*keys, "records_per_second", "last_score"):
        table.add_row(key, str(summary.get(key)))
    for zone, count in summary.get("zones", {}).items():
        table.add_row(f"zone {zone}", str(count))
    return table


def stream(
    duration: float | None = typer.Option(
        None, "--duration", help="Stop after this many seconds (default: run until Ctrl-C)."
    ),
    trigger: str = typer.Option("1s", "--trigger", help="Micro-batch interval: 1s, 500ms, 1min."),
    bootstrap: str | None = typer.Option(
        None, "--bootstrap", help="Kafka bootstrap servers (default: settings)."
    ),
    checkpoint: Path | None = typer.Option(
        None, "--checkpoint", help="Checkpoint directory (default: <state dir>/checkpoints/stream)."
    ),
    available_now: bool = typer.Option(
        False, "--available-now", help="Drain what fms-raw-data holds now, then stop."
    ),
    max_offsets: int | None = typer.Option(
        None, "--max-offsets", min=1, help="At most this many records per micro-batch."
    ),
    lake_dir: Path | None = typer.Option(
        None, "--lake-dir", help="Local lake directory (default: settings)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    metrics_port: int | None = typer.Option(
        None,
        "--metrics-port",
        help="Serve /metrics here (default: FMSLAB_STREAM_METRICS_PORT; 0 off).",
    ),
) -> None:
    """Run the streaming pipeline: fms-raw-data -> quality rules -> processed / alerts /
    quarantine / aggregates / quality zones and the fms-processed-data, fms-alerts and
    fms-quality-metrics topics. A restart with the same checkpoint resumes exactly once."""
    from fmslab.config import load_settings

    try:
        interval = spark_interval(trigger)
    except ValueError as err:
        raise typer.BadParameter(str(err), param_hint="--trigger") from err
    settings = load_settings()
    if lake_dir is not None:
        settings = settings.with_(lake_dir=lake_dir)
    if metrics_port is not None:
        settings = settings.with_(stream_metrics_port=metrics_port)
    checkpoint = checkpoint or Path(settings.state_dir or ".fmslab") / "checkpoints" / "stream"
    summary = _run(settings, bootstrap, checkpoint, interval, available_now, max_offsets, duration)
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
        return
    from rich.console import Console

    Console().print(_summary_table(summary))


def _fail(failure: Any, *logs: Path) -> typer.Exit:
    for line in failure.lines(*logs):
        typer.echo(line, err=True)
    return typer.Exit(1)


def _preflight(settings: Any, bootstrap: str) -> None:
    """Fail at once, with the fix, on what would otherwise fail after Spark started (or hang)."""
    from fmslab.broker.clients import BrokerUnreachable, require_broker
    from fmslab.streaming.failures import Failure
    from fmslab.streaming.session import (
        JavaNotFoundError,
        WorkerPythonMismatch,
        check_java,
        check_worker_python,
    )

    try:
        require_broker(bootstrap)
    except BrokerUnreachable as err:
        cause, _, fix = str(err).partition("; ")
        raise _fail(Failure(cause, fix)) from err
    try:
        check_java()
    except JavaNotFoundError as err:
        cause, _, fix = str(err).partition(". ")
        raise _fail(Failure(cause, fix.rstrip("."))) from err
    try:
        check_worker_python()
    except WorkerPythonMismatch as err:
        cause, _, fix = str(err).partition(". ")
        raise _fail(Failure(cause, fix)) from err


def _run(
    settings: Any,
    bootstrap: str | None,
    checkpoint: Path,
    interval: str,
    available_now: bool,
    max_offsets: int | None,
    duration: float | None,
) -> dict[str, Any]:
    from fmslab.streaming.failures import claim_checkpoint, explain, write_error_log
    from fmslab.streaming.pipeline import start_pipeline
    from fmslab.streaming.session import SparkStartError, jvm_log, spark_session

    bootstrap = bootstrap or settings.bootstrap
    _preflight(settings, bootstrap)
    refused = claim_checkpoint(checkpoint)
    if refused is not None:
        raise _fail(refused)
    state = Path(settings.state_dir or ".fmslab")
    error_log = state / "spark" / "stream-error.log"

    def failed(err: BaseException) -> typer.Exit:
        failure = explain(err, bootstrap=bootstrap, checkpoint=checkpoint)
        return _fail(failure, write_error_log(err, error_log), jvm_log(state))

    try:
        spark = spark_session("fmslab-stream", settings=settings)
    except SparkStartError as err:
        raise failed(err) from err
    metrics = _serve_metrics(settings.stream_metrics_port, settings.host)
    try:
        pipeline = start_pipeline(
            spark,
            settings,
            bootstrap=bootstrap,
            checkpoint_dir=checkpoint,
            trigger=interval,
            available_now=available_now,
            max_offsets_per_trigger=max_offsets,
            metrics=metrics,
        )
    except Exception as err:  # a bad broker address, an unreadable checkpoint: say so, no trace
        raise failed(err) from err
    try:
        pipeline.await_termination(duration)
    except KeyboardInterrupt:
        typer.echo("stopping (the running batch is replayed on the next start)", err=True)
    except Exception as err:
        pipeline.stop()
        raise failed(err) from err
    pipeline.stop()
    return pipeline.summary()


def _serve_metrics(port: int, host: str = "127.0.0.1") -> Any:
    """The stream job's metrics served on `port`; None when 0 or the port is taken (the
    pipeline runs on: its metrics matter less than its data)."""
    if not port:
        return None
    from fmslab.monitoring.stream_metrics import StreamMetrics

    metrics = StreamMetrics()
    try:
        metrics.serve(port, host)
    except OSError as err:
        typer.echo(
            f"warning: stream metrics not served, port {port} is unavailable ({err}); "
            "set FMSLAB_STREAM_METRICS_PORT or --metrics-port to a free port",
            err=True,
        )
        return None
    return metrics


def register(app: typer.Typer) -> None:
    """Add `fmslab stream` to the `fmslab` command."""
    app.command("stream")(stream)
