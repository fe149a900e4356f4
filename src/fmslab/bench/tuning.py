"""Tuning sweeps for chapter 10: one setting changed at a time, each run measured for real.

Every sweep returns a pandas DataFrame, one row per setting, with exact counts beside the figures:

- `compression_sweep`: the course's producer settings (`fmslab.broker.clients.PRODUCER_DEFAULTS`:
  batch 16 KB, linger 10 ms, acks=all) with each codec, on the same seeded payloads, through the
  embedded broker. The client is librdkafka (`BulkProducer`, and its consumer) because its
  statistics count bytes (kafka-python's metrics keep only rates and averages). Sizes per
  message: `wire_bytes_per_msg` = the producer's `txbytes` (every byte it sent the broker,
  request framing included); `stored_bytes_per_msg` = the consumer's `rxbytes` for reading the
  topic back from offset 0 (the record batches as the broker keeps them, still compressed, plus
  the fetch framing). Rates: messages / seconds from the first send to the last ack, and from the
  consumer's start to the last record.
- `trigger_sweep`: Spark's processingTime trigger -> the end-to-end latency of each reading
  (collected_at -> readable in the lake, `fmslab.bench.pipeline.LakeWatcher`), kept as a list per
  setting so a chart can show the distribution.
- `batch_size_sweep` (maxOffsetsPerTrigger) and `partitions_sweep` (partitions of fms-raw-data):
  a backlog drained with availableNow; the drain rate is Spark's own progress (rows / trigger
  execution time of the batches after the first, `fmslab.bench.pipeline.batch_rates`).
- `collector_sweep`: the collector's `max_connections` against the real HTTP simulator
  (`fmslab.bench.collector.run_collector_bench`) -> readings per second polled and produced.

Lost and duplicated readings are counted from what came back (topic, lake), never assumed.
"""

from __future__ import annotations

import contextlib
import json
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from fmslab.bench.collector import run_collector_bench
from fmslab.bench.pipeline import (
    RAW_TOPIC,
    BenchPlan,
    LakeWatcher,
    _await_first_batch,
    _readings,
    batch_rates,
    counts,
    produce_all,
    produce_paced,
    stored_ids,
    warm_up,
)
from fmslab.bench.producer import ensure_topic, sample_readings, stored
from fmslab.broker.clients import PRODUCER_DEFAULTS, BulkProducer
from fmslab.broker.embedded import embedded_broker
from fmslab.broker.topics import create_topics
from fmslab.config import Settings
from fmslab.lake.storage import Lake, open_lake
from fmslab.measure import summarize

CODECS = ("none", "gzip", "snappy", "lz4", "zstd")
TRIGGERS = ("0.5 seconds", "1 second", "2 seconds")
BATCH_SIZES = (100, 500, 2000)
PARTITIONS = (1, 3, 5)
CONNECTIONS = (1, 4, 16, 64)
STATS_EVERY_MS = 100


class ClientStats:
    """librdkafka's statistics (the `stats_cb` JSON, emitted every `statistics.interval.ms`
    while the client is polled): the last report, and a wait for one newer than now."""

    def __init__(self) -> None:
        self.reports: list[dict[str, Any]] = []

    def __call__(self, text: str) -> None:
        self.reports.append(json.loads(text))

    def settle(self, poll: Callable[[], Any], timeout: float = 5.0) -> dict[str, Any]:
        """Call `poll` until two more reports came (the last one counts every byte so far)."""
        wanted, deadline = len(self.reports) + 2, time.monotonic() + timeout
        while len(self.reports) < wanted and time.monotonic() < deadline:
            poll()
            time.sleep(0.02)
        if not self.reports:
            raise RuntimeError("librdkafka sent no statistics (statistics.interval.ms)")
        return self.reports[-1]


def _broker_bytes(report: dict[str, Any], key: str) -> int:
    """`txbytes` (sent) or `rxbytes` (received) summed over the brokers of one stats report."""
    return sum(int(b.get(key, 0)) for b in report.get("brokers", {}).values())


def course_producer_config(codec: str) -> dict[str, Any]:
    """The course's producer settings (`PRODUCER_DEFAULTS`: batch 16 KB, linger 10 ms,
    acks=all) in librdkafka's names, with `codec` and statistics every 100 ms."""
    return {
        "compression.type": codec,
        "batch.size": PRODUCER_DEFAULTS["batch_size"],
        "linger.ms": PRODUCER_DEFAULTS["linger_ms"],
        "acks": PRODUCER_DEFAULTS["acks"],
        "statistics.interval.ms": STATS_EVERY_MS,
    }


