"""Pipeline benchmark: fms-raw-data -> Spark -> lake, measured end to end (`fmslab bench pipeline`).

The issue's three scenarios, each on its own embedded broker, lake and checkpoint (one
SparkSession, so the JVM starts once):

- drain: a backlog of seeded readings (default 60,000) is produced first, then the pipeline drains
  it with availableNow in micro-batches of at most `batch_size` (maxOffsetsPerTrigger). Two rates:
  the steady rate of the micro-batches (Spark's progress: sum of numInputRows / sum of
  triggerExecution durations) and the end-to-end rate (records / seconds from the query's start to
  its end, the one-off query start included). `throughput_msg_s` is the steady rate.
- normal: the course's load, 5 devices each sending every 10 s, the devices staggered over the
  interval (one reading every 2 s), for 60 s (30 samples).
- high: 1,000 readings/s for 20 s.

In normal and high the query is started and its first (empty) micro-batch awaited, then warmed up
with `warmup` readings (one reading per device, then `warmup` in one go, a day before the measured
ones, reading_ids `warmup-...`) until they are readable, before the first measured reading is
sent: the latency is the pipeline's in its steady state, not the start-up of the query and of
Spark's Python workers (the first micro-batch with data costs several seconds more; the drain's
`first_batch_ms` shows it). Warm-up readings are not counted anywhere. A watcher reads the
new lake files of the reading zones every `poll` seconds and notes when each reading_id first
becomes readable; latency = that moment - `collected_at` (set when the reading is sent), so it
includes up to `poll` seconds of watching granularity.

Loss and duplicates are counted from the lake (reading_id), never assumed. Peak memory is the
resident memory of this process's whole tree (this Python, the JVM, its Python workers and the
broker) as the sum of PSS (shared pages counted once), sampled every 0.5 s with psutil;
`rss_at_peak_mb` splits the peak by kind of process, `rss_sum_mb` is the plain sum of RSS.
The stream job's driver side (foreachBatch) runs in this process, beside the watcher; the paced
sender of normal and high is a process of its own (as the collector is in `fmslab run`), so it does
not share the driver's interpreter lock, and its memory is not counted as the pipeline's.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import psutil
import pyarrow.parquet as pq
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from fmslab.broker.clients import BulkProducer, make_producer
from fmslab.broker.embedded import embedded_broker
from fmslab.broker.topics import create_topics
from fmslab.config import Settings
from fmslab.lake.partitions import list_partitions
from fmslab.lake.storage import Lake, open_lake
from fmslab.lake.zones import READING_ZONES
from fmslab.measure import summarize
from fmslab.simulator.clock import DEFAULT_START
from fmslab.simulator.feed import simulate_readings

RAW_TOPIC = "fms-raw-data"
TARGETS = {
    "throughput_msg_s": 5000,
    "latency_normal_p95_s": 3.0,
    "latency_high_p95_s": 5.0,
    "rss_mb": 2500,
}
READY_TIMEOUT = 120.0


@dataclass
class BenchPlan:
    """What the benchmark runs; the defaults are the issue's scenarios (tests pass tiny numbers)."""

    backlog: int = 60_000
    batch_size: int = 20_000  # maxOffsetsPerTrigger of the drain: several batches
    normal_devices: int = 5
    normal_interval: float = 10.0  # each device sends every 10 s, staggered over the interval
    normal_seconds: float = 60.0  # 5 devices x 6 sends = 30 samples
    high_rate: float = 1000.0  # readings per second
    high_seconds: float = 20.0
    trigger: str = "1 second"
    warmup: int = 500  # readings that warm the query up before normal and high (not counted)
    poll: float = 0.2
    settle_timeout: float = 120.0
    seed: int = 42
    progress: bool = True


def _process_kind(proc: psutil.Process) -> str:
    """Which part of the pipeline a process of the tree is."""
    if proc.pid == os.getpid():
        return "driver"  # this Python: Spark's driver side (foreachBatch), producer, watcher
    name = proc.name().lower()
    if name.startswith("java"):
        return "jvm"
    if name.startswith("python"):
        return "python_workers"
    return "broker"  # the embedded Tansu


def _memory_mb(proc: psutil.Process) -> tuple[float, float]:
    """(PSS, RSS) of one process in MiB; PSS is RSS when the system does not report it."""
    try:
        info = proc.memory_full_info()
        return getattr(info, "pss", info.rss) / 2**20, info.rss / 2**20
    except psutil.AccessDenied:
        rss = proc.memory_info().rss / 2**20
        return rss, rss


