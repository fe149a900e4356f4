"""The running pieces of one demo: the embedded pipeline, the notifier and (where installed)
monitoring, started by pid and stopped together."""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from fmslab.config import Settings
from fmslab.demo.step import Step
from fmslab.jobs import orchestration
from fmslab.jobs.progress import PipelineWatch
from fmslab.services import ServiceError, read_service, stop_service, wait_until


@dataclass
class DemoOptions:
    """How long and how large the demo runs; `faults="episodes"` gives failing readings."""

    duration: float = 20.0  # seconds of collection before the failure is awaited
    devices: int = 5
    interval: float = 1.0
    faults: str = "episodes"
    alert_timeout: float = 90.0  # seconds to wait for a failing reading and its notification
    drain_timeout: float = 60.0
    ready_timeout: float = 300.0  # Spark's start on a busy 2-core machine can take minutes


@dataclass
class DemoRecord:
    """A finished demo: its steps (rows as printed, figures) and when and how it ran."""

    started_at: str
    options: dict[str, Any]
    steps: list[Step] = field(default_factory=list)
    seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)  # seconds of start, each step

    def step(self, key: str) -> Step:
        """The step named `key` (health, collection, topic, stream, lake, quality, alert)."""
        return next(s for s in self.steps if s.key == key)

    def to_dict(self) -> dict[str, Any]:
        """The record as JSON-ready data (`kind: "demo"`)."""
        return {
            "kind": "demo",
            "started_at": self.started_at,
            "options": self.options,
            "seconds": self.seconds,
            "phases": self.phases,
            "steps": [s.to_dict() for s in self.steps],
        }


class Demo:
    """The running pieces of one demo and what the steps read from them."""

    def __init__(self, settings: Settings, options: DemoOptions, console: Console) -> None:
        self.settings, self.options, self.console = settings, options, console
        self.state = Path(settings.state_dir or ".fmslab")
        self.stack = contextlib.ExitStack()
        self.since = 0.0
        self.watch: PipelineWatch | None = None
        self.collect_seconds = 0.0
        self.records_on_topic = 0
        from fmslab.demo.notifications import Notifications

        self.notifications = Notifications(settings, self.state)

    @property
    def bootstrap(self) -> str:
        """The broker's bootstrap servers."""
        return f"{self.settings.host}:{self.settings.broker_port}"

    def start(self) -> None:
        """Broker and stream job, simulator, monitoring, notifier; the stream job's first batch;
        then the collector. Everything started is stopped by `stop()`."""
        settings, options = self.settings, self.options
        pipeline = orchestration.PipelineOptions(
            options.devices, options.interval, options.faults, wait_for_stream=False
        )
        self.stack.callback(orchestration.down, settings)
        orchestration.up(settings, pipeline, names=("broker", "stream"))
        orchestration.up(settings, pipeline, names=("api",))  # while the JVM boots
        self.notifications.start(self.stack, self.bootstrap)
        self._await_stream()
        self.since = time.time()
        orchestration.up(settings, pipeline, names=("collector",))
        lake = Path(settings.lake_dir or "lake")
        self.watch = PipelineWatch(orchestration.archive_dir(settings), lake, self.since)

    def _await_stream(self) -> None:
        stream = read_service("stream", self.state)
        if stream is None:
            raise ServiceError("the stream job was not started")

        def ready() -> bool:
            if not stream.alive():
                raise ServiceError(f"the stream job stopped while starting (log: {stream.log})")
            return orchestration.stream_ready(stream)

        timeout = self.options.ready_timeout
        with self.console.status("starting the stream job (Spark)…"):
            if not wait_until(ready, timeout, 0.3):
                raise ServiceError(
                    f"the stream job was not ready in {timeout:g} s (log: {stream.log})"
                )

    def stop_collector(self) -> None:
        """Stop the collector (it flushes) and wait until the lake holds what it collected."""
        from fmslab.jobs.run import _drain

        stop_service("collector", self.state)
        if self.watch is not None:
            _drain(self.settings, self.watch, self.options.drain_timeout)

    def stop(self) -> None:
        """Stop every service this demo started, by pid, in reverse order."""
        self.stack.close()
