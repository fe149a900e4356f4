"""Measured load scenarios on the real path: `fmslab bench scenario NAME`.

Simulator over HTTP -> collector -> broker -> Spark stream job -> lake, the embedded pipeline of
`fmslab.jobs.orchestration` (faults "none"). The broker and the stream job start once (or are
reused when they already run under the settings' state dir); the api and the collector start per
scenario, the collector with a plan: `devices` polled every `interval_s` for `polls` polls each,
then it stops by itself. So `offered` = devices x polls exactly; `collected` is counted from the
collector's landing archive, `stored` from the reading zones of the lake (unique reading_ids),
never assumed. Latency is `collected_at` -> first readable in the lake (`LakeWatcher`, looking
every `POLL_S`). Beside it, on the same broker: its own ceiling (`fmslab.bench.ceiling`) and the
course's original producer method (`fmslab.bench.baseline`).

`max` raises the offered rate step by step (a collector per step) and stops at the first step
that loses or duplicates a reading, misses p95 <= 5 s, or achieves under 95 % of its rate.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fmslab.bench.baseline import original_producer_rate
from fmslab.bench.ceiling import broker_ceiling
from fmslab.bench.pipeline import BenchProgress, LakeWatcher
from fmslab.bench.scenario_usage import ComponentSampler, recorded_pids
from fmslab.collector.archive import iter_archive
from fmslab.config import Settings, load_settings
from fmslab.jobs import orchestration
from fmslab.jobs.orchestration import PipelineOptions
from fmslab.lake.storage import open_lake
from fmslab.measure import summarize
from fmslab.services import ServiceError, port_in_use, read_service, wait_until
from fmslab.streaming.session import check_java

POLL_S = 0.25  # seconds between two looks at the lake (part of every latency figure)
SETTLE_S = 120.0
STREAM_READY_S = 360.0  # seconds the lake may take to catch up once the collector is done
MAX_P95_S = 5.0
API_SAMPLE_S = 0.001  # seconds between two readings of a simulated device (see api_for)
SUSTAINED_SHARE = 0.95


class ScenarioError(RuntimeError):
    """A scenario cannot run (unknown name, port taken, ...); the message says the fix."""


@dataclass(frozen=True)
class Load:
    """One planned load: `devices` polled every `interval_s`, `polls` times each."""

    devices: int
    interval_s: float
    polls: int

    @property
    def offered(self) -> int:
        return self.devices * self.polls

    @property
    def rate(self) -> float:
        return self.devices / self.interval_s

    @property
    def seconds(self) -> float:
        return self.polls * self.interval_s


@dataclass(frozen=True)
class Scenario:
    """A named load; `short_*` is its CI form (a few seconds, small but real)."""

    name: str
    devices: int
    interval_s: float
    duration_s: float
    short_interval_s: float
    short_duration_s: float
    description: str
    steps: tuple[float, ...] = ()  # max: offered rates (msg/s), full form
    short_steps: tuple[float, ...] = ()

    def loads(self, duration: float | None, short: bool) -> list[Load]:
        """The planned loads (one, or one per step of `max`)."""
        seconds = duration or (self.short_duration_s if short else self.duration_s)
        if self.steps:
            return [
                _step_load(rate, seconds) for rate in (self.short_steps if short else self.steps)
            ]
        interval = self.short_interval_s if short else self.interval_s
        return [Load(self.devices, interval, max(1, round(seconds / interval)))]


def _step_load(rate: float, seconds: float) -> Load:
    devices = int(min(rate, 1000))
    interval = devices / rate
    return Load(devices, interval, max(1, round(seconds / interval)))


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario("normal", 5, 10.0, 60.0, 1.0, 3.0, "the course's load: 5 devices every 10 s"),
        Scenario("peak", 20, 5.0, 60.0, 1.0, 3.0, "a busy shift: 20 devices every 5 s"),
        Scenario("stress", 50, 1.0, 60.0, 1.0, 3.0, "50 devices every second"),
        Scenario("scale", 1000, 1.0, 60.0, 1.0, 2.0, "a plant: 1,000 devices every second"),
        Scenario(
            "max",
            1000,
            1.0,
            60.0,
            1.0,
            2.0,
            "raise the rate step by step until p95 latency or loss breaks",
            steps=(500, 1000, 2000, 3000, 4000, 5000, 6000, 8000),
            short_steps=(100, 200),
        ),  # fmt: skip
    )
}


def scenario(name: str) -> Scenario:
    """The scenario called `name`, or a ScenarioError naming the known ones."""
    if name not in SCENARIOS:
        raise ScenarioError(f"unknown scenario {name!r}; choose one of {', '.join(SCENARIOS)}")
    return SCENARIOS[name]


def _state(settings: Settings) -> Path:
    return Path(settings.state_dir or ".fmslab")


def _check_ports(settings: Settings, names: tuple[str, ...]) -> None:
    ports = {
        "api": ("FMSLAB_API_PORT", settings.api_port),
        "broker": ("FMSLAB_BROKER_PORT", settings.broker_port),
        "collector": ("FMSLAB_METRICS_PORT", settings.metrics_port),
    }
    for name in names:
        if name in ports and port_in_use(ports[name][1], settings.host):
            variable, port = ports[name]
            raise ScenarioError(
                f"port {port} ({name}) is taken; stop what uses it (`fmslab down`) "
                f"or choose another with {variable}=PORT"
            )


def _running(settings: Settings, name: str) -> bool:
    service = read_service(name, _state(settings))
    return service is not None and service.alive()


def _await_stream(settings: Settings) -> None:
    """Wait until the stream job committed its first micro-batch (Spark's start is slow on a
    busy machine: longer than `orchestration.STREAM_START_TIMEOUT`, at times)."""
    service = read_service("stream", _state(settings))
    ready = wait_until(
        lambda: (
            service is not None and (not service.alive() or orchestration.stream_ready(service))
        ),
        STREAM_READY_S,
        0.5,
    )
    log = service.log if service else "the stream log"
    if service is None or not service.alive():
        raise ScenarioError(f"the stream job exited while starting; its log {log} says why")
    if not ready:
        raise ScenarioError(
            f"the stream job did not commit its first micro-batch within {STREAM_READY_S:g} s; "
            f"see {log} (no JDK? `fmslab doctor` checks it)"
        )


@contextlib.contextmanager
def pipeline_core(settings: Settings) -> Iterator[bool]:
    """The broker and the stream job, started unless they run already (then left running).

    Yields whether this call started them (and so stops them at the end)."""
    if _running(settings, "broker") and _running(settings, "stream"):
        yield False
        return
    _check_ports(settings, ("broker",))
    check_java()  # a missing JDK in one line with its fix, not a stream job's dying log
    options = PipelineOptions(faults="none", wait_for_stream=False)  # waited for below
    orchestration.up(settings, options, names=("broker", "stream"))
    try:
        _await_stream(settings)
        yield True
    finally:
        orchestration.down(settings, names=("stream", "broker"))


@contextlib.contextmanager
def api_for(settings: Settings, devices: int) -> Iterator[None]:
    """The FMS API simulator serving `devices` devices (no faults), stopped at the end."""
    orchestration.down(settings, names=("collector", "api"))  # leftovers of a broken run
    _check_ports(settings, ("api", "collector"))
    # Millisecond readings: with one reading per second, a poll that comes a little late reads
    # the next second's reading and the poll after it reads that one again (a copy the rules
    # drop), so the scenario would count a sampling miss as a loss of the pipeline.
    options = PipelineOptions(devices=devices, interval=API_SAMPLE_S, faults="none")
    orchestration.up(settings, options, names=("api",))
    try:
        yield
    finally:
        orchestration.down(settings, names=("collector", "api"))


def archived_ids(settings: Settings) -> set[str]:
    """reading_id of every reading in the collector's landing archive."""
    folder = orchestration.archive_dir(settings)
    return {str(r.get("reading_id")) for r in iter_archive(folder)} if folder.is_dir() else set()