def _produce_codec(
    bootstrap: str, topic: str, codec: str, payloads: list[tuple[bytes, bytes]]
) -> tuple[int, float, int]:
    """Send every payload with the course settings and `codec`; (delivered, seconds from the
    first send to the last ack, bytes the producer sent to the broker)."""
    stats = ClientStats()
    producer = BulkProducer(bootstrap, **course_producer_config(codec), stats_cb=stats)
    try:
        began = time.perf_counter()
        producer.send_all(topic, payloads)
        producer.flush()
        seconds = time.perf_counter() - began
        sent_bytes = _broker_bytes(stats.settle(producer.poll), "txbytes")
    finally:
        producer.close()
    return len(payloads), seconds, sent_bytes


def _consume_all(bootstrap: str, topic: str, expected: int) -> tuple[list[bytes], float, int]:
    """Read partition 0 of `topic` from the start until `expected` records (or 30 s without
    one); returns (values, seconds, bytes the consumer received from the broker)."""
    from confluent_kafka import Consumer, TopicPartition

    stats = ClientStats()
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"tuning-{topic}",
            "enable.auto.commit": False,
            "statistics.interval.ms": STATS_EVERY_MS,
            "stats_cb": stats,
        }
    )
    values: list[bytes] = []
    try:
        consumer.assign([TopicPartition(topic, 0, 0)])
        began = time.perf_counter()
        while len(values) < expected:
            batch = consumer.consume(num_messages=min(1000, expected - len(values)), timeout=30)
            if not batch:
                break  # 30 s without a record: what arrived is what the count says
            values += [m.value() for m in batch if m.error() is None]
        seconds = time.perf_counter() - began
        # Serving the statistics consumes too: a record that comes now is counted (a duplicate).
        late: list[Any] = []
        received = _broker_bytes(
            stats.settle(lambda: late.extend(consumer.consume(timeout=0.05))), "rxbytes"
        )
        values += [m.value() for m in late if m.error() is None]
    finally:
        consumer.close()
    return values, seconds, received


def _rate(count: int, seconds: float) -> float:
    return round(count / seconds, 1) if seconds > 0 else 0.0


def codec_row(bootstrap: str, codec: str, payloads: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    """Produce and consume `payloads` with one codec on a topic of its own (1 partition)."""
    topic = f"tuning-compression-{codec}"
    ensure_topic(bootstrap, topic, partitions=1)
    acked, produce_s, wire = _produce_codec(bootstrap, topic, codec, payloads)
    values, consume_s, fetched = _consume_all(bootstrap, topic, len(payloads))
    sent = len(payloads)
    return {
        "codec": codec,
        "sent": sent,
        "acked": acked,
        "on_topic": stored(bootstrap, topic),
        "consumed": len(values),
        "identical": sorted(values) == sorted(v for _, v in payloads),
        "payload_bytes_per_msg": round(sum(len(v) for _, v in payloads) / sent, 1),
        "wire_bytes_per_msg": round(wire / sent, 1),
        "stored_bytes_per_msg": round(fetched / sent, 1),
        "produce_msg_s": _rate(acked, produce_s),
        "consume_msg_s": _rate(len(values), consume_s),
    }


def compression_sweep(
    messages: int = 5000,
    codecs: tuple[str, ...] = CODECS,
    *,
    seed: int = 42,
    bootstrap: str | None = None,
    work_dir: Path | None = None,
) -> pd.DataFrame:
    """Each codec on the same `messages` seeded readings; one row per codec (see module doc).

    `stored_ratio` is the codec's stored bytes / the uncompressed ("none") ones when "none" is
    among the codecs."""
    payloads = sample_readings(messages, seed)
    with _broker(bootstrap, work_dir) as address:
        rows = [codec_row(address, codec, payloads) for codec in codecs]
    frame = pd.DataFrame(rows).set_index("codec")
    if "none" in frame.index:
        frame["stored_ratio"] = (
            frame["stored_bytes_per_msg"] / frame.loc["none", "stored_bytes_per_msg"]
        ).round(3)
    return frame


@contextlib.contextmanager
def _broker(bootstrap: str | None, work_dir: Path | None) -> Iterator[str]:
    """The given broker, or an embedded one for the block."""
    if bootstrap is not None:
        yield bootstrap
        return
    with contextlib.ExitStack() as stack:
        root = work_dir or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="fms-")))
        yield stack.enter_context(embedded_broker(state_dir=Path(root) / "broker"))


