"""`fmslab stack up|down|status|logs|validate|smoke`: the Compose stack in stack/."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from fmslab.stack.engine import StackError

stack_app = typer.Typer(
    help="The Docker Compose stack in stack/ (validate needs no Docker).", no_args_is_help=True
)


def _fail(err: StackError) -> None:
    typer.echo(f"error: {err}", err=True)
    raise typer.Exit(1)


@stack_app.command()
def validate(
    root: Path | None = typer.Option(None, help="Checkout to check (default: this one)."),
    as_json: bool = typer.Option(False, "--json", help="Print findings as JSON."),
) -> None:
    """Check stack/ without Docker: schema, Dockerfile, monitoring files and the course's rules."""
    from fmslab.stack.validate import validate as run

    report = run(root)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "ok": report.ok,
                    "findings": [f.__dict__ for f in report.findings],
                    "skipped": [s.__dict__ for s in report.skipped],
                },
                indent=2,
            )
        )
    else:
        typer.echo(report.text())
    raise typer.Exit(0 if report.ok else 1)


@stack_app.command()
def up(
    profile: list[str] = typer.Option(
        [], "--profile", "-p", help="pipeline, monitoring, ui (repeatable)."
    ),
    workers: int = typer.Option(1, min=1, max=4, help="Spark workers (docker compose --scale)."),
) -> None:
    """Build the course image and start the stack; waits until every service is healthy."""
    from fmslab.stack import engine

    try:
        started = engine.up(profile, workers)
    except StackError as err:
        _fail(err)
    profiles = ", ".join(started.profiles) or "no profile"
    typer.echo(f"stack up: core + {profiles}, {started.memory_mib} MiB of memory limits")


@stack_app.command()
def down(
    volumes: bool = typer.Option(False, "--volumes", help="Also delete the data volumes."),
) -> None:
    """Stop and remove the stack's containers (every profile)."""
    from fmslab.stack import engine

    try:
        engine.down(volumes)
    except StackError as err:
        _fail(err)
    typer.echo("stack down")


@stack_app.command()
def status() -> None:
    """Services, state, health and URLs of the running stack (docker SDK)."""
    from fmslab.stack.containers import stack_containers

    try:
        containers = stack_containers()
    except StackError as err:
        _fail(err)
    if not containers:
        typer.echo("no container of the stack: start it with `fmslab stack up`")
        return
    table = Table("service", "container", "state", "health", "URL")
    for c in containers:
        table.add_row(c.service, c.name, c.state, c.health, "\n".join(c.urls) or "-")
    Console().print(table)


@stack_app.command()
def logs(service: str = typer.Argument(..., help="A service name, e.g. kafka-1."),
         tail: int = typer.Option(100, min=1, help="Lines per container.")) -> None:  # fmt: skip
    """The last log lines of one service's containers (docker SDK)."""
    from fmslab.stack.containers import service_logs

    try:
        typer.echo(service_logs(service, tail))
    except StackError as err:
        _fail(err)


@stack_app.command()
def smoke(keep: bool = typer.Option(False, help="Leave the stack running afterwards.")) -> None:
    """Up, chapters 07 and 09 in stack mode, data in HDFS, down; skips where no engine runs."""
    from fmslab.stack.smoke import smoke as run

    try:
        result = run(keep)
    except StackError as err:
        _fail(err)
    if result.skipped:
        typer.echo(f"smoke skipped: {result.skipped}")
        return
    typer.echo("\n".join(f"ok: {step}" for step in result.steps))


def register(app: typer.Typer) -> None:
    """Add `fmslab stack ...` to the main command."""
    app.add_typer(stack_app, name="stack")