def _lake_bytes(watcher: LakeWatcher, known: set[tuple[str, int]]) -> int:
    return sum(size for path, size in watcher._read - known)


def _wait_collector(settings: Settings, load: Load, watcher: LakeWatcher, done: Any) -> None:
    service = read_service("collector", _state(settings))
    deadline = time.monotonic() + load.seconds * 3 + 60  # a collector far behind its plan
    while service is not None and service.alive() and time.monotonic() < deadline:
        done(watcher.look())
        time.sleep(POLL_S)


def _wait_lake(watcher: LakeWatcher, expected: int, settle: float, done: Any) -> None:
    deadline = time.monotonic() + settle
    while watcher.look() < expected and time.monotonic() < deadline:
        done(len(watcher.first_seen))
        time.sleep(POLL_S)
    done(len(watcher.first_seen))


def run_load(settings: Settings, load: Load, bars: BenchProgress, label: str) -> dict[str, Any]:
    """Run one planned load through the running pipeline; exact counts and latency."""
    before_ids = archived_ids(settings)
    watcher = LakeWatcher(open_lake(settings), POLL_S)
    watcher.skip_present()
    known = set(watcher._read)
    done = bars.phase(f"{label}: readable in the lake", load.offered)
    options = PipelineOptions(load.devices, load.interval_s, faults="none", polls=load.polls)
    began = time.monotonic()
    orchestration.up(settings, options, names=("collector",))
    _wait_collector(settings, load, watcher, done)
    orchestration.down(settings, names=("collector",))
    collected = archived_ids(settings) - before_ids
    _wait_lake(watcher, len(collected), SETTLE_S, done)
    rows = watcher.rows
    stored = len(set(rows))
    latencies = watcher.latencies()
    span = _span(watcher)
    return {
        "devices": load.devices,
        "interval_s": load.interval_s,
        "polls": load.polls,
        "rate_msg_s": round(load.rate, 1),
        "offered": load.offered,
        "collected": len(collected),
        "stored": stored,
        "lost": load.offered - stored,
        "duplicates": len(rows) - stored,
        "lake_bytes": _lake_bytes(watcher, known),
        "throughput_msg_s": round(stored / span, 1) if span > 0 else 0.0,
        "achieved_msg_s": _achieved(watcher, len(collected), load),
        "latency_s": summarize(latencies),
        "latencies": latencies,
        "wall_s": round(time.monotonic() - began, 1),
    }


