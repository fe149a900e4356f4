"""Producer benchmark: synchronous latency, asynchronous throughput, concurrent producers, loss.

Three phases, each on its own topic and each checked for loss by end offsets (the records the broker
stored, counted with `fmslab.broker.offsets.end_offsets`, which is right on Tansu and Kafka):

- sync: send one reading, wait for its acknowledgement, repeat (latency: mean, p50, p95, max). The
  course's linger of 10 ms is set to 0 here: a sender that waits for every ack gains nothing from
  lingering, it would only add 10 ms to each send.
- async: send a burst without waiting, then flush (messages per second), with the course defaults.
- concurrent: N producers in N threads, M readings each, all started together.

Clients: kafka-python (the course's client, default) or confluent-kafka (librdkafka), if installed.
"""

from __future__ import annotations

import json
import os
import platform
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from fmslab.broker.clients import PRODUCER_DEFAULTS, make_producer
from fmslab.broker.offsets import end_offsets
from fmslab.measure import summarize
from fmslab.simulator import simulate_readings

TOPICS = {
    "sync": "bench-producer-sync",
    "async": "bench-producer-async",
    "concurrent": "bench-producer-concurrent",
}
PARTITIONS = 5
DEVICES = 5
TARGETS = {"async_msg_per_s": 20_000, "sync_p95_ms": 10.0}
CLIENTS = ("kafka-python", "confluent-kafka")


@dataclass(frozen=True)
class BenchConfig:
    """Sizes of the three phases."""

    sync_count: int = 1000
    async_count: int = 20_000
    producers: int = 5
    per_producer: int = 200
    seed: int = 42
    client: str = "kafka-python"


