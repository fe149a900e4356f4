"""Step 2: the collector polls the FMS API; readings collected and the rate, live."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from rich.live import Live
from rich.table import Table

from fmslab.demo.step import Step

if TYPE_CHECKING:
    from fmslab.demo.running import Demo
    from fmslab.jobs.progress import Snapshot


def _live_table(snap: Snapshot, elapsed: float, failing: int) -> Table:
    table = Table(title=f"collecting · {elapsed:.0f} s")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_row("readings collected", str(snap.collected))
    table.add_row("stored in the lake so far", str(snap.stored))
    table.add_row("failing readings (alerts zone)", str(failing))
    return table


def show(demo: Demo, number: int) -> Step:
    """Collect for `duration` seconds, and on until a failing reading reached the alerts zone
    (or `alert_timeout`); then stop the collector and let the stream job drain."""
    step = Step.of(number, "collection")
    watch, options = demo.watch, demo.options
    assert watch is not None, "the demo was not started"
    began = time.monotonic()
    snap = watch.snapshot()
    with Live(console=demo.console, refresh_per_second=2, transient=True) as live:
        while True:
            elapsed = time.monotonic() - began
            snap = watch.snapshot()
            failing = snap.zones.get("alerts", 0)
            live.update(_live_table(snap, elapsed, failing))
            if elapsed >= options.duration and (failing or elapsed >= options.alert_timeout):
                break
            time.sleep(0.5)
    demo.collect_seconds = time.monotonic() - began
    demo.stop_collector()
    snap = watch.snapshot()
    devices = len({d for d in watch.archived.values() if d is not None})
    step.add("readings collected", snap.collected, key="collected")
    step.add("devices polled", devices, key="devices")
    step.add("collection time", f"{demo.collect_seconds:.1f} s", key="seconds",
             raw=round(demo.collect_seconds, 1))  # fmt: skip
    rate = snap.collected / demo.collect_seconds if demo.collect_seconds else 0.0
    step.add("rate", f"{rate:.2f} readings/s", key="rate_per_s", raw=round(rate, 2))
    return step