@contextlib.contextmanager
def _pipeline_env(root: Path, name: str, partitions: int | None = None) -> Iterator[tuple]:
    """An embedded broker with fms-raw-data (`partitions`, default the course's) and a lake."""
    work = root / name
    work.mkdir(parents=True, exist_ok=True)
    settings = Settings(state_dir=work / "state", lake_dir=work / "lake")
    with embedded_broker(state_dir=work / "broker") as bootstrap:
        create_topics(bootstrap, [RAW_TOPIC], partitions=partitions)
        yield bootstrap, settings, open_lake(settings)


WORKER_START = "Python worker failed to connect back"
START_ATTEMPTS = 5


def retry_worker_start(run: Callable[[Path], dict[str, Any]], root: Path) -> dict[str, Any]:
    """`run(folder)`, run again (up to START_ATTEMPTS in all) when Spark's Python worker did not
    connect back in time as the query started: on an overloaded machine its start-up (Python
    and the imports) can exceed the JVM's wait. Each attempt gets a folder of its own under
    `root` (its broker, lake and checkpoint), so a failed one leaves nothing behind;
    `start_attempts` in the row says how many it took."""
    for attempt in range(1, START_ATTEMPTS + 1):
        try:
            return {**run(root / f"attempt-{attempt}"), "start_attempts": attempt}
        except Exception as exc:  # noqa: BLE001 - only the worker start-up is retried
            if WORKER_START not in str(exc) or attempt == START_ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def drain_row(
    spark: Any, root: Path, readings: list[dict[str, Any]], batch_size: int, partitions: int
) -> dict[str, Any]:
    """Produce `readings`, drain them with availableNow in batches of at most `batch_size`;
    exact counts from the lake and Spark's own batch rates."""
    from fmslab.streaming.pipeline import start_pipeline

    name = f"drain-{batch_size}-{partitions}"
    with _pipeline_env(root, name, partitions) as (bootstrap, settings, lake):
        sent = produce_all(bootstrap, readings)
        began = time.perf_counter()
        pipeline = start_pipeline(
            spark,
            settings,
            bootstrap=bootstrap,
            checkpoint_dir=root / name / "checkpoint",
            available_now=True,
            max_offsets_per_trigger=batch_size,
            check_delay=False,
            publish=False,
            lake=lake,
        )
        try:
            pipeline.await_termination(600)
        finally:
            pipeline.stop()
        seconds = time.perf_counter() - began
        rates = batch_rates(list(pipeline.query.recentProgress))
        result = counts(sent, stored_ids(lake))
    return {
        "max_offsets_per_trigger": batch_size,
        "partitions": partitions,
        **result,
        "batches": len(rates["batches"]),
        "drain_msg_s": rates["steady_msg_s"],
        "end_to_end_msg_s": _rate(result["stored"], seconds),
    }


def _drain_sweep(
    spark: Any, backlog: int, seed: int, work_dir: Path | None, settings: list[tuple[int, int]]
) -> list[dict[str, Any]]:
    """One drain of the same seeded backlog per (maxOffsetsPerTrigger, partitions) setting."""
    readings = _readings(backlog, 5, seed, "drain")
    with _root(work_dir) as root:
        return [
            retry_worker_start(
                lambda at, s=size, c=count: drain_row(spark, at, readings, s, c), root / str(n)
            )
            for n, (size, count) in enumerate(settings)
        ]


def batch_size_sweep(
    spark: Any,
    backlog: int = 6000,
    sizes: tuple[int, ...] = BATCH_SIZES,
    *,
    partitions: int = 5,
    seed: int = 42,
    work_dir: Path | None = None,
) -> pd.DataFrame:
    """Drain the same backlog once per maxOffsetsPerTrigger; one row per size."""
    rows = _drain_sweep(spark, backlog, seed, work_dir, [(size, partitions) for size in sizes])
    return pd.DataFrame(rows).set_index("max_offsets_per_trigger")


def partitions_sweep(
    spark: Any,
    backlog: int = 6000,
    partitions: tuple[int, ...] = PARTITIONS,
    *,
    batch_size: int = 2000,
    seed: int = 42,
    work_dir: Path | None = None,
) -> pd.DataFrame:
    """Drain the same backlog from fms-raw-data with each partition count; one row per count."""
    rows = _drain_sweep(spark, backlog, seed, work_dir, [(batch_size, c) for c in partitions])
    return pd.DataFrame(rows).set_index("partitions")


