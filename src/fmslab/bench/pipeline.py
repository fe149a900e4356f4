"""Pipeline benchmark: fms-raw-data -> Spark -> lake, measured end to end (`fmslab bench pipeline`).

Three scenarios, each on its own embedded broker, lake and checkpoint (one SparkSession):

- drain: a backlog of seeded readings is produced first, then the pipeline drains it with
  availableNow; throughput = records stored / seconds from the query's start to its end (the
  JVM is already up; the first batch pays the Python workers' start).
- normal / high: readings are produced at a steady rate while the pipeline runs with a
  processing-time trigger; a watcher reads the lake's zones (`read_zone`) every `poll` seconds and
  notes when each reading_id first becomes readable. Latency = that moment - `collected_at` (set
  when the reading is produced), so it includes up to `poll` seconds of watching granularity.

Loss and duplicates are counted from the lake (reading_id), never assumed. Peak memory is the
resident set of this process's whole tree (this Python, the JVM, its Python workers and the
broker), sampled every 0.5 s with psutil.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import psutil

from fmslab.broker.clients import make_producer
from fmslab.broker.embedded import embedded_broker
from fmslab.broker.topics import create_topics
from fmslab.config import Settings
from fmslab.lake.records import read_zone
from fmslab.lake.storage import Lake, open_lake
from fmslab.measure import percentile
from fmslab.simulator.feed import simulate_readings

RAW_TOPIC = "fms-raw-data"
READING_ZONES = ("processed", "alerts", "quarantine")
TARGETS = {"throughput_msg_s": 5000, "rss_mb": 2500}


@dataclass
class BenchPlan:
    """What the benchmark runs; the defaults are the full run (tests pass tiny numbers)."""

    backlog: int = 20_000
    normal_devices: int = 5
    normal_interval: float = 1.0  # the course's 10 s, shortened to get samples quickly
    normal_seconds: float = 20.0
    high_rate: float = 200.0  # readings per second
    high_seconds: float = 20.0
    trigger: str = "1 second"
    poll: float = 0.5
    settle_timeout: float = 120.0
    seed: int = 42


class MemorySampler(threading.Thread):
    """Samples the resident memory of this process and all its descendants; keeps the peak."""

    def __init__(self, every: float = 0.5) -> None:
        super().__init__(daemon=True, name="rss-sampler")
        self.every = every
        self.peak_mb = 0.0
        self._halt = threading.Event()

    @staticmethod
    def tree_rss_mb() -> float:
        """RSS of this process plus every descendant, in MiB."""
        me = psutil.Process()
        total = 0
        for proc in [me, *me.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                total += proc.memory_info().rss
        return total / 2**20

    def run(self) -> None:
        while not self._halt.is_set():
            self.peak_mb = max(self.peak_mb, self.tree_rss_mb())
            self._halt.wait(self.every)

    def stop(self) -> float:
        """Stop sampling; returns the peak in MiB (one last sample included)."""
        self.peak_mb = max(self.peak_mb, self.tree_rss_mb())
        self._halt.set()
        self.join(timeout=5)
        return round(self.peak_mb, 1)


def _readings(count: int, devices: int, seed: int, prefix: str) -> list[dict[str, Any]]:
    rows = simulate_readings(seed=seed, devices=devices, count=-(-count // devices))[:count]
    return [{**r, "reading_id": f"{prefix}-{i}"} for i, r in enumerate(rows) if isinstance(r, dict)]


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _encode(reading: dict[str, Any]) -> tuple[bytes, bytes]:
    import json

    return str(reading["DeviceId"]).encode(), json.dumps(reading).encode()


def produce_all(bootstrap: str, readings: list[dict[str, Any]]) -> int:
    """Produce every reading (keyed by DeviceId) and wait for the acks; returns the count."""
    producer = make_producer(bootstrap, linger_ms=5)
    try:
        futures = []
        for reading in readings:
            key, value = _encode({**reading, "collected_at": _now_iso()})
            futures.append(producer.send(RAW_TOPIC, key=key, value=value))
        producer.flush()
        for future in futures:
            future.get(timeout=30)
    finally:
        producer.close()
    return len(readings)


def produce_paced(bootstrap: str, readings: list[dict[str, Any]], rate: float) -> float:
    """Produce at `rate` readings/s (collected_at = the send time); returns the seconds taken."""
    producer = make_producer(bootstrap, linger_ms=1)
    start = time.monotonic()
    try:
        for n, reading in enumerate(readings):
            time.sleep(max(0.0, start + n / rate - time.monotonic()))
            key, value = _encode({**reading, "collected_at": _now_iso()})
            producer.send(RAW_TOPIC, key=key, value=value)
        producer.flush()
    finally:
        producer.close()
    return time.monotonic() - start


def stored_ids(lake: Lake) -> pd.DataFrame:
    """reading_id and collected_at of every record in the reading zones."""
    frames = []
    for zone in READING_ZONES:
        frame = read_zone(lake, zone)
        if not frame.empty:
            frames.append(frame[["reading_id", "collected_at"]])
    if not frames:
        return pd.DataFrame({"reading_id": [], "collected_at": []})
    return pd.concat(frames, ignore_index=True)


def counts(sent: int, ids: pd.Series) -> dict[str, int]:
    """sent, stored (records), lost (sent ids never stored) and duplicates (extra copies)."""
    unique = ids.nunique()
    return {
        "sent": sent,
        "stored": len(ids),
        "lost": sent - unique,
        "duplicates": len(ids) - unique,
    }


def latency_summary(values: list[float]) -> dict[str, float | None]:
    """p50, p95, p99 and max in seconds (None without samples)."""

    def rounded(value: float | None) -> float | None:
        return None if value is None else round(value, 3)

    return {
        "p50": rounded(percentile(values, 50)),
        "p95": rounded(percentile(values, 95)),
        "p99": rounded(percentile(values, 99)),
        "max": rounded(max(values) if values else None),
        "samples": len(values),
    }


@dataclass
class LakeWatcher:
    """Notes when each reading_id first becomes readable in the lake (`read_zone`)."""

    lake: Lake
    every: float
    first_seen: dict[str, float] = field(default_factory=dict)
    collected: dict[str, float] = field(default_factory=dict)

    def look(self) -> int:
        """Read the zones once; returns how many distinct reading_ids are stored."""
        frame = stored_ids(self.lake)
        now = time.time()
        for rid, stamp in zip(frame["reading_id"], frame["collected_at"], strict=True):
            if rid not in self.first_seen:
                self.first_seen[rid] = now
                self.collected[rid] = pd.Timestamp(stamp).timestamp()
        return len(self.first_seen)

    def wait_for(self, expected: int, timeout: float, stop: threading.Event | None = None) -> None:
        """Look every `every` s until `expected` ids are seen, `stop` is set, or time is up."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.look() >= expected or (stop is not None and stop.is_set()):
                return
            time.sleep(self.every)

    def latencies(self) -> list[float]:
        """Seconds from collected_at to first readable, per reading."""
        return [self.first_seen[r] - self.collected[r] for r in self.first_seen]


