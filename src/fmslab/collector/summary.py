"""The end-of-run summary and the live progress line of `fmslab collect`."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.table import Table

from fmslab.collector.stats import CollectorStats


def summary_json(stats: CollectorStats) -> str:
    """The run's summary as one JSON document."""
    return json.dumps(stats.as_dict(), sort_keys=True)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value * 1000:.1f} ms"


def summary_table(stats: CollectorStats) -> Table:
    """The run's summary as a table: collected, produced, spooled, quarantined, errors by kind."""
    table = Table(title="collector summary", show_header=False)
    table.add_column("what")
    table.add_column("count", justify="right")
    rows: list[tuple[str, Any]] = [
        ("duration", f"{stats.duration:.1f} s"),
        ("polls", stats.polls),
        ("collected", stats.collected),
        ("produced (acked)", stats.produced),
        ("spooled", stats.spooled),
        ("replayed from spool", stats.replayed),
        ("left in spool", stats.spool_depth),
        ("quarantined", stats.quarantined),
        ("retries", stats.retries),
        ("polls skipped (breaker open)", stats.skipped_open),
        ("breaker openings", stats.breaker_opened),
    ]
    rows += [(f"errors: {kind}", n) for kind, n in sorted(stats.errors.items())]
    latency = stats.latency_summary()
    rows += [
        (f"poll-to-ack {name}", _ms(value)) for name, value in latency.items() if name != "count"
    ]
    for what, value in rows:
        table.add_row(what, str(value))
    return table


def print_summary(stats: CollectorStats, console: Console) -> None:
    """Print the summary table."""
    console.print(summary_table(stats))


def progress_line(stats: CollectorStats) -> str:
    """One line of live progress."""
    errors = sum(stats.errors.values())
    return (
        f"collected {stats.collected}  produced {stats.produced}  spool {stats.spool_depth}  "
        f"quarantined {stats.quarantined}  errors {errors}"
    )