@contextlib.contextmanager
def _root(work_dir: Path | None) -> Iterator[Path]:
    if work_dir is not None:
        yield Path(work_dir)
        return
    with tempfile.TemporaryDirectory(prefix="fms-") as root:
        yield Path(root)


def _watch_while_sending(
    bootstrap: str, lake: Lake, readings: list[dict[str, Any]], rate: float, plan: BenchPlan
) -> LakeWatcher:
    """Send `readings` at `rate`/s while a watcher notes when each becomes readable."""
    watcher = LakeWatcher(lake, plan.poll)
    watcher.skip_present()
    watching = threading.Thread(
        target=watcher.wait_for, args=(len(readings), len(readings) / rate + plan.settle_timeout)
    )
    watching.start()
    try:
        produce_paced(bootstrap, readings, rate)
    finally:
        watching.join()
    return watcher


def trigger_row(
    spark: Any,
    root: Path,
    trigger: str,
    readings: list[dict[str, Any]],
    rate: float,
    plan: BenchPlan,
) -> dict[str, Any]:
    """Run the stream job with `trigger`, warm it up, send `readings` at `rate`/s; the latency of
    every reading (seconds, in `latencies_s`) and exact counts."""
    from fmslab.streaming.pipeline import start_pipeline

    name = "trigger-" + trigger.replace(" ", "-")
    with _pipeline_env(root, name) as (bootstrap, settings, lake):
        pipeline = start_pipeline(
            spark,
            settings,
            bootstrap=bootstrap,
            checkpoint_dir=root / name / "checkpoint",
            trigger=trigger,
            check_delay=False,
            publish=False,
            lake=lake,
        )
        try:
            _await_first_batch(pipeline, 120.0)
            warm_up(bootstrap, lake, plan, len({r["DeviceId"] for r in readings}))
            watcher = _watch_while_sending(bootstrap, lake, readings, rate, plan)
            busy = batch_rates(list(pipeline.query.recentProgress))
        finally:
            pipeline.stop()
        result = counts(len(readings), stored_ids(lake))
    latencies = sorted(watcher.latencies())
    summary = summarize(latencies)
    work = [batch["ms"] / 1000 for batch in busy["batches"]]
    return {
        "trigger": trigger,
        **result,
        # a micro-batch's own time: when it exceeds the interval, batches run back to back
        "batch_p50_s": summarize(work)["p50"] if work else None,
        "p50_s": summary["p50"],
        "p95_s": summary["p95"],
        "max_s": summary["max"],
        "latencies_s": [round(x, 3) for x in latencies],
    }


def trigger_sweep(
    spark: Any,
    readings: int = 60,
    triggers: tuple[str, ...] = TRIGGERS,
    *,
    rate: float = 20.0,
    warmup: int = 20,
    seed: int = 42,
    work_dir: Path | None = None,
) -> pd.DataFrame:
    """The same `readings` sent at `rate`/s to the stream job under each processingTime trigger;
    one row per trigger with the latency list for a distribution chart."""
    plan = BenchPlan(warmup=warmup, poll=0.1, settle_timeout=60.0, seed=seed, progress=False)
    sample = _readings(readings, 5, seed + 1, "trigger")
    with _root(work_dir) as root:
        rows = [
            retry_worker_start(
                lambda at, t=t: trigger_row(spark, at, t, sample, rate, plan), root / str(n)
            )
            for n, t in enumerate(triggers)
        ]
    return pd.DataFrame(rows).set_index("trigger")


def collector_sweep(
    devices: int = 200,
    connections: tuple[int, ...] = CONNECTIONS,
    *,
    interval: float = 0.5,
    duration: float = 3.0,
    seed: int = 42,
) -> pd.DataFrame:
    """Poll `devices` simulated devices every `interval` s for `duration` s once per
    `max_connections`; readings per second polled, and the counts behind them."""
    rows = []
    for limit in connections:
        run = run_collector_bench(devices, interval, duration, seed=seed, max_connections=limit)
        rows.append(
            {
                "max_connections": limit,
                "devices": devices,
                "target_per_s": run["target_per_s"],
                "collected": run["collected"],
                "produced": run["produced"],
                "on_topic": run["on_topic"],
                "archived": run["archived"],
                "lost": run["lost"],
                "readings_per_s": run["readings_per_s"],
                "poll_to_ack_p95_ms": run["poll_to_ack_ms"]["p95"],
            }
        )
    return pd.DataFrame(rows).set_index("max_connections")
