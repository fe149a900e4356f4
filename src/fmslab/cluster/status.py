"""The standalone master's JSON (`<web UI>/json/`) as tables: workers, and running applications."""

from __future__ import annotations

from typing import Any

import pandas as pd

WORKER_COLUMNS = ("worker", "state", "cores", "cores used", "memory MB", "memory used MB", "web UI")
APP_COLUMNS = ("app", "name", "cores", "memory per executor MB", "state", "user")


def workers_frame(status: dict[str, Any], names: dict[str, str] | None = None) -> pd.DataFrame:
    """One row per worker the master knows (alive or dead), sorted by worker id (or name).

    `names` maps a worker's web UI address to a name to show instead of its id (which holds a
    timestamp and a port), e.g. `{w.url: w.name for w in cluster.workers}`.
    """
    names = names or {}
    rows = [
        {
            "worker": names.get(w["webuiaddress"], w["id"]),
            "state": w["state"],
            "cores": w["cores"],
            "cores used": w["coresused"],
            "memory MB": w["memory"],
            "memory used MB": w["memoryused"],
            "web UI": w["webuiaddress"],
        }
        for w in status.get("workers", [])
    ]
    frame = pd.DataFrame(rows, columns=list(WORKER_COLUMNS))
    return frame.sort_values("worker", ignore_index=True)  # the master lists them as they came


def apps_frame(status: dict[str, Any]) -> pd.DataFrame:
    """One row per running application (driver) connected to the master."""
    rows = [
        {
            "app": a["id"],
            "name": a["name"],
            "cores": a["cores"],
            "memory per executor MB": a.get("memoryperexecutor", a.get("memoryperslave")),
            "state": a["state"],
            "user": a["user"],
        }
        for a in status.get("activeapps", [])
    ]
    return pd.DataFrame(rows, columns=list(APP_COLUMNS))


def summary(status: dict[str, Any]) -> dict[str, Any]:
    """The master's totals: alive workers, cores and memory (used / offered), running apps."""
    return {
        "url": status.get("url"),
        "status": status.get("status"),
        "alive workers": status.get("aliveworkers", 0),
        "cores": status.get("cores", 0),
        "cores used": status.get("coresused", 0),
        "memory MB": status.get("memory", 0),
        "memory used MB": status.get("memoryused", 0),
        "running apps": len(status.get("activeapps", [])),
    }


def rich_tables(status: dict[str, Any]) -> list[Any]:
    """The summary, the workers and the running apps as rich tables (`fmslab cluster status`)."""
    from rich.table import Table

    totals = Table(title="Spark master")
    totals.add_column("figure")
    totals.add_column("value", justify="right")
    for key, value in summary(status).items():
        totals.add_row(key, str(value))
    tables = [totals]
    for title, frame in (("workers", workers_frame(status)), ("running apps", apps_frame(status))):
        table = Table(title=title)
        for column in frame.columns:
            table.add_column(str(column))
        for row in frame.itertuples(index=False):
            table.add_row(*(str(v) for v in row))
        tables.append(table)
    return tables
