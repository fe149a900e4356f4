"""`fmslab cluster up | down | status`: a Spark standalone master and workers on this machine."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from fmslab.cluster.standalone import (
    DEFAULT_CORES,
    DEFAULT_MEMORY,
    DEFAULT_WORKERS,
    ClusterError,
    default_state_dir,
    find_cluster,
    master_json,
    start_cluster,
    stop_cluster,
)

cluster_app = typer.Typer(
    help="A Spark standalone cluster (master + workers) from pyspark's own jars, on 127.0.0.1.",
    no_args_is_help=True,
)
STATE_DIR = typer.Option(None, "--state-dir", help="Where pids, ports and logs are recorded.")


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(1)


@cluster_app.command("up")
def up(
    workers: int = typer.Option(DEFAULT_WORKERS, "--workers", min=1, help="Number of workers."),
    cores: int = typer.Option(DEFAULT_CORES, "--cores", min=1, help="Cores each worker offers."),
    memory: str = typer.Option(DEFAULT_MEMORY, "--memory", help="Memory each worker offers."),
    state_dir: Path = STATE_DIR,
) -> None:
    """Start a master and N workers in the background (free ports) and wait until all registered."""
    try:
        cluster = start_cluster(
            workers, state_dir=state_dir or default_state_dir(), cores=cores, memory=memory
        )
    except (ClusterError, RuntimeError) as err:
        raise _fail(str(err)) from err
    typer.echo(f"master {cluster.master_url} (pid {cluster.master.pid}), web UI {cluster.ui_url}")
    for worker in cluster.workers:
        typer.echo(f"{worker.name} pid {worker.pid}, web UI {worker.url}")
    typer.echo(
        f"connect the course's Spark sessions: export FMSLAB_SPARK_MASTER={cluster.master_url}"
    )


@cluster_app.command("down")
def down(state_dir: Path = STATE_DIR) -> None:
    """Stop the workers and the master by their recorded pids."""
    stopped = stop_cluster(state_dir or default_state_dir())
    typer.echo(f"stopped {', '.join(stopped)}" if stopped else "no cluster was running")


@cluster_app.command("status")
def status(
    state_dir: Path = STATE_DIR,
    as_json: bool = typer.Option(False, "--json", help="Print the master's JSON."),
) -> None:
    """Workers, cores, memory and running apps, from the master's JSON. Exit 1 if none runs."""
    cluster = find_cluster(state_dir or default_state_dir())
    if cluster is None:
        raise _fail("no cluster runs here; start one: fmslab cluster up --workers 2")
    try:
        state = master_json(cluster.ui_url)
    except Exception as err:  # the master's UI may still be starting, or it just died
        raise _fail(f"the master's web UI {cluster.ui_url} did not answer ({err})") from err
    if as_json:
        typer.echo(json.dumps(state, indent=2))
        return
    from rich.console import Console

    from fmslab.cluster.status import rich_tables

    console = Console()
    for table in rich_tables(state):
        console.print(table)


def register(app: typer.Typer) -> None:
    """Add `fmslab cluster` to the `fmslab` command."""
    app.add_typer(cluster_app, name="cluster")