def sample_readings(count: int, seed: int) -> list[tuple[bytes, bytes]]:
    """`count` (key, JSON value) pairs: what the seeded simulator serves, devices 1-5 in turn."""
    slots = -(-count // DEVICES)  # ceil: the simulator yields whole slots of 5 readings
    readings = simulate_readings(seed=seed, devices=DEVICES, count=slots)[:count]
    return [(str(r["DeviceId"]).encode(), json.dumps(r).encode()) for r in readings]  # type: ignore[index]


class Sender(Protocol):
    """The little a benchmark needs from a producer client."""

    def send(self, topic: str, key: bytes, value: bytes, done: Callable[[bool], None]) -> None: ...
    def send_and_wait(self, topic: str, key: bytes, value: bytes) -> bool: ...
    def flush(self) -> None: ...
    def close(self) -> None: ...


class KafkaPythonSender:
    """kafka-python with the course defaults (plus `overrides`)."""

    def __init__(self, bootstrap: str, **overrides: Any) -> None:
        self.producer = make_producer(bootstrap, **overrides)

    def send(self, topic: str, key: bytes, value: bytes, done: Callable[[bool], None]) -> None:
        future = self.producer.send(topic, key=key, value=value)
        future.add_callback(lambda _meta: done(True))
        future.add_errback(lambda _err: done(False))

    def send_and_wait(self, topic: str, key: bytes, value: bytes) -> bool:
        # Waiting on the future alone is quicker than flush(), which also takes the
        # accumulator's flush lock; with linger 0 the batch leaves at once either way.
        try:
            self.producer.send(topic, key=key, value=value).get(timeout=30)
        except KafkaError:
            return False
        return True

    def flush(self) -> None:
        self.producer.flush()

    def close(self) -> None:
        self.producer.close()


class ConfluentSender:
    """confluent-kafka (librdkafka) with the same course defaults."""

    def __init__(self, bootstrap: str, **overrides: Any) -> None:
        from confluent_kafka import Producer  # optional: only when this client is chosen

        config = {
            "bootstrap.servers": bootstrap,
            "compression.type": PRODUCER_DEFAULTS["compression_type"],
            "batch.size": PRODUCER_DEFAULTS["batch_size"],
            "linger.ms": overrides.get("linger_ms", PRODUCER_DEFAULTS["linger_ms"]),
            "acks": PRODUCER_DEFAULTS["acks"],
        }
        self.producer = Producer(config)

    def send(self, topic: str, key: bytes, value: bytes, done: Callable[[bool], None]) -> None:
        def report(err: object, _msg: object) -> None:
            done(err is None)

        while True:
            try:
                self.producer.produce(topic, value=value, key=key, on_delivery=report)
                break
            except BufferError:  # local queue full: serve callbacks, then retry
                self.producer.poll(0.01)
        self.producer.poll(0)

    def send_and_wait(self, topic: str, key: bytes, value: bytes) -> bool:
        acks = Acks()
        self.send(topic, key, value, acks)
        self.producer.flush(30)
        return acks.ok == 1

    def flush(self) -> None:
        self.producer.flush(30)

    def close(self) -> None:
        self.producer.flush(30)
        # confluent-kafka's Producer has no close(): dropping the last reference destroys the
        # handle, so librdkafka does not log disconnects once the broker stops.
        self.producer = None  # type: ignore[assignment]


def make_sender(client: str, bootstrap: str, **overrides: Any) -> Sender:
    """A sender for `client` ("kafka-python" or "confluent-kafka")."""
    if client == "kafka-python":
        return KafkaPythonSender(bootstrap, **overrides)
    if client == "confluent-kafka":
        return ConfluentSender(bootstrap, **overrides)
    raise ValueError(f"unknown client {client!r}; choose one of {CLIENTS}")


class Acks:
    """Thread-safe tally of delivery reports."""

    def __init__(self) -> None:
        self.ok = 0
        self.failed = 0
        self._lock = threading.Lock()

    def __call__(self, success: bool) -> None:
        with self._lock:
            if success:
                self.ok += 1
            else:
                self.failed += 1


def ensure_topic(bootstrap: str, name: str, partitions: int = PARTITIONS) -> None:
    """Create a benchmark topic unless it exists (replication 1: it holds throwaway data)."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="fmslab-bench")
    try:
        if name not in admin.list_topics():
            admin.create_topics([NewTopic(name, partitions, 1)])
    except TopicAlreadyExistsError:
        pass
    finally:
        admin.close()


def stored(bootstrap: str, topic: str) -> int:
    """Records the broker holds in `topic`, over all partitions."""
    return sum(end_offsets(bootstrap, topic).values())


def sync_phase(bootstrap: str, config: BenchConfig) -> dict[str, Any]:
    """Send one at a time, waiting for each acknowledgement; latency figures in ms."""
    topic = TOPICS["sync"]
    before = stored(bootstrap, topic)
    sender = make_sender(config.client, bootstrap, linger_ms=0)
    acks = Acks()
    latencies = []
    try:
        for key, value in sample_readings(config.sync_count, config.seed):
            start = time.perf_counter()
            acks(sender.send_and_wait(topic, key, value))
            latencies.append((time.perf_counter() - start) * 1000)
    finally:
        sender.close()
    return {
        "messages": config.sync_count,
        "acked": acks.ok,
        "stored": stored(bootstrap, topic) - before,
        "latency_ms": summarize(latencies),
        "linger_ms": 0,
    }


def async_phase(bootstrap: str, config: BenchConfig) -> dict[str, Any]:
    """Send a burst without waiting, then flush; messages per second with the course defaults."""
    topic = TOPICS["async"]
    before = stored(bootstrap, topic)
    pairs = sample_readings(config.async_count, config.seed + 1)
    sender = make_sender(config.client, bootstrap)
    acks = Acks()
    sender.send(topic, b"0", b"{}", lambda _ok: None)  # warm up: metadata and connection
    sender.flush()
    try:
        start, cpu_start = time.perf_counter(), time.process_time()
        for key, value in pairs:
            sender.send(topic, key, value, acks)
        sender.flush()
        seconds = time.perf_counter() - start
        cpu = time.process_time() - cpu_start
    finally:
        sender.close()
    return {
        "messages": config.async_count,
        "acked": acks.ok,
        "stored": stored(bootstrap, topic) - before - 1,  # minus the warm-up record
        "seconds": round(seconds, 3),
        "msg_per_s": round(config.async_count / seconds, 1) if seconds else None,
        # On a shared machine wall time includes waiting for a CPU; this is what one busy core
        # could do (the client's own threads, the broker excluded).
        "client_cpu_s": round(cpu, 3),
        "msg_per_client_cpu_s": round(config.async_count / cpu, 1) if cpu else None,
    }


def concurrent_phase(bootstrap: str, config: BenchConfig) -> dict[str, Any]:
    """N producers in N threads send M readings each; all must be acknowledged and stored."""
    topic = TOPICS["concurrent"]
    before = stored(bootstrap, topic)
    acks = Acks()
    senders = [make_sender(config.client, bootstrap) for _ in range(config.producers)]
    gate = threading.Barrier(config.producers + 1)
    # Made before the clock starts: only sending is measured.
    batches = [
        sample_readings(config.per_producer, config.seed + 10 + index)
        for index in range(config.producers)
    ]

    def produce(index: int) -> None:
        gate.wait()
        sender = senders[index]
        for key, value in batches[index]:
            sender.send(topic, key, value, acks)
        sender.flush()

    threads = [threading.Thread(target=produce, args=(i,)) for i in range(config.producers)]
    for thread in threads:
        thread.start()
    gate.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - start
    for sender in senders:
        sender.close()
    sent = config.producers * config.per_producer
    kept = stored(bootstrap, topic) - before
    return {
        "producers": config.producers,
        "per_producer": config.per_producer,
        "messages": sent,
        "acked": acks.ok,
        "failed": acks.failed,
        "stored": kept,
        "lost": sent - kept,
        "seconds": round(seconds, 3),
        "msg_per_s": round(sent / seconds, 1) if seconds else None,
    }


def client_version(client: str) -> str:
    """The installed version of the chosen client library."""
    if client == "confluent-kafka":
        import confluent_kafka

        library = confluent_kafka.libversion()[0]
        return f"confluent-kafka {confluent_kafka.__version__} (librdkafka {library})"
    import kafka

    return f"kafka-python {kafka.__version__}"


def cpu_share(seconds: float = 0.3) -> float:
    """The fraction of one core this process got while busy for `seconds` (1.0 = an idle core)."""
    start, cpu_start = time.perf_counter(), time.process_time()
    while time.perf_counter() - start < seconds:
        sum(range(1000))
    return round((time.process_time() - cpu_start) / (time.perf_counter() - start), 2)


def run_producer_benchmark(bootstrap: str, config: BenchConfig | None = None) -> dict[str, Any]:
    """Run the three phases against `bootstrap`; a JSON-ready result with targets and verdicts."""
    config = config or BenchConfig()
    for topic in TOPICS.values():
        ensure_topic(bootstrap, topic)
    load_before = os.getloadavg()[0]
    share = cpu_share()
    sync = sync_phase(bootstrap, config)
    burst = async_phase(bootstrap, config)
    concurrent = concurrent_phase(bootstrap, config)
    phases = (sync, burst, concurrent)
    p95 = sync["latency_ms"]["p95"]
    return {
        "bootstrap": bootstrap,
        "client": client_version(config.client),
        "producer_defaults": PRODUCER_DEFAULTS,
        "machine": {
            "cpus": os.cpu_count(),
            "load_average_1m_before": round(load_before, 2),
            "cpu_share_before": share,
            "python": platform.python_version(),
        },
        "sync": sync,
        "async": burst,
        "concurrent": concurrent,
        "no_loss": all(p["stored"] == p["messages"] == p["acked"] for p in phases),
        "targets": TARGETS,
        "meets_targets": {
            "async_msg_per_s": (burst["msg_per_s"] or 0) >= TARGETS["async_msg_per_s"],
            "sync_p95_ms": p95 is not None and p95 <= TARGETS["sync_p95_ms"],
        },
    }


def write_report(result: dict[str, Any], path: Path) -> Path:
    """Write the benchmark result as JSON to `path` (folders created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return path