@contextlib.contextmanager
def _scenario_env(root: Path, name: str) -> Iterator[tuple[str, Settings, Lake]]:
    work = root / name
    settings = Settings(state_dir=work / "state", lake_dir=work / "lake")
    with embedded_broker(state_dir=work / "broker") as bootstrap:
        create_topics(bootstrap, ["fms-raw-data"])
        yield bootstrap, settings, open_lake(settings)


def run_drain(spark: Any, root: Path, plan: BenchPlan) -> dict[str, Any]:
    """Produce the backlog, then drain it with availableNow; throughput and exact counts."""
    from fmslab.streaming.pipeline import start_pipeline

    with _scenario_env(root, "drain") as (bootstrap, settings, lake):
        sent = produce_all(bootstrap, _readings(plan.backlog, 5, plan.seed, "drain"))
        began = time.monotonic()
        pipeline = start_pipeline(
            spark,
            settings,
            bootstrap=bootstrap,
            checkpoint_dir=root / "drain" / "checkpoint",
            available_now=True,
            check_delay=False,
            publish=False,
            lake=lake,
        )
        try:
            pipeline.await_termination(plan.settle_timeout * 5)
        finally:
            pipeline.stop()
        seconds = time.monotonic() - began
        result = counts(sent, stored_ids(lake)["reading_id"])
    result["seconds"] = round(seconds, 2)
    result["batches"] = pipeline.stats.batches
    result["throughput_msg_s"] = round(result["stored"] / seconds, 1) if seconds else 0.0
    return result