class MemorySampler(threading.Thread):
    """Samples the memory of this process and all its descendants; keeps the peak, and how it
    divides between the driver, the JVM, Spark's Python workers and the broker then.

    The figure is the sum of PSS (proportional set size: a page shared by n processes counts 1/n
    in each), i.e. the pipeline's resident memory with shared pages counted once. Spark forks its
    Python workers from a daemon, so a plain sum of RSS counts the pages they share several
    times; that sum is kept too (`peak_rss_sum_mb`)."""

    def __init__(self, every: float = 0.5) -> None:
        super().__init__(daemon=True, name="rss-sampler")
        self.every = every
        self.peak_mb = 0.0
        self.peak_rss_sum_mb = 0.0
        self.peak_parts: dict[str, float] = {}
        self.excluded: set[int] = set()  # the load generator's processes: not the pipeline
        self._halt = threading.Event()

    def tree_memory_mb(self) -> tuple[dict[str, float], float]:
        """PSS in MiB of this process and every descendant per kind of process, and the RSS sum."""
        me = psutil.Process()
        parts: dict[str, float] = {}
        rss_sum = 0.0
        for proc in [me, *me.children(recursive=True)]:
            if proc.pid in self.excluded:
                continue
            with contextlib.suppress(psutil.Error):
                kind = _process_kind(proc)
                pss, rss = _memory_mb(proc)
                parts[kind] = parts.get(kind, 0.0) + pss
                rss_sum += rss
        return parts, rss_sum

    def tree_rss_mb(self) -> float:
        """Resident memory (PSS sum) of this process plus every descendant, in MiB."""
        return sum(self.tree_memory_mb()[0].values())

    def _sample(self) -> None:
        parts, rss_sum = self.tree_memory_mb()
        self.peak_rss_sum_mb = max(self.peak_rss_sum_mb, round(rss_sum, 1))
        if sum(parts.values()) > self.peak_mb:
            self.peak_mb = sum(parts.values())
            self.peak_parts = {kind: round(mb, 1) for kind, mb in sorted(parts.items())}

    def run(self) -> None:
        while not self._halt.is_set():
            self._sample()
            self._halt.wait(self.every)

    def stop(self) -> float:
        """Stop sampling; returns the peak in MiB (one last sample included)."""
        self._sample()
        self._halt.set()
        self.join(timeout=5)
        return round(self.peak_mb, 1)


