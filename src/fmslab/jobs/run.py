"""The main job (`fmslab run`, `make run`): the embedded pipeline for a while, then a report.

    up (broker, stream job, simulator)  ->  wait until the stream job's first micro-batch
    ->  up (collector)  ->  live progress for `duration` seconds
    ->  stop the collector, let the stream job drain  ->  down  ->  reconcile  ->  report

The collector starts only once Spark is up and has committed its first micro-batch, so the
latency measured (collected_at -> readable in the lake) is the pipeline's, not the JVM's start;
`duration` counts from the collector's start. The wait shows as "starting the stream job…".
"""

from __future__ import annotations

import time
from collections import Counter
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.table import Table

from fmslab.config import Settings
from fmslab.jobs import orchestration
from fmslab.jobs.progress import PipelineWatch, Snapshot
from fmslab.jobs.report import summary_rows, write_reports
from fmslab.services import ServiceError, log_tail, read_service, stop_service, wait_until

DRAIN_TIMEOUT = 60.0
STREAM_READY_TIMEOUT = orchestration.STREAM_START_TIMEOUT


@dataclass
class RunOptions:
    """What one run of the main job does."""

    duration: float = 60.0
    interval: float = 10.0
    devices: int = 5
    faults: str = "default"
    live: bool = True
    drain_timeout: float = DRAIN_TIMEOUT
    ready_timeout: float = STREAM_READY_TIMEOUT


@dataclass
class RunOutcome:
    """The measured figures of one run, and where its reports were written."""

    figures: dict[str, Any]
    report_json: Path
    report_html: Path
    latencies: list[float] = field(default_factory=list)


def progress_table(snap: Snapshot, elapsed: float, duration: float) -> Table:
    """The live view: collected, stored per zone, quality score, latency."""
    table = Table(title=f"fmslab run · {elapsed:.0f}/{duration:.0f} s")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_row("readings collected", str(snap.collected))
    for zone, count in snap.zones.items():
        table.add_row(f"stored in {zone}", str(count))
    table.add_row("micro-batches written", str(snap.batches))
    table.add_row("quality score", "-" if snap.score is None else f"{snap.score:.1%}")
    table.add_row("alerts (isFail)", str(snap.zones.get("alerts", 0)))
    p50, p95 = snap.latency.get("p50"), snap.latency.get("p95")
    table.add_row("latency p50 / p95", "-" if p50 is None else f"{p50:.1f} s / {p95:.1f} s")
    return table


def _watch(watch: PipelineWatch, options: RunOptions, console: Console) -> Snapshot:
    start = time.monotonic()
    snap = watch.snapshot()
    # A terminal gets a live table; a log (CI, `make run > log`) a line every 10 s.
    live = Live(console=console, refresh_per_second=2) if options.live else None
    if live is not None:
        live.start()
    try:
        printed = -1
        while (elapsed := time.monotonic() - start) < options.duration:
            snap = watch.snapshot()
            if live is not None:
                live.update(progress_table(snap, elapsed, options.duration))
            elif int(elapsed) // 10 != printed:
                printed = int(elapsed) // 10
                console.print(
                    f"{elapsed:4.0f}s collected {snap.collected} stored {snap.stored} "
                    f"score {snap.score} latency p50 {snap.latency.get('p50')}"
                )
            time.sleep(min(1.0, max(0.0, options.duration - elapsed)))
        snap = watch.snapshot()
    finally:
        if live is not None:
            live.stop()
    if live is None:
        console.print(progress_table(snap, options.duration, options.duration))
    return snap


def _drain(settings: Settings, watch: PipelineWatch, timeout: float) -> bool:
    """Wait until the lake holds every reading of this run (or the stream job is gone)."""
    from fmslab.collector.archive import iter_archive
    from fmslab.jobs.reconcile import count_missing
    from fmslab.lake.storage import open_lake

    lake = open_lake(settings)
    state = Path(settings.state_dir or ".fmslab")
    watch.refresh()
    ours = watch.archived
    archived = [
        r for r in iter_archive(orchestration.archive_dir(settings)) if r.get("reading_id") in ours
    ]

    def drained() -> bool:
        stream = read_service("stream", state)
        if stream is None or not stream.alive():
            raise RuntimeError("the stream job is not running")
        # Every reading stored, and no batch half-written (its quality report comes last).
        if not orchestration.stream_idle(stream):
            return False
        return count_missing(archived, lake) == 0 and orchestration.stream_idle(stream)

    try:
        return wait_until(drained, timeout, interval=1.0)
    except RuntimeError:
        return False


def figures_of(
    watch: PipelineWatch, snap: Snapshot, options: RunOptions, settings: Settings
) -> dict[str, Any]:
    """The run's figures (the JSON report)."""
    counts = watch.lake_ids()
    ids = watch.archived
    per_device = Counter(d for d in ids.values() if d is not None)
    return {
        "options": {
            "duration": options.duration,
            "interval": options.interval,
            "devices": options.devices,
            "faults": options.faults,
            "seed": settings.seed,
        },
        "collected": len(ids),
        "readings_per_device": {str(d): per_device[d] for d in sorted(per_device)},
        "zones": snap.zones,
        "dropped_duplicates": sum(1 for rid in ids if counts[rid] == 0),
        "exactly_once": {
            "stored_once": sum(1 for rid in ids if counts[rid] == 1),
            "stored_twice": sum(1 for rid in ids if counts[rid] > 1),
            "not_stored": sum(1 for rid in ids if counts[rid] == 0),
        },
        "quality": {"score": snap.score, "dimensions": snap.dimensions, "batches": snap.batches},
        "latency_seconds": snap.latency,
    }


