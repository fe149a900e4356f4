"""Run faults in a running embedded pipeline under steady load and write `fault-<name>.json`.

    report = run_fault("stream-kill", short=True)        # one fault, its own pipeline
    reports = run_faults(["stream-kill", "api-down"])    # several in turn, one pipeline

The pipeline is `fmslab.jobs.orchestration`'s (simulator, broker, stream job, collector as
processes by pid) in private folders under `<state_dir>/faults/<time>/`, on the settings' ports.
Each fault gets a window: steady load, the fault, its recovery. At the end the collector stops
(it flushes), the stream job drains, `reconcile` backfills from the landing archive what the
design says only it can (a broker's or a killed collector's loss), and each window is counted
(`fmslab.faults.accounting`). Everything started is stopped by pid, also on failure.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fmslab.collector.archive import iter_archive
from fmslab.config import Settings
from fmslab.faults import accounting
from fmslab.faults.catalog import FAULTS, Fault
from fmslab.faults.context import FaultContext, Outcome
from fmslab.faults.data_faults import FLOOD_PREFIX
from fmslab.faults.watch import HealthSampler, LakeMonitor, LogWatcher
from fmslab.jobs import orchestration
from fmslab.jobs.errors import ErrorHandler
from fmslab.lake.local import LocalLake
from fmslab.services import ServiceError, read_service, stop_service, wait_until

# 20 readings/s. The collector starts without waiting for Spark's first batch (readings wait in
# the broker): the first-reading wait below allows a busy machine more than `up`'s 120 s.
LOAD = orchestration.PipelineOptions(devices=5, interval=0.25, faults="none", wait_for_stream=False)
FIRST_READING_TIMEOUT = 600.0  # Spark start and first batches: under a minute quiet, more when busy
DRAIN_TIMEOUT = 240.0
MAX_LOG_LINES = 40
Phase = Callable[[str], None]


class FaultError(RuntimeError):
    """A fault run could not start or finish (unknown fault, port taken, no JDK, ...)."""


def lookup(name: str) -> Fault:
    """The fault `name`; FaultError naming the known ones otherwise."""
    if name not in FAULTS:
        raise FaultError(f"unknown fault {name!r}; known: {', '.join(FAULTS)} (fmslab faults list)")
    return FAULTS[name]


def run_settings(settings: Settings) -> Settings:
    """The settings of one fault run: the same ports, private state, lake and log folders."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    root = (Path(settings.state_dir or ".fmslab") / "faults" / stamp).resolve()
    return settings.with_(state_dir=root / "state", lake_dir=root / "lake", log_dir=root / "log")


RUN_ROOT = "<run>"  # stands for the run's private folder in the report's log lines
CHECKOUT = "<checkout>"  # ... and for the project's folder (its code, its .venv)


def run_relative(text: str, run: Settings) -> str:
    """`text` with the run's private folder written as <run>/ and the checkout as <checkout>/:
    a report names no machine's path (it is read where those folders are elsewhere or gone)."""
    from fmslab.config import project_root

    root = Path(run.state_dir or ".fmslab").resolve().parent
    return text.replace(str(root), RUN_ROOT).replace(str(project_root()), CHECKOUT)


@dataclass
class _Done:
    fault: Fault
    window: accounting.Window
    outcome: Outcome
    started_at: str


def run_fault(name: str, *, short: bool = False, settings: Settings | None = None) -> dict:
    """Run one fault (its short form: seconds instead of a minute) and return its report."""
    return run_faults([name], short=short, settings=settings)[0]


def run_faults(
    names: Sequence[str],
    *,
    short: bool = False,
    settings: Settings | None = None,
    on_phase: Phase | None = None,
) -> list[dict]:
    """Run `names` in turn in one pipeline; write and return one report per fault."""
    faults = [lookup(n) for n in names]
    base = settings or _environment_settings()
    run = run_settings(base)
    phase = on_phase or (lambda _text: None)
    from fmslab.streaming.session import JavaNotFoundError, check_java

    try:
        check_java()
    except JavaNotFoundError as err:
        raise FaultError(str(err)) from err
    with _pipeline(run, any(f.cluster for f in faults), phase) as ctx:
        done = [_one(ctx, fault, short, phase) for fault in faults]
        phase("draining: collector stopped, stream job finishing")
        reports = _account(ctx, done, short)
    folder = Path(base.reports_dir or "reports")
    folder.mkdir(parents=True, exist_ok=True)
    for report in reports:
        (folder / f"fault-{report['fault']}.json").write_text(json.dumps(report, indent=2) + "\n")
    return reports