class BenchProgress:
    """A progress bar per phase on stderr (stdout keeps the JSON); silent when disabled."""

    def __init__(self, enabled: bool) -> None:
        self.bars = Progress(
            TextColumn("{task.description:<34}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            disable=not enabled,
        )

    def __enter__(self) -> BenchProgress:
        self.bars.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.bars.stop()

    def phase(self, description: str, total: float | None) -> Callable[[float], None]:
        """Add a bar; returns a function that sets how much of `total` is done."""
        task = self.bars.add_task(description, total=total)

        def done(completed: float) -> None:
            self.bars.update(task, completed=completed)

        return done


WARMUP = "warmup"
_DAY_BEFORE = "2024-01-14T14:30:00Z"  # warm-up readings: no (DeviceId, time) of a measured one


def _readings(
    count: int, devices: int, seed: int, prefix: str, start: str = DEFAULT_START
) -> list[dict[str, Any]]:
    """`count` simulator readings, interleaved by slot (device 1..n of slot 0, then slot 1...)."""
    slots = -(-count // devices)
    rows = simulate_readings(seed=seed, devices=devices, count=slots, start=start)[:count]
    return [{**r, "reading_id": f"{prefix}-{i}"} for i, r in enumerate(rows) if isinstance(r, dict)]


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _encode(reading: dict[str, Any]) -> tuple[bytes, bytes]:
    return str(reading["DeviceId"]).encode(), json.dumps(reading).encode()


def produce_all(
    bootstrap: str, readings: list[dict[str, Any]], done: Callable[[float], None] | None = None
) -> int:
    """Produce every reading (keyed by DeviceId) and wait for the acks; returns the count."""
    producer = make_producer(bootstrap, linger_ms=5)
    try:
        futures = []
        for n, reading in enumerate(readings, 1):
            key, value = _encode({**reading, "collected_at": _now_iso()})
            futures.append(producer.send(RAW_TOPIC, key=key, value=value))
            if done is not None and n % 1000 == 0:
                done(n)
        producer.flush()
        for future in futures:
            future.get(timeout=30)
    finally:
        producer.close()
    return len(readings)


def produce_paced(
    bootstrap: str,
    readings: list[dict[str, Any]],
    rate: float,
    done: Callable[[float], None] | None = None,
) -> float:
    """Send reading n at n / `rate` s (collected_at = the send time), then wait for the acks;
    returns the seconds from the first send to the last (the flush after it not included).

    The readings are interleaved by slot, so with `rate` = devices / interval each device sends
    once per interval, the devices staggered evenly over it. The sender is librdkafka
    (`BulkProducer`, 1 ms linger): a load generator should cost the machine little CPU, and
    kafka-python's send costs about ten times more per message.
    """
    producer = BulkProducer(bootstrap, **{"linger.ms": 1})
    every = max(1, int(rate // 4))  # the bar moves about 4 times a second
    start = last = time.monotonic()
    try:
        for n, reading in enumerate(readings):
            time.sleep(max(0.0, start + n / rate - time.monotonic()))
            key, value = _encode({**reading, "collected_at": _now_iso()})
            last = time.monotonic()
            producer.send(RAW_TOPIC, value, key)
            producer.poll()
            if done is not None and (n + 1) % every == 0:
                done(n + 1)
    finally:
        producer.close()
    if done is not None:
        done(len(readings))
    return last - start


def _send_from_child(bootstrap: str, readings: list[dict[str, Any]], rate: float, out: Any) -> None:
    try:
        out.put(("ok", produce_paced(bootstrap, readings, rate)))
    except BaseException as exc:  # reported to the parent, which raises it
        out.put(("error", f"{type(exc).__name__}: {exc}"))


def produce_paced_apart(
    bootstrap: str,
    readings: list[dict[str, Any]],
    rate: float,
    done: Callable[[float], None] | None = None,
    started: Callable[[int], None] | None = None,
) -> float:
    """`produce_paced` in a process of its own; returns its seconds from first to last send.

    The stream job's driver side (foreachBatch) runs in this process: a sender here would share
    its interpreter lock and slow the very batches it measures, as the collector, a process of
    its own in `fmslab run`, does not. `started` gets the sender's pid (to leave it out of the
    pipeline's memory); `done` gets the count the schedule has reached (for a progress bar)."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    child = context.Process(
        target=_send_from_child, args=(bootstrap, readings, rate, results), daemon=True
    )
    child.start()
    if started is not None and child.pid is not None:
        started(child.pid)
    began = time.monotonic()
    try:
        while child.is_alive() and results.empty():
            if done is not None:
                done(min(len(readings), int((time.monotonic() - began) * rate)))
            time.sleep(0.25)
        kind, value = results.get(timeout=30)
    finally:
        child.join(timeout=10)
        if child.is_alive():
            child.terminate()
            child.join()
    if kind != "ok":
        raise RuntimeError(f"the paced sender failed: {value}")
    if done is not None:
        done(len(readings))
    return float(value)


def send_rate(count: int, span: float) -> float:
    """Readings per second of `count` sends over `span` seconds from the first to the last."""
    return round((count - 1) / span, 1) if count > 1 and span > 0 else 0.0


def counts(sent: int, ids: list[str]) -> dict[str, int]:
    """sent, stored (records), lost (sent ids never stored) and duplicates (extra copies)."""
    unique = len(set(ids))
    return {
        "sent": sent,
        "stored": len(ids),
        "lost": sent - unique,
        "duplicates": len(ids) - unique,
    }


@dataclass
class LakeWatcher:
    """Notes when each reading_id first becomes readable in the lake's reading zones.

    Each look reads only the data files it has not read yet (path, size): a batch file is written
    once (atomically renamed into place), so the cost of a look does not grow with the lake.
    """

    lake: Lake
    every: float
    first_seen: dict[str, float] = field(default_factory=dict)
    collected: dict[str, float] = field(default_factory=dict)
    rows: list[str] = field(default_factory=list)  # reading_id of every stored record
    _read: set[tuple[str, int]] = field(default_factory=set)

    def _new_files(self) -> list[tuple[str, int]]:
        found = []
        for zone in READING_ZONES:
            for partition in list_partitions(self.lake, zone):
                found += [
                    (e.path, e.size) for e in partition.files if (e.path, e.size) not in self._read
                ]
        return found

    def skip_present(self) -> None:
        """Leave out every file there is now (a later look reads only newer files)."""
        self._read.update(self._new_files())

    def look(self) -> int:
        """Read the new files once; returns how many distinct reading_ids are stored."""
        for path, size in self._new_files():
            with self.lake.open(path) as handle:
                frame = pq.read_table(handle, columns=["reading_id", "collected_at"]).to_pandas()
            now = time.time()
            self._read.add((path, size))
            self.rows += [str(r) for r in frame["reading_id"]]
            for rid, stamp in zip(frame["reading_id"], frame["collected_at"], strict=True):
                if rid not in self.first_seen:
                    self.first_seen[rid] = now
                    self.collected[rid] = pd.Timestamp(stamp).timestamp()
        return len(self.first_seen)

    def wait_for(
        self,
        expected: int,
        timeout: float,
        stop: threading.Event | None = None,
        done: Callable[[float], None] | None = None,
    ) -> None:
        """Look every `every` s until `expected` ids are seen, `stop` is set, or time is up."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            seen = self.look()
            if done is not None:
                done(seen)
            if seen >= expected or (stop is not None and stop.is_set()):
                return
            time.sleep(self.every)

    def latencies(self) -> list[float]:
        """Seconds from collected_at to first readable, per reading."""
        return [self.first_seen[r] - self.collected[r] for r in self.first_seen]


def stored_ids(lake: Lake) -> list[str]:
    """reading_id of every record in the reading zones (read afresh), warm-up ones left out."""
    watcher = LakeWatcher(lake, 0.0)
    watcher.look()
    return [rid for rid in watcher.rows if not rid.startswith(f"{WARMUP}-")]


def warm_up(bootstrap: str, lake: Lake, plan: BenchPlan, devices: int) -> tuple[int, float]:
    """Send warm-up readings (one per device, then `plan.warmup`) and wait until each round is
    readable; returns (readings, seconds). Afterwards the measured readings find the query, its
    Python workers and the sink warm."""
    began = time.monotonic()
    readings = _readings(devices + plan.warmup, devices, plan.seed, WARMUP, _DAY_BEFORE)
    watcher = LakeWatcher(lake, plan.poll)
    for round_ in (readings[:devices], readings[devices:]):
        produce_all(bootstrap, round_)
        watcher.wait_for(len(watcher.first_seen) + len(round_), plan.settle_timeout)
    if len(watcher.first_seen) < len(readings):
        raise RuntimeError(f"warm-up: {len(watcher.first_seen)} of {len(readings)} readable")
    return len(readings), time.monotonic() - began


@contextlib.contextmanager
def _scenario_env(root: Path, name: str) -> Iterator[tuple[str, Settings, Lake]]:
    work = root / name
    settings = Settings(state_dir=work / "state", lake_dir=work / "lake")
    with embedded_broker(state_dir=work / "broker") as bootstrap:
        create_topics(bootstrap, [RAW_TOPIC])
        yield bootstrap, settings, open_lake(settings)


def _field(progress: Any, *path: str) -> Any:
    # PySpark 4 gives StreamingQueryProgress objects, older ones dicts: both take [key].
    value = progress
    for key in path:
        value = value[key]
    return value


def batch_rates(progress: list[Any]) -> dict[str, Any]:
    """Rows and triggerExecution ms of the batches that read rows, and their rates.

    `steady_msg_s` leaves out the first batch when there are more: it also starts Spark's Python
    workers (imports included), a one-off cost `first_batch_ms` shows. `all_batches_msg_s`
    counts every batch."""
    batches = [
        {
            "batch_id": int(_field(p, "batchId")),
            "rows": int(_field(p, "numInputRows")),
            "ms": int(_field(p, "durationMs").get("triggerExecution", 0)),
        }
        for p in progress
        if int(_field(p, "numInputRows")) > 0
    ]

    def rate(chosen: list[dict[str, int]]) -> float:
        rows, ms = sum(b["rows"] for b in chosen), sum(b["ms"] for b in chosen)
        return round(rows * 1000 / ms, 1) if ms else 0.0

    warm = batches[1:] if len(batches) > 1 else batches
    return {
        "batches": batches,
        "steady_msg_s": rate(warm),
        "all_batches_msg_s": rate(batches),
        "first_batch_ms": batches[0]["ms"] if batches else None,
    }


def run_drain(spark: Any, root: Path, plan: BenchPlan, bars: BenchProgress) -> dict[str, Any]:
    """Produce the backlog, then drain it with availableNow; steady and end-to-end rates."""
    from fmslab.streaming.pipeline import start_pipeline

    with _scenario_env(root, "drain") as (bootstrap, settings, lake):
        readings = _readings(plan.backlog, 5, plan.seed, "drain")
        sent = produce_all(
            bootstrap, readings, bars.phase("drain: producing the backlog", len(readings))
        )
        draining = bars.phase("drain: stored by the pipeline", sent)
        began = time.monotonic()
        pipeline = start_pipeline(
            spark,
            settings,
            bootstrap=bootstrap,
            checkpoint_dir=root / "drain" / "checkpoint",
            available_now=True,
            max_offsets_per_trigger=plan.batch_size,
            check_delay=False,
            publish=False,
            lake=lake,
        )
        try:
            deadline = time.monotonic() + plan.settle_timeout * 5
            while not pipeline.await_termination(0.5) and time.monotonic() < deadline:
                draining(pipeline.stats.records)
        finally:
            pipeline.stop()
        seconds = time.monotonic() - began
        rates = batch_rates(list(pipeline.query.recentProgress))
        result = counts(sent, stored_ids(lake))
        draining(result["stored"])
    result.update(
        seconds=round(seconds, 2),
        batch_size=plan.batch_size,
        batches=rates["batches"],
        throughput_msg_s=rates["steady_msg_s"],
        all_batches_msg_s=rates["all_batches_msg_s"],
        first_batch_ms=rates["first_batch_ms"],
        end_to_end_msg_s=round(result["stored"] / seconds, 1) if seconds else 0.0,
    )
    return result


def _await_first_batch(pipeline: Any, timeout: float) -> float:
    """Wait until the query has run its first micro-batch; returns the seconds waited."""
    began = time.monotonic()
    while pipeline.query.lastProgress is None:
        if not pipeline.query.isActive:
            pipeline.await_termination(1)  # re-raises the query's error
            raise RuntimeError("the stream query stopped before its first micro-batch")
        if time.monotonic() - began > timeout:
            raise RuntimeError(f"no micro-batch within {timeout:g} s")
        time.sleep(0.1)
    return time.monotonic() - began


def run_steady(
    spark: Any,
    root: Path,
    name: str,
    readings: list[dict[str, Any]],
    rate: float,
    plan: BenchPlan,
    bars: BenchProgress,
    exclude: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Send `readings` at `rate` per second to a running pipeline; latency and exact counts.

    The sender is a process of its own (`produce_paced_apart`); `exclude` gets its pid."""
    from fmslab.streaming.pipeline import start_pipeline

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
        try:
            ready_s = _await_first_batch(pipeline, READY_TIMEOUT)
            devices = len({r["DeviceId"] for r in readings})
            warmup, warmup_s = warm_up(bootstrap, lake, plan, devices)
            watcher.skip_present()
            watching = threading.Thread(
                target=watcher.wait_for,
                args=(len(readings), len(readings) / rate + plan.settle_timeout, abort),
                kwargs={"done": bars.phase(f"{name}: readable in the lake", len(readings))},
            )
            watching.start()
            try:
                produced_in = produce_paced_apart(
                    bootstrap,
                    readings,
                    rate,
                    bars.phase(f"{name}: sent", len(readings)),
                    started=exclude,
                )
            except BaseException:
                abort.set()  # the watcher would otherwise wait for readings never sent
                raise
            finally:
                watching.join()
        finally:
            pipeline.stop()
        result = counts(len(readings), stored_ids(lake))
    result.update(
        rate_msg_s=rate,
        achieved_rate_msg_s=send_rate(len(readings), produced_in),
        send_seconds=round(produced_in, 2),  # first send to last
        query_ready_s=round(ready_s, 2),
        warmup_readings=warmup,
        warmup_s=round(warmup_s, 2),
        latency_s=summarize(watcher.latencies()),
    )
    return result


def run_pipeline_bench(plan: BenchPlan | None = None, work_dir: Path | None = None) -> dict:
    """Run the three scenarios; returns the report (see the module docstring for the keys)."""
    from fmslab.streaming.session import spark_session, stop_spark

    plan = plan or BenchPlan()
    sampler = MemorySampler()
    with contextlib.ExitStack() as stack:
        root = work_dir or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="fms-")))
        bars = stack.enter_context(BenchProgress(plan.progress))
        sampler.start()
        spark = spark_session("fmslab-bench-pipeline", settings=Settings(state_dir=root / "spark"))
        stack.callback(stop_spark)
        drain = run_drain(spark, root, plan, bars)
        normal_rate = plan.normal_devices / plan.normal_interval
        count = max(1, round(normal_rate * plan.normal_seconds))
        normal_readings = _readings(count, plan.normal_devices, plan.seed + 1, "normal")
        exclude = sampler.excluded.add
        normal = run_steady(
            spark, root, "normal", normal_readings, normal_rate, plan, bars, exclude
        )
        normal["devices"], normal["interval_s"] = plan.normal_devices, plan.normal_interval
        count = max(1, round(plan.high_rate * plan.high_seconds))
        high_readings = _readings(count, 5, plan.seed + 2, "high")
        high = run_steady(spark, root, "high", high_readings, plan.high_rate, plan, bars, exclude)
    report = _report(plan, drain, normal, high, sampler.stop())
    report["rss_at_peak_mb"] = sampler.peak_parts
    report["rss_sum_mb"] = sampler.peak_rss_sum_mb
    return report


def _p95_met(scenario: dict[str, Any], limit: float) -> bool:
    p95 = scenario["latency_s"]["p95"]
    return p95 is not None and p95 <= limit


def _report(plan: BenchPlan, drain: dict, normal: dict, high: dict, rss_mb: float) -> dict:
    scenarios = {"drain": drain, "normal": normal, "high": high}
    total = {k: sum(s[k] for s in scenarios.values()) for k in ("sent", "stored", "lost")}
    total["duplicates"] = sum(s["duplicates"] for s in scenarios.values())
    drain["meets_targets"] = {
        "throughput_msg_s": drain["throughput_msg_s"] >= TARGETS["throughput_msg_s"],
        "no_loss": drain["lost"] == 0,
    }
    normal["meets_targets"] = {
        "latency_p95": _p95_met(normal, TARGETS["latency_normal_p95_s"]),
        "no_loss": normal["lost"] == 0,
    }
    high["meets_targets"] = {
        "latency_p95": _p95_met(high, TARGETS["latency_high_p95_s"]),
        "no_loss": high["lost"] == 0,
    }
    return {
        **total,
        "throughput_msg_s": drain["throughput_msg_s"],
        "latency_s": normal["latency_s"],
        "rss_mb": rss_mb,
        "scenarios": scenarios,
        "targets": TARGETS,
        "meets_targets": {
            "throughput": drain["meets_targets"]["throughput_msg_s"],
            "latency_normal_p95": normal["meets_targets"]["latency_p95"],
            "latency_high_p95": high["meets_targets"]["latency_p95"],
            "rss": rss_mb <= TARGETS["rss_mb"],
            "no_loss": total["lost"] == 0,
        },
        "notes": _notes(plan),
        "machine": {"cpus": os.cpu_count(), "load_average_1m": round(os.getloadavg()[0], 2)},
    }


def _notes(plan: BenchPlan) -> str:
    return (
        f"throughput_msg_s is the drain's steady rate: sum of numInputRows / sum of "
        f"triggerExecution over its micro-batches after the first ({plan.backlog} readings, at "
        f"most {plan.batch_size} per batch; the first also starts Spark's Python workers: "
        f"first_batch_ms, all_batches_msg_s); end_to_end_msg_s also counts the query's start. "
        f"rss_mb is the peak sum of PSS over the process tree (rss_sum_mb: plain RSS sum). "
        f"latency_s is the normal scenario ({plan.normal_devices} devices each every "
        f"{plan.normal_interval:g} s, staggered), collected_at -> readable in the lake, measured "
        f"after the query's first micro-batch and a warm-up of {plan.warmup} readings (not "
        f"counted); it includes up to {plan.poll:g} s of lake polling "
        f"and the {plan.trigger} trigger. The high scenario's latency is under scenarios.high."
    )