def _targets() -> dict[str, float]:
    from fmslab.quality.rules import load_rules

    kpis = load_rules().kpis
    return {n: float(getattr(kpis, n)) for n in ("completeness", "accuracy", "consistency")} | {
        "timeliness": float(kpis.timeliness)
    }


def await_stream(settings: Settings, options: RunOptions, console: Console) -> float:
    """Wait until the stream job has committed its first micro-batch; returns the seconds.

    Shown live on a terminal ("starting the stream job… 12 s"), as two lines in a log. Raises
    `ServiceError` (with its log's tail) when the job dies or is not ready in time."""
    state = Path(settings.state_dir or ".fmslab")
    stream = read_service("stream", state)
    if stream is None:
        raise ServiceError("the stream job was not started")
    began = time.monotonic()

    def ready() -> bool:
        if not stream.alive():
            raise ServiceError(f"the stream job stopped while starting:\n{log_tail(stream.log)}")
        return orchestration.stream_ready(stream)

    if not options.live:
        console.print("starting the stream job…")
    spinner = console.status("starting the stream job…") if options.live else nullcontext()
    with spinner as status:
        while not ready() and time.monotonic() - began < options.ready_timeout:
            if status is not None:
                status.update(f"starting the stream job… {time.monotonic() - began:.0f} s")
            time.sleep(0.2)
    waited = time.monotonic() - began
    if not ready():
        tail = log_tail(stream.log)
        raise ServiceError(f"the stream job was not ready within {waited:.0f} s:\n{tail}")
    console.print(f"stream job ready after {waited:.1f} s (first micro-batch committed)")
    return waited


def _start(
    settings: Settings, options: RunOptions, console: Console
) -> tuple[dict[str, int], dict[str, float], float]:
    """Broker, stream job and simulator; the stream job's first batch; then the collector.
    Returns the pids, the seconds of the start and the epoch time collection began."""
    started = time.monotonic()
    pipeline = orchestration.PipelineOptions(
        options.devices, options.interval, options.faults, wait_for_stream=False
    )
    # The simulator starts while the JVM boots: the stream job needs only the broker.
    services = orchestration.up(settings, pipeline, names=("broker", "stream"))
    services += orchestration.up(settings, pipeline, names=("api",))
    seconds = {"stream_ready": round(await_stream(settings, options, console), 1)}
    since = time.time()  # the run's readings: collected from now on (the collector polls at once)
    services += orchestration.up(settings, pipeline, names=("collector",))
    seconds["startup"] = round(time.monotonic() - started, 1)
    return {s.name: s.pid for s in services}, seconds, since


def run_main_job(settings: Settings, options: RunOptions, console: Console) -> RunOutcome:
    """Bring the pipeline up, watch it for `duration`, stop it, reconcile, write the reports."""
    from fmslab.jobs.reconcile import reconcile
    from fmslab.lake.storage import open_lake

    started = time.monotonic()
    state = Path(settings.state_dir or ".fmslab")
    console.print(
        f"embedded pipeline: {options.devices} devices every {options.interval:g}s for "
        f"{options.duration:g}s · faults={options.faults} · seed={settings.seed}"
    )
    try:
        services, seconds, since = _start(settings, options, console)
        watch = PipelineWatch(orchestration.archive_dir(settings), Path(settings.lake_dir), since)
        _watch(watch, options, console)
        stop_service("collector", state)  # it flushes its producer and archive on SIGTERM
        mark = time.monotonic()
        drained = _drain(settings, watch, options.drain_timeout)
        seconds["drain"] = round(time.monotonic() - mark, 1)
        monitoring = _monitoring(settings)
    finally:
        orchestration.down(settings)
    result = reconcile(orchestration.archive_dir(settings), open_lake(settings))
    snap = watch.snapshot()
    figures = {
        "started_at": datetime.fromtimestamp(since, UTC).isoformat(timespec="seconds"),
        **figures_of(watch, snap, options, settings),
        "drained": drained,
        "services": services,
        "reconcile": result.to_dict(),
    }
    if monitoring:  # `fmslab monitor up` runs: alerts and notifications of the run
        figures["monitoring"] = monitoring
    seconds["total"] = round(time.monotonic() - started, 1)
    figures["seconds"] = seconds
    latencies = watch.latencies()
    json_path, html_path = write_reports(Path(settings.reports_dir), figures, latencies, _targets())
    print_summary(console, figures)
    console.print(f"report written to {html_path} and {json_path}")
    return RunOutcome(figures, json_path, html_path, latencies)


def _monitoring(settings: Settings) -> dict[str, Any] | None:
    from fmslab.monitoring.summary import monitoring_figures

    return monitoring_figures(settings)


def print_summary(console: Console, figures: dict[str, Any]) -> None:
    """The headline figures as a table."""
    table = Table(title="fmslab run summary")
    table.add_column("figure")
    table.add_column("value", justify="right")
    from fmslab.monitoring.summary import summary_rows as monitoring_rows

    for label, value in summary_rows(figures) + monitoring_rows(figures.get("monitoring")):
        table.add_row(label, str(value))
    console.print(table)
