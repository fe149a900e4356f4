"""The `fmslab` command: one entry point whose subcommands live beside the code they drive."""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="fmslab",
    help="FMS big-data pipeline workbook: simulator, collector, broker, streaming, lake, alerts.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)

# Each module exposes `register(app)`, so areas grow without touching each other.
_COMMAND_MODULES = (
    "fmslab.simulator.cli",
    "fmslab.quality.cli",
    "fmslab.doctor",
    "fmslab.labs",
    "fmslab.broker.cli",
    "fmslab.collector.cli",
    "fmslab.bench.cli",
    "fmslab.lake.cli",
    "fmslab.streaming.cli",
    "fmslab.jobs.cli",
    "fmslab.stack.cli",
    "fmslab.instructor.cli",
    "fmslab.cluster.cli",
    "fmslab.monitoring.cli",
    "fmslab.docs.cli",
    "fmslab.demo.cli",
    "fmslab.faults.cli",
)

for _name in _COMMAND_MODULES:
    importlib.import_module(_name).register(app)


@app.command()
def version() -> None:
    """Print the fmslab version."""
    from fmslab import __version__

    typer.echo(__version__)