@contextlib.contextmanager
def _pipeline(run: Settings, cluster: bool, phase: Phase) -> Iterator[FaultContext]:
    state = Path(run.state_dir or ".fmslab")
    running = None
    watchers: list[Any] = []
    try:
        if cluster:
            from fmslab.cluster.standalone import start_cluster

            phase("starting a Spark standalone cluster (master + 2 workers)")
            running = start_cluster(2, state_dir=state, die_with_parent=True)
            run = run.with_(spark_master=running.master_url)
        phase("starting the pipeline (simulator, broker, stream job, collector)")
        try:
            orchestration.up(run, LOAD)
        except ServiceError as err:
            raise FaultError(_port_hint(str(err))) from err
        ctx = _context(run, running)
        watchers = [ctx.health, ctx.logs, ctx.lake_monitor]
        for watcher in watchers:
            watcher.start()
        phase("waiting for the first reading in the lake")
        if not wait_until(lambda: ctx.lake_monitor.first_collected_after(0) is not None,
                          FIRST_READING_TIMEOUT, 0.5):  # fmt: skip
            raise FaultError(f"no reading reached the lake in {FIRST_READING_TIMEOUT:.0f}s; "
                             f"read the logs in {state / 'log'}")  # fmt: skip
        yield ctx
    finally:
        for watcher in watchers:
            watcher.stop()
        orchestration.down(run)
        if running is not None:
            from fmslab.cluster.standalone import stop_cluster

            stop_cluster(state)


def _environment_settings() -> Settings:
    from fmslab.config import SettingsError, load_settings

    try:
        return load_settings()
    except SettingsError as err:
        raise FaultError(str(err)) from err


def _port_hint(message: str) -> str:
    if "already in use" in message:
        return f"{message} (set FMSLAB_API_PORT, FMSLAB_BROKER_PORT, FMSLAB_METRICS_PORT)"
    return message.splitlines()[0] if "Log tail" in message else message


def _context(run: Settings, cluster: Any) -> FaultContext:
    state = Path(run.state_dir or ".fmslab")
    extra = {}
    if cluster is not None:
        from fmslab.cluster.standalone import alive_workers

        extra["workers"] = lambda: alive_workers(cluster.ui_url) >= len(cluster.workers)
    logs = LogWatcher(state / "log")
    return FaultContext(
        settings=run,
        lake=LocalLake(Path(run.lake_dir or "lake")),
        health=HealthSampler(run, 1.0, extra),
        logs=logs,
        lake_monitor=LakeMonitor(LocalLake(Path(run.lake_dir or "lake"))),
        handler=ErrorHandler(),
        seconds=0.0,
        options=LOAD,
        cluster=cluster,
    )


def _one(ctx: FaultContext, fault: Fault, short: bool, phase: Phase) -> _Done:
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    wall, mono = time.time(), time.monotonic()
    phase(f"{fault.name}: steady load")
    ctx.hold(2.0 if short else 10.0)
    ctx.seconds = fault.seconds(short)
    phase(f"{fault.name}: fault on ({ctx.seconds:.0f} s), then recovery")
    outcome = fault.inject(ctx)
    ctx.hold(1.0 if short else 5.0)
    window = accounting.Window(wall, time.time(), mono, time.monotonic())
    return _Done(fault, window, outcome, started_at)


def _drain(ctx: FaultContext) -> None:
    """Stop the collector (it flushes) and wait until the lake holds every archived reading it
    can get by the stream job: none missing, or no progress for 30 s with the stream job idle."""
    state = ctx.state
    collector = read_service("collector", state)
    if collector is not None:
        stop_service(collector, state, timeout=30)
    archive = orchestration.archive_dir(ctx.settings)
    last, since = -1, time.monotonic()
    deadline = time.monotonic() + DRAIN_TIMEOUT
    while time.monotonic() < deadline:
        lake = accounting.read_lake(ctx.lake)
        missing = sum(c["lost"] for c in [accounting.counts(list(iter_archive(archive)), lake)])
        if missing == 0:
            return
        if missing != last:
            last, since = missing, time.monotonic()
        stream = read_service("stream", state)
        idle = stream is None or not stream.alive() or orchestration.stream_idle(stream)
        if idle and time.monotonic() - since > 30:
            return
        time.sleep(2.0)


