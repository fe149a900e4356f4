"""Collector benchmark: N simulated devices polled every interval, measured from poll to broker ack.

Starts a real simulator process (`fmslab api --devices N --clock realtime`) and, unless a bootstrap
is given, an embedded broker; runs the collector; then counts what reached the topic (end offsets),
the landing archive and the spool, so "lost" is measured, not assumed.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil

from fmslab.broker.embedded import embedded_broker
from fmslab.broker.offsets import OffsetsError, end_offsets
from fmslab.collector import Collector, CollectorConfig
from fmslab.collector.archive import iter_archive
from fmslab.measure import summarize
from fmslab.services import free_port, http_ok, running
from fmslab.simulator.process import simulator_command


def _topic_total(bootstrap: str, topic: str) -> int:
    try:
        return sum(end_offsets(bootstrap, topic).values())
    except OffsetsError:
        return 0  # the topic does not exist yet


@contextlib.contextmanager
def _simulator(devices: int, interval: float, seed: int, state: Path) -> Iterator[tuple[str, int]]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    cmd = simulator_command(
        port,
        seed=seed,
        devices=devices,
        interval=interval,
        faults="none",
        clock="realtime",
        log_dir=state / "api-log",
    )
    with running(
        "bench-api", cmd, state_dir=state, port=port, ready=http_ok(f"{url}/healthz")
    ) as service:
        yield url, service.pid


@contextlib.contextmanager
def _broker(bootstrap: str | None, state: Path) -> Iterator[str]:
    if bootstrap is not None:
        yield bootstrap
        return
    with embedded_broker(state_dir=state) as started:
        yield started


def run_collector_bench(
    devices: int = 1000,
    interval: float = 1.0,
    duration: float = 10,
    bootstrap: str | None = None,
    *,
    seed: int = 42,
    work_dir: Path | None = None,
    max_connections: int = 16,
) -> dict[str, Any]:
    """Run the collector against `devices` simulated devices; returns rates, latency and loss.

    Keys: devices, interval_s, duration_s, target_per_s, polls, collected, produced,
    readings_per_s, poll_to_ack_ms (a `measure.summarize`), on_topic, archived, spool_depth,
    quarantined, errors, lost (archived readings neither on the topic nor in the spool),
    cpu_ms_per_reading {collector, simulator} and the machine's load average (the figures depend on
    what else runs).
    """
    with contextlib.ExitStack() as stack:
        root = work_dir or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="fms-")))
        state = root / "state"
        state.mkdir(parents=True, exist_ok=True)
        api_url, api_pid = stack.enter_context(_simulator(devices, interval, seed, state))
        broker = stack.enter_context(_broker(bootstrap, state))
        config = CollectorConfig(
            api_url=api_url,
            bootstrap=broker,
            devices=devices,
            interval=interval,
            timeout=max(0.5, interval),
            seed=seed,
            max_connections=max_connections,
            spool_dir=root / "spool",
            archive_dir=root / "archive",
            quarantine_file=root / "quarantine.jsonl",
        )
        before = _topic_total(broker, config.topic)
        collector = Collector(config)
        collector.start()
        api_cpu, own_cpu = _cpu_seconds(api_pid), time.process_time()
        stats = collector.run(duration)
        # CPU per reading shows the capacity on an idle machine, whatever else runs now.
        own_cpu, api_cpu = time.process_time() - own_cpu, _cpu_seconds(api_pid) - api_cpu
        collector.close()
        on_topic = _topic_total(broker, config.topic) - before
        archived = sum(1 for _ in iter_archive(config.archive_dir))
    return {
        "devices": devices,
        "interval_s": interval,
        "duration_s": round(stats.duration, 2),
        "target_per_s": round(devices / interval, 1),
        "polls": stats.polls,
        "collected": stats.collected,
        "produced": stats.produced,
        "readings_per_s": round(stats.produced / stats.duration, 1) if stats.duration else 0.0,
        "poll_to_ack_ms": summarize(stats.latencies, scale=1000, digits=1),
        "on_topic": on_topic,
        "archived": archived,
        "spool_depth": stats.spool_depth,
        "quarantined": stats.quarantined,
        "errors": dict(stats.errors),
        "lost": archived - on_topic - stats.spool_depth,
        "cpu_ms_per_reading": {
            "collector": _per(own_cpu, stats.collected),
            "simulator": _per(api_cpu, stats.collected),
        },
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def _cpu_seconds(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


def _per(cpu_seconds: float, readings: int) -> float | None:
    return round(cpu_seconds * 1000 / readings, 3) if readings else None
