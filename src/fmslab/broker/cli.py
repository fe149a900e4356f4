"""Commands of the broker area: `fmslab broker ...`, `fmslab topics ...`, `fmslab consume ...`."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from fmslab.broker.embedded import (
    BrokerError,
    bootstrap_of,
    broker_status,
    start_broker,
    stop_broker,
)

broker_app = typer.Typer(help="The embedded Kafka-protocol broker (Tansu).", no_args_is_help=True)

STATE_DIR = typer.Option(None, "--state-dir", help="Where pid, port and log are recorded.")


@broker_app.command("start")
def start(
    port: int = typer.Option(None, "--port", help="Port on 127.0.0.1 (default: settings, 9092)."),
    state_dir: Path = STATE_DIR,
) -> None:
    """Start the embedded broker in the background and wait until it accepts connections."""
    try:
        service = start_broker(port, state_dir=state_dir)
    except BrokerError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1) from err
    typer.echo(f"broker running on {bootstrap_of(service)} (pid {service.pid}, log {service.log})")


@broker_app.command("stop")
def stop(state_dir: Path = STATE_DIR) -> None:
    """Stop the embedded broker by its recorded pid."""
    if stop_broker(state_dir):
        typer.echo("broker stopped")
    else:
        typer.echo("no broker was running")


@broker_app.command("status")
def status(
    state_dir: Path = STATE_DIR,
    as_json: bool = typer.Option(False, "--json", help="Print the status as JSON."),
) -> None:
    """Say whether the embedded broker runs, and where. Exit code 1 when it does not."""
    service = broker_status(state_dir)
    if as_json:
        info = {"running": service is not None}
        if service is not None:
            info.update(pid=service.pid, port=service.port, bootstrap=bootstrap_of(service))
            info["log"] = service.log
        typer.echo(json.dumps(info))
    elif service is None:
        typer.echo("broker not running")
    else:
        typer.echo(f"broker running on {bootstrap_of(service)} (pid {service.pid})")
    if service is None:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add this area's commands to the `fmslab` command."""
    app.add_typer(broker_app, name="broker")