def _account(ctx: FaultContext, done: list[_Done], short: bool) -> list[dict]:
    from fmslab.jobs.reconcile import reconcile

    _drain(ctx)
    archive = orchestration.archive_dir(ctx.settings)
    windows = [d.window for d in done]
    windows[-1] = accounting.Window(windows[-1].wall_start, float("inf"),
                                    windows[-1].mono_start, windows[-1].mono_end)  # fmt: skip
    before_lake = accounting.read_lake(ctx.lake)
    before = [
        accounting.counts(p, before_lake) for p in accounting.split(iter_archive(archive), windows)
    ]
    result = reconcile(archive, ctx.lake)
    lake = accounting.read_lake(ctx.lake)
    parts = accounting.split(iter_archive(archive), windows)
    return [
        _report(
            ctx, d, window, part, lake, prior, result.to_dict(), short, [x.fault.name for x in done]
        )
        for d, window, part, prior in zip(done, windows, parts, before, strict=True)
    ]


def _report(ctx, done, window, part, lake, prior, reconciled, short, names) -> dict:  # noqa: PLR0913
    fault, outcome = done.fault, done.outcome
    figures = accounting.counts(part, lake)
    samples = ctx.health.between(window.mono_start, window.mono_end)
    overall, per = accounting.availability(samples)
    reasons = accounting.quarantine_reasons(
        lake.quarantine, window, FLOOD_PREFIX, flood=fault.name == "malformed-flood"
    )
    lines = ctx.logs.between(outcome.injected, window.mono_end)
    told = {
        "log_lines": [
            run_relative(f"{ln.service}: {ln.text}", ctx.settings) for ln in lines[:MAX_LOG_LINES]
        ],
        "incidents": _incidents(samples, reasons, lines),
    }
    return {
        "kind": "fault",
        "fault": fault.name,
        "short": short,
        "description": fault.description,
        **{k: figures[k] for k in ("accepted", "stored", "lost", "duplicates")},
        "reconciled": max(0, prior["lost"] - figures["lost"]),
        "detect_s": _span(outcome.injected, outcome.detected),
        "recover_s": _span(outcome.ended, outcome.recovered),
        "availability": overall,
        "health_samples": len(samples),
        "told": told,
        "duration_s": round(window.mono_end - window.mono_start, 1),
        "machine": {"cpus": os.cpu_count(), "load_average_1m": round(os.getloadavg()[0], 2)},
        "started_at": done.started_at,
        "definitions": {"detect_s": fault.detect, "recover_s": fault.recover},
        "fault_s": fault.seconds(short),
        "dropped_copies": figures["dropped_copies"],
        "lost_before_reconcile": prior["lost"],
        "reconcile_needed_by_design": fault.reconcile,
        "availability_by_service": per,
        "quarantine_reasons": reasons,
        "facts": outcome.facts,
        "load": {"devices": LOAD.devices, "interval_s": LOAD.interval},
        "run": {"faults": names, "reconcile": reconciled},
    }


def _span(start: float, end: float | None) -> float | None:
    return None if end is None else round(max(0.0, end - start), 2)


def _incidents(samples, reasons: dict[str, int], lines) -> dict[str, int]:
    """Incidents by severity, through the project's ErrorHandler: one per service outage the
    health checks saw (a healthy -> unhealthy transition), one per quarantined record (LOW)."""
    from fmslab.broker.clients import BrokerUnreachable
    from fmslab.lake.interface import LakeError

    handler = ErrorHandler(notifier=lambda _incident: None)
    lake_broken = any("not a directory" in ln.text.lower() for ln in lines)
    for name in sorted({n for s in samples for n in s.healthy}):
        states = [s.healthy.get(name, False) for s in samples]
        for was, now in zip(states, states[1:], strict=False):
            if was and not now:
                if name == "broker":
                    handler.handle(BrokerUnreachable(f"{name} failed its health check"), step=name)
                elif name == "stream" and lake_broken:
                    handler.handle(LakeError("the stream job could not write the lake"), step=name)
                else:
                    handler.handle(ConnectionError(f"{name} failed its health check"), step=name)
    for reason, count in reasons.items():
        for _ in range(count):
            handler.handle(ValueError(reason), step="quality")
    return handler.counts()
