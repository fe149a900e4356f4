"""The polling collector: every device once per interval, concurrently, into `fms-raw-data`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import signal
import threading
import time
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any, TypeVar

from fmslab.collector.breaker import CircuitBreaker, CircuitState
from fmslab.collector.config import CollectorConfig
from fmslab.collector.delivery import Delivery, ProducerFactory
from fmslab.collector.http import ClientPool
from fmslab.collector.metrics import CollectorMetrics
from fmslab.collector.poller import Poller, PollError
from fmslab.collector.quarantine import QuarantineFile
from fmslab.collector.reading import Rejection, enrich, parse_payload, sensor_values
from fmslab.collector.stats import CollectorStats

log = logging.getLogger(__name__)
T = TypeVar("T")
Progress = Callable[[CollectorStats], None]


def _run(coro: Coroutine[Any, Any, T]) -> T:
    # uvloop (installed with uvicorn's extras) roughly halves the event loop's share of the CPU.
    factory = None
    with contextlib.suppress(ImportError):
        import uvloop

        factory = uvloop.new_event_loop
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(coro)


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion, also from inside a running loop (Jupyter) via a thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _run(coro)
    result: list[T] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            result.append(_run(coro))
        except BaseException as exc:  # handed back to the caller's thread
            errors.append(exc)

    thread = threading.Thread(target=target, name="collector-loop")
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return result[0]


class Collector:
    """Polls the FMS API and produces readings; use `run(duration)` or `collect_once()`."""

    def __init__(
        self,
        config: CollectorConfig,
        *,
        metrics: CollectorMetrics | None = None,
        producer_factory: ProducerFactory | None = None,
        topic_setup: Callable[[], None] | None = None,
    ) -> None:
        self.config = config
        self.metrics = metrics or CollectorMetrics()
        self.stats = CollectorStats()
        self.quarantine = QuarantineFile(config.quarantine_file)
        self.breakers = {
            device: CircuitBreaker(config.breaker_threshold, config.breaker_cooldown)
            for device in config.device_ids
        }
        self._series = {device: self.metrics.device(device) for device in config.device_ids}
        self._seq = dict.fromkeys(config.device_ids, 0)
        self._not_before: dict[int, float] = {}
        self.poller = Poller(config, on_error=self._on_api_error, on_retry=self._on_retry)
        self.delivery = Delivery(config, self.metrics, self.stats, producer_factory, topic_setup)
        self.metrics_port: int | None = None
        self._started = False
        self._stop_requested = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_event: asyncio.Event | None = None

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> None:
        """Serve metrics, connect to the broker (or start spooling). Idempotent."""
        if self._started:
            return
        if self.config.metrics_port is not None:
            self.metrics_port = self.metrics.serve(
                self.config.metrics_port, host=self.config.metrics_host
            )
        for device, breaker in self.breakers.items():
            self._series[device].circuit(breaker.state)
        self.delivery.start()
        self._started = True

    def close(self) -> None:
        """Deliver or spool what is pending, stop the producer and the metrics server."""
        if not self._started:
            return
        self.delivery.close()
        self.metrics.close()
        self.stats.spool_depth = self.delivery.spool.depth
        self._started = False

    def __enter__(self) -> Collector:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def stop(self) -> None:
        """Ask a running `run()` to stop polling (thread- and signal-safe)."""
        self._stop_requested.set()
        loop, event = self._loop, self._stop_event
        if loop is not None and event is not None:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(event.set)

    # -- running ----------------------------------------------------------------------------

    def run(
        self,
        duration: float | None = None,
        *,
        on_progress: Progress | None = None,
        handle_signals: bool = False,
    ) -> CollectorStats:
        """Poll every device once per interval for `duration` s (None: until `stop()`)."""
        owns = not self._started
        self.start()
        began = time.monotonic()
        try:
            run_sync(self._run_async(duration, on_progress, handle_signals))
        finally:
            self._stop_requested.clear()  # a stop ends this run, not the next one
            self.stats.duration = time.monotonic() - began
            if owns:
                self.close()
            self.stats.breaker_opened = sum(b.opened for b in self.breakers.values())
        return self.stats

    def collect_once(self) -> list[dict[str, Any]]:
        """Poll every device once, deliver, and return the accepted readings."""
        self.start()
        readings = run_sync(self._poll_all_once())
        self.delivery.wait_idle(self.config.delivery_timeout + 5)
        self.stats.breaker_opened = sum(b.opened for b in self.breakers.values())
        return readings

    def _client(self) -> ClientPool:
        return ClientPool(self.config.api_url, self.config.max_connections, self.config.timeout)

    async def _poll_all_once(self) -> list[dict[str, Any]]:
        async with self._client() as client:
            results = await asyncio.gather(*(self._poll(client, d) for d in self.config.device_ids))
        return [r for r in results if r is not None]

    async def _run_async(
        self, duration: float | None, on_progress: Progress | None, handle_signals: bool
    ) -> None:
        loop = asyncio.get_running_loop()
        self._loop, self._stop_event = loop, asyncio.Event()
        if self._stop_requested.is_set():
            return
        if handle_signals:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, self.stop)
        devices = self.config.device_ids
        async with self._client() as client:
            start = loop.time()
            # Spread the devices over the interval so the API sees a steady rate, not bursts.
            tasks = [
                asyncio.create_task(
                    self._device_loop(client, d, start + i * self.config.interval / len(devices))
                )
                for i, d in enumerate(devices)
            ]
            if self.config.polls is not None:  # a planned run ends when every device is done
                tasks.append(asyncio.create_task(self._stop_when_done(list(tasks))))
            if on_progress is not None:
                tasks.append(asyncio.create_task(self._report(on_progress)))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop_event.wait(), duration)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        if handle_signals:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)
        self._loop = self._stop_event = None

    async def _stop_when_done(self, device_tasks: list[asyncio.Task[None]]) -> None:
        await asyncio.gather(*device_tasks, return_exceptions=True)
        if self._stop_event is not None:
            self._stop_event.set()

    async def _report(self, on_progress: Progress) -> None:
        while True:
            await asyncio.sleep(0.5)
            on_progress(self.stats)

    async def _device_loop(self, client: ClientPool, device: int, due: float) -> None:
        loop = asyncio.get_running_loop()
        interval = self.config.interval
        polls = 0
        while self.config.polls is None or polls < self.config.polls:
            polls += 1
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            try:
                await self._poll(client, device)
            except Exception:  # a bug must not silently end this device's polling
                log.exception("poll of device %s failed unexpectedly", device)
                self._on_api_error(device, "internal")
            due += interval
            # Skip the slots a slow poll or a Retry-After used up instead of bunching polls.
            earliest = max(loop.time(), self._not_before.get(device, 0.0))
            if due < earliest:
                due += math.ceil((earliest - due) / interval) * interval

    # -- one poll -----------------------------------------------------------------------------

    async def _poll(self, client: ClientPool, device: int) -> dict[str, Any] | None:
        breaker = self.breakers[device]
        if not breaker.allow():
            self.stats.skipped_open += 1
            return None
        self._series[device].circuit(breaker.state)
        polled_at = time.monotonic()
        try:
            body = await self.poller.fetch(client, device)
        except PollError as exc:
            self.stats.polls += 1
            if exc.retry_after is not None:
                self._not_before[device] = asyncio.get_running_loop().time() + exc.retry_after
            breaker.record_failure()
            self._series[device].circuit(breaker.state)
            return None
        self.stats.polls += 1
        breaker.record_success()
        self._series[device].circuit(breaker.state)
        return self._accept(device, body, polled_at)

    def _accept(self, device: int, body: bytes, polled_at: float) -> dict[str, Any] | None:
        parsed = parse_payload(body)
        if isinstance(parsed, Rejection):
            self._reject(device, parsed)
            return None
        self._seq[device] += 1
        now = datetime.now(UTC)
        reading = enrich(parsed, device=device, collected_at=now, seq=self._seq[device])
        with self.stats.lock:
            self.stats.collected += 1
        series = self._series[device]
        series.readings.inc()
        series.last_seen.set(now.timestamp())
        for sensor, value in sensor_values(reading).items():
            series.sensor(sensor, value)
        self.delivery.submit(reading, polled_at)
        return reading

    def _reject(self, device: int, rejection: Rejection) -> None:
        self.quarantine.put(
            device=device, url=self.poller.url(device), reason=rejection.reason, raw=rejection.raw
        )
        self.stats.quarantined += 1
        self.stats.quarantine_reasons[rejection.reason.split(":")[0]] += 1
        self.metrics.quarantined.labels(device=str(device)).inc()
        self._on_api_error(device, "malformed")

    def _on_api_error(self, device: int, kind: str) -> None:
        self.stats.errors[kind] += 1
        self.metrics.api_errors.labels(device=str(device), kind=kind).inc()

    def _on_retry(self, _device: int) -> None:
        self.stats.retries += 1
        self.metrics.retries.inc()

    @property
    def circuit_states(self) -> dict[int, CircuitState]:
        """Each device's breaker state."""
        return {device: breaker.state for device, breaker in self.breakers.items()}
