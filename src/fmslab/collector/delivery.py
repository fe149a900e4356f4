"""Delivery to the broker: archive, then produce; spool while the broker is away, replay after.

One thread owns the producer, the archive and the spool, so the polling loop never blocks on the
broker. Acks and failures arrive on the producer's I/O thread and are handed back through a list.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from kafka import KafkaProducer

from fmslab.collector.archive import LandingArchive
from fmslab.collector.config import CollectorConfig
from fmslab.collector.jsonl import dumps
from fmslab.collector.metrics import CollectorMetrics
from fmslab.collector.reading import reading_key
from fmslab.collector.spool import Spool
from fmslab.collector.stats import CollectorStats

log = logging.getLogger(__name__)

ProducerFactory = Callable[[], KafkaProducer]
ARCHIVE_LINGER = 0.005  # seconds


@dataclass(frozen=True)
class Pending:
    """A reading on its way to the broker; `polled_at` (monotonic) is None for replays."""

    reading: dict[str, Any]
    polled_at: float | None = None


class Mode(Enum):
    """LIVE sends to the broker; SPOOLING writes to the spool and probes the broker."""

    LIVE = "live"
    SPOOLING = "spooling"


def default_producer_factory(config: CollectorConfig) -> ProducerFactory:
    """Producers with the course defaults, idempotent, failing fast enough to spool in time."""
    from fmslab.broker.clients import make_producer

    timeout_ms = int(config.delivery_timeout * 1000)
    options: dict[str, Any] = {
        "acks": "all",
        "enable_idempotence": True,
        "delivery_timeout_ms": timeout_ms,
        "request_timeout_ms": max(1000, timeout_ms // 2),
        "max_block_ms": 5000,
        "bootstrap_timeout_ms": 1000,
        "reconnect_backoff_max_ms": 1000,
        # A restarted embedded broker has no topics; auto-creating one would give it the wrong
        # partition count, so the collector re-creates it from the course definitions instead.
        "allow_auto_create_topics": False,
        **config.producer_overrides,
    }
    return lambda: make_producer(config.bootstrap, **options)


def default_topic_setup(config: CollectorConfig) -> Callable[[], None]:
    """Create the raw topic if the broker lacks it (the embedded broker forgets on restart)."""

    def setup() -> None:
        from fmslab.broker.topics import create_topics, load_topics

        if config.topic in {spec.name for spec in load_topics()}:
            create_topics(config.bootstrap, [config.topic])

    return setup


def _close_producer(producer: KafkaProducer | None) -> None:
    if producer is not None:
        with contextlib.suppress(Exception):
            producer.close(timeout=0)  # aborts what is in flight: their errbacks spool them


class Delivery:
    """Archives every accepted reading, produces it, and spools it when the broker fails."""

    def __init__(
        self,
        config: CollectorConfig,
        metrics: CollectorMetrics,
        stats: CollectorStats,
        producer_factory: ProducerFactory | None = None,
        topic_setup: Callable[[], None] | None = None,
    ) -> None:
        self.config = config
        self.metrics = metrics
        self.stats = stats
        self.archive = LandingArchive(config.archive_dir)
        self.spool = Spool(config.spool_dir)
        self._factory = producer_factory or default_producer_factory(config)
        self._topic_setup = topic_setup or default_topic_setup(config)
        self._queue: queue.Queue[Pending] = queue.Queue()
        self._failed: list[Pending] = []
        self._lock = threading.Lock()
        self._inflight = 0
        self._busy = False
        self._producer: KafkaProducer | None = None
        self.mode = Mode.SPOOLING
        self._next_probe = 0.0
        self._closing = threading.Event()
        self._thread: threading.Thread | None = None
        self._acked = metrics.deliveries.labels(outcome="acked")
        self._failed_counter = metrics.deliveries.labels(outcome="failed")
        self._report_spool()

    # -- public, called from the polling side -------------------------------------------------

    def start(self) -> None:
        """Connect (or start spooling when the broker is away) and start the delivery thread."""
        self._try_recover()
        self._thread = threading.Thread(target=self._run, name="collector-delivery", daemon=True)
        self._thread.start()

    def submit(self, reading: dict[str, Any], polled_at: float | None) -> None:
        """Hand over an accepted reading (never blocks)."""
        self._queue.put(Pending(reading, polled_at))

    def wait_idle(self, timeout: float) -> bool:
        """Wait until every submitted reading is acknowledged or spooled; False on timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                idle = not self._busy and self._inflight == 0 and not self._failed
            if idle and self._queue.empty():
                return True
            time.sleep(0.01)
        return False

    def close(self, timeout: float | None = None) -> None:
        """Deliver or spool everything submitted, then stop the thread and the producer."""
        self._closing.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    # -- the delivery thread ------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            batch = self._drain(0.02)
            if batch:
                self._handle(batch)
            self._spool_failed()
            if self.mode is Mode.SPOOLING and time.monotonic() >= self._next_probe:
                self._try_recover()
            if self._closing.is_set() and self._queue.empty():
                break
        self._shutdown()

    def _drain(self, wait: float) -> list[Pending]:
        try:
            first = self._queue.get(timeout=wait)
        except queue.Empty:
            return []
        with self._lock:
            self._busy = True
        # Like the producer's linger: a few ms more per reading buys one archive fsync per
        # batch instead of one per reading at 1,000 readings/s.
        time.sleep(ARCHIVE_LINGER)
        batch = [first]
        with contextlib.suppress(queue.Empty):
            while len(batch) < 5000:
                batch.append(self._queue.get_nowait())
        return batch

    def _handle(self, batch: list[Pending]) -> None:
        try:
            lines = [dumps(p.reading) for p in batch]  # serialised once: archive and topic
            if not self._durably(lambda: self.archive.append([p.reading for p in batch], lines)):
                return
            if self.mode is Mode.LIVE:
                for pending, line in zip(batch, lines, strict=True):
                    self._send(pending, line.encode())
            else:
                self._to_spool(batch)
        finally:
            with self._lock:
                self._busy = False

    def _send(self, pending: Pending, value: bytes) -> None:
        producer = self._producer
        if producer is None or self.mode is not Mode.LIVE:
            self._to_spool([pending])
            return
        reading = pending.reading
        try:
            future = producer.send(self.config.topic, key=reading_key(reading), value=value)
        except Exception as exc:  # buffer full, no metadata, closed producer: all mean "spool"
            log.warning("send failed (%s); spooling", exc)
            self._to_spool([pending])
            self._enter_spooling()
            return
        with self._lock:
            self._inflight += 1
        future.add_callback(self._on_ack, pending)
        future.add_errback(self._on_error, pending)

    def _on_ack(self, pending: Pending, _metadata: Any) -> None:
        now = time.monotonic()
        with self._lock:
            self._inflight -= 1
        with self.stats.lock:
            self.stats.produced += 1
            if pending.polled_at is not None:
                self.stats.latencies.append(now - pending.polled_at)
        self._acked.inc()
        if pending.polled_at is not None:
            self.metrics.produce_latency.observe(now - pending.polled_at)

    def _on_error(self, pending: Pending, exc: BaseException) -> None:
        with self._lock:
            self._inflight -= 1
            self._failed.append(pending)
        with self.stats.lock:
            self.stats.delivery_failures += 1
        self._failed_counter.inc()
        log.debug("delivery of %s failed: %s", pending.reading.get("reading_id"), exc)

    def _spool_failed(self) -> None:
        with self._lock:
            failed, self._failed = self._failed, []
        if failed:
            self._to_spool(failed)
            self._enter_spooling()

    def _durably(self, write: Callable[[], None]) -> bool:
        """Run a disk write, retrying while it fails (disk full, ...); False if given up."""
        while True:
            try:
                write()
                return True
            except OSError as exc:
                with self.stats.lock:
                    self.stats.errors["storage"] += 1
                if self._closing.is_set():
                    log.error("cannot write to disk (%s); giving up at shutdown", exc)
                    return False
                log.error("cannot write to disk (%s); retrying in 1 s", exc)
                time.sleep(1.0)

    def _to_spool(self, batch: list[Pending]) -> None:
        if not self._durably(lambda: self.spool.append([p.reading for p in batch])):
            return
        with self.stats.lock:
            self.stats.spooled += len(batch)
        self._report_spool()

    def _report_spool(self) -> None:
        self.stats.spool_depth = self.spool.depth
        self.metrics.spool_depth.set(self.spool.depth)

    def _enter_spooling(self) -> None:
        if self.mode is Mode.LIVE:
            log.warning("broker unreachable: spooling readings to %s", self.spool.path)
            self.mode = Mode.SPOOLING
            self._next_probe = time.monotonic() + self.config.probe_interval
            producer, self._producer = self._producer, None
            _close_producer(producer)

    def _try_recover(self) -> None:
        """Connect a fresh producer, re-create the topic, replay the spool; LIVE if all acked."""
        self._next_probe = time.monotonic() + self.config.probe_interval
        try:
            producer = self._factory()
            self._topic_setup()
        except Exception as exc:
            log.info("broker still unreachable: %s", exc)
            return
        if not self._replay(producer):
            _close_producer(producer)
            return
        self._producer = producer
        self.mode = Mode.LIVE
        log.info("broker reachable: live delivery")

    def _replay(self, producer: KafkaProducer) -> bool:
        """Send the spool in order; keep only what was not acknowledged. True if it emptied."""
        records = self.spool.read()
        if not records:
            return True
        futures = []
        for reading in records:
            try:
                future = producer.send(
                    self.config.topic, key=reading_key(reading), value=dumps(reading).encode()
                )
            except Exception as exc:
                log.info("replay interrupted: %s", exc)
                break
            futures.append(future)
        with contextlib.suppress(Exception):
            producer.flush(timeout=self.config.delivery_timeout)
        acked = [f.is_done and f.succeeded() for f in futures]
        remaining = [r for r, ok in zip(records, acked, strict=False) if not ok]
        remaining += records[len(futures) :]
        done = len(records) - len(remaining)
        with self.stats.lock:
            self.stats.replayed += done
            self.stats.produced += done
        self._acked.inc(done)
        self.spool.keep_only(remaining, replayed=len(records))
        self._report_spool()
        log.info("replayed %d spooled readings, %d left", done, len(remaining))
        return not remaining

    def _shutdown(self) -> None:
        producer = self._producer
        if producer is not None:
            with contextlib.suppress(Exception):
                producer.flush(timeout=self.config.delivery_timeout)
        self._producer = None
        _close_producer(producer)
        self._spool_failed()
        self.mode = Mode.SPOOLING
