"""`fmslab faults list` and `fmslab faults run NAME [--short] [--json]`."""

from __future__ import annotations

import json
from typing import Any

import typer

faults_app = typer.Typer(
    help="Fault injection in the running embedded pipeline (reports/fault-NAME.json).",
    no_args_is_help=True,
)


@faults_app.command("list")
def list_faults() -> None:
    """Print each fault with a one-line description."""
    from fmslab.faults.catalog import FAULTS

    width = max(len(name) for name in FAULTS)
    for fault in FAULTS.values():
        typer.echo(f"{fault.name:<{width}}  {fault.description}")


@faults_app.command("run")
def run(
    name: str = typer.Argument(..., help="The fault (fmslab faults list)."),
    short: bool = typer.Option(False, "--short", help="The short form: seconds, not a minute."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON only."),
) -> None:
    """Run one fault during a running pipeline under steady load; print and write its report."""
    from fmslab.faults.runner import FaultError, lookup, run_faults

    try:
        lookup(name)
        if as_json:
            report = run_faults([name], short=short)[0]
        else:
            report = _with_progress(name, short, run_faults)
    except FaultError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1) from err
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    _print(report)


def _with_progress(name: str, short: bool, run_faults: Any) -> dict:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    steps = 7  # start, first reading, steady load, fault, drain (+ cluster when needed)
    with Progress(
        TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), transient=True
    ) as bar:
        task = bar.add_task(name, total=steps)

        def phase(text: str) -> None:
            bar.update(task, description=text, advance=1)

        report = run_faults([name], short=short, on_phase=phase)[0]
        bar.update(task, completed=steps)
    return report


def _fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.3f}" if value <= 1 else f"{value:.1f}"
    return str(value)


def _print(report: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"fault {report['fault']}{' (short)' if report['short'] else ''}")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for key in ("accepted", "stored", "dropped_copies", "lost", "duplicates", "reconciled",
                "lost_before_reconcile", "detect_s", "recover_s", "availability",
                "health_samples", "duration_s"):  # fmt: skip
        table.add_row(key, _fmt(report.get(key)))
    incidents = ", ".join(f"{k} {v}" for k, v in report["told"]["incidents"].items())
    table.add_row("incidents", incidents)
    for reason, count in report.get("quarantine_reasons", {}).items():
        table.add_row(f"quarantined: {reason}", str(count))
    console = Console()
    console.print(table)
    console.print(f"detect: {report['definitions']['detect_s']}")
    console.print(f"recover: {report['definitions']['recover_s']}")
    for line in report["told"]["log_lines"][:10]:
        console.print(f"  told: {line}", markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    """Add `fmslab faults` to the main command."""
    app.add_typer(faults_app, name="faults")