def run_steady(spark: Any, root: Path, name: str, rate: float, seconds: float, plan: BenchPlan):
    """Produce at `rate` readings/s for `seconds` while the pipeline runs; latency and counts."""
    from fmslab.streaming.pipeline import start_pipeline

    readings = _readings(max(1, round(rate * seconds)), 5, plan.seed + 1, name)
    with _scenario_env(root, name) as (bootstrap, settings, lake):
        pipeline = start_pipeline(
            spark,
            settings,
            bootstrap=bootstrap,
            checkpoint_dir=root / name / "checkpoint",
            trigger=plan.trigger,
            check_delay=False,
            publish=False,
            lake=lake,
        )
        watcher = LakeWatcher(lake, plan.poll)
        abort = threading.Event()
        watching = threading.Thread(
            target=watcher.wait_for, args=(len(readings), seconds + plan.settle_timeout, abort)
        )
        watching.start()
        try:
            produced_in = produce_paced(bootstrap, readings, rate)
        except BaseException:
            abort.set()  # the watcher would otherwise wait for readings never sent
            raise
        finally:
            watching.join()
            pipeline.stop()
        result = counts(len(readings), stored_ids(lake)["reading_id"])
    result.update(
        rate_msg_s=rate,
        achieved_rate_msg_s=round(len(readings) / produced_in, 1) if produced_in else 0.0,
        seconds=round(produced_in, 2),
        latency_s=latency_summary(watcher.latencies()),
    )
    return result


def run_pipeline_bench(plan: BenchPlan | None = None, work_dir: Path | None = None) -> dict:
    """Run the three scenarios; returns the report (see the module docstring for the keys)."""
    from fmslab.streaming.session import spark_session, stop_spark

    plan = plan or BenchPlan()
    sampler = MemorySampler()
    with contextlib.ExitStack() as stack:
        root = work_dir or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="fms-")))
        sampler.start()
        spark = spark_session("fmslab-bench-pipeline", settings=Settings(state_dir=root / "spark"))
        stack.callback(stop_spark)
        drain = run_drain(spark, root, plan)
        normal_rate = plan.normal_devices / plan.normal_interval
        normal = run_steady(spark, root, "normal", normal_rate, plan.normal_seconds, plan)
        normal["devices"], normal["interval_s"] = plan.normal_devices, plan.normal_interval
        high = run_steady(spark, root, "high", plan.high_rate, plan.high_seconds, plan)
    return _report(plan, drain, normal, high, sampler.stop())


def _report(plan: BenchPlan, drain: dict, normal: dict, high: dict, rss_mb: float) -> dict:
    scenarios = {"drain": drain, "normal": normal, "high": high}
    total = {k: sum(s[k] for s in scenarios.values()) for k in ("sent", "stored", "lost")}
    total["duplicates"] = sum(s["duplicates"] for s in scenarios.values())
    return {
        **total,
        "throughput_msg_s": drain["throughput_msg_s"],
        "latency_s": {k: v for k, v in normal["latency_s"].items() if k != "samples"},
        "rss_mb": rss_mb,
        "scenarios": scenarios,
        "targets": TARGETS,
        "meets_targets": {
            "throughput_msg_s": drain["throughput_msg_s"] >= TARGETS["throughput_msg_s"],
            "rss_mb": rss_mb <= TARGETS["rss_mb"],
            "no_loss": total["lost"] == 0,
        },
        "notes": (
            f"latency_s is the normal scenario ({plan.normal_devices} devices every "
            f"{plan.normal_interval} s; the course's 10 s shortened to get samples) and includes "
            f"up to {plan.poll} s of lake polling; trigger {plan.trigger}"
        ),
        "machine": {"cpus": os.cpu_count(), "load_average_1m": round(os.getloadavg()[0], 2)},
    }