def _span(watcher: LakeWatcher) -> float:
    """Seconds from the first collection to the last reading readable."""
    if not watcher.first_seen:
        return 0.0
    return max(watcher.first_seen.values()) - min(watcher.collected.values())


def _achieved(watcher: LakeWatcher, collected: int, load: Load) -> float:
    """The collection rate achieved: readings over the span of their collected_at stamps."""
    stamps = list(watcher.collected.values())
    if len(stamps) < 2:
        return 0.0
    span = max(stamps) - min(stamps) + 1 / load.rate  # n readings cover n slots of 1/rate
    return round(collected / span, 1)


def _sustained(step: dict[str, Any]) -> bool:
    p95 = step["latency_s"]["p95"]
    return (
        step["lost"] == 0
        and step["duplicates"] == 0
        and p95 is not None
        and p95 <= MAX_P95_S
        and step["achieved_msg_s"] >= SUSTAINED_SHARE * step["rate_msg_s"]
    )


def _side_by_side(settings: Settings, short: bool) -> tuple[dict, dict]:
    bootstrap = f"{settings.host}:{settings.broker_port}"
    ceiling = broker_ceiling(bootstrap, 2_000 if short else 30_000, settings.seed)
    baseline = original_producer_rate(bootstrap, 50 if short else 500, settings.seed)
    return ceiling, baseline


def _run_steps(settings: Settings, spec: Scenario, loads: list[Load], bars: Any) -> list[dict]:
    steps = []
    for n, load in enumerate(loads, 1):
        label = f"{spec.name} {n}/{len(loads)} ({load.rate:g} msg/s)" if spec.steps else spec.name
        step = run_load(settings, load, bars, label)
        step["sustained"] = _sustained(step)
        steps.append(step)
        if spec.steps and not step["sustained"]:
            break  # the rate broke: higher steps would only break harder
    return steps


def run_scenario(
    name: str,
    *,
    duration: float | None = None,
    short: bool = False,
    settings: Settings | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Run the scenario `name` on the real path; returns its report (see the module docstring).

    `duration`: seconds of the load (of each step for `max`); `short`: the CI form."""
    from fmslab.bench.scenario_report import build_report

    spec = scenario(name)
    settings = settings or load_settings()
    loads = spec.loads(duration, short)
    started_at = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    load_before = os.getloadavg()[0]
    with pipeline_core(settings), api_for(settings, max(load.devices for load in loads)):
        ceiling, baseline = _side_by_side(settings, short)
        sampler = ComponentSampler(recorded_pids(_state(settings)))
        sampler.start()
        with BenchProgress(progress) as bars:
            steps = _run_steps(settings, spec, loads, bars)
        components = sampler.stop()
    return build_report(
        spec, short, steps, components, ceiling, baseline, started_at=started_at,
        load_before=load_before,
    )  # fmt: skip


__all__ = ["SCENARIOS", "Scenario", "ScenarioError", "ServiceError", "run_scenario", "scenario"]
