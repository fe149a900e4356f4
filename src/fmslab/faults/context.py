"""The running pipeline a fault acts on: its settings, the watchers, and the operator's moves.

A fault module gets a `FaultContext` and returns an `Outcome`: when the fault was injected, when
it was removed, when it was detected and when the pipeline recovered (monotonic seconds), and the
facts it checked. Every move here is real: signals to recorded pids, services stopped and
started through `fmslab.jobs.orchestration`, files changed in the lake.
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from fmslab.config import Settings
from fmslab.faults.watch import HealthSampler, LakeMonitor, LogWatcher
from fmslab.jobs import orchestration
from fmslab.jobs.errors import ErrorHandler
from fmslab.lake.storage import Lake
from fmslab.services import (
    Service,
    ServiceError,
    pid_alive,
    port_in_use,
    read_service,
    stop_service,
    wait_until,
)

RECOVER_TIMEOUT = 600.0  # a Spark restart: 20-90 s on a quiet 2-core machine, minutes on a busy one


@dataclass
class Outcome:
    """What one fault did and what was seen (times are `time.monotonic()` seconds)."""

    injected: float
    ended: float
    detected: float | None = None
    recovered: float | None = None
    facts: dict[str, Any] = field(default_factory=dict)


@dataclass
class FaultContext:
    """A running embedded pipeline under steady load, with its watchers."""

    settings: Settings
    lake: Lake
    health: HealthSampler
    logs: LogWatcher
    lake_monitor: LakeMonitor
    handler: ErrorHandler
    seconds: float  # how long the fault lasts (its short or full form)
    options: orchestration.PipelineOptions = field(default_factory=orchestration.PipelineOptions)
    cluster: Any = None  # fmslab.cluster.standalone.Cluster when the stream job runs on one

    @property
    def state(self) -> Path:
        """The pipeline's state directory (pids, logs, checkpoints)."""
        return Path(self.settings.state_dir or ".fmslab")

    def service(self, name: str) -> Service:
        """The recorded service `name`; ServiceError when there is none."""
        found = read_service(name, self.state)
        if found is None:
            raise ServiceError(f"no {name} service is recorded under {self.state}")
        return found

    def sigkill(self, name: str) -> Service:
        """SIGKILL a service's whole process group (no shutdown code runs) and wait until it is
        gone; returns its record (for the restart)."""
        service = self.service(name)
        os.killpg(service.pid, signal.SIGKILL)
        if not wait_until(lambda: not pid_alive(service.pid), 15.0):
            raise ServiceError(f"{name} (pid {service.pid}) still runs after SIGKILL")
        return service

    def restart(self, name: str, service: Service | None = None) -> Service:
        """Start a stopped or killed service again (`orchestration.restart`), once the old one
        has let go of its port (a server's child can hold it a moment after the parent died)."""
        service = service or self.service(name)
        stop_service(service, self.state)
        if service.port and not wait_until(lambda: not port_in_use(service.port), 30.0, 0.2):
            raise ServiceError(f"port {service.port} of {name} is still taken after it stopped")
        return orchestration.restart(self.settings, name, service)

    def restart_stream_fresh(self) -> Service:
        """Start the stream job on a new checkpoint (as `fmslab up` does for a new broker)."""
        service = self.service("stream")
        cmd = list(service.cmd)
        at = cmd.index("--checkpoint") + 1
        cmd[at] = str(self.state / "checkpoints" / f"stream-{int(time.time() * 1000)}")
        return self.restart("stream", replace(service, cmd=cmd))

    def wait_stream_dead(self, timeout: float) -> bool:
        """Wait until the recorded stream job has exited (it stops on a failed batch)."""
        service = self.service("stream")
        return wait_until(lambda: not pid_alive(service.pid), timeout, 0.25)

    def wait_recovered(self, ended: float, timeout: float = RECOVER_TIMEOUT) -> float | None:
        """Wait until every service is healthy again and a reading collected after `ended`
        (monotonic) is readable in the lake; returns that moment (monotonic), None on timeout."""
        wall = time.time() - (time.monotonic() - ended)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            flowing = self.lake_monitor.first_collected_after(wall)
            if flowing is not None and self._all_healthy_since(flowing):
                return max(flowing, self._healthy_from(ended) or flowing)
            time.sleep(0.5)
        return None

    def _healthy_from(self, after: float) -> float | None:
        return next((s.at for s in self.health.samples if s.at >= after and s.all_healthy), None)

    def _all_healthy_since(self, moment: float) -> bool:
        later = [s for s in self.health.samples if s.at >= moment - 1.0]
        return bool(later) and later[-1].all_healthy

    def hold(self, seconds: float) -> None:
        """Keep the fault on for `seconds` (the load goes on meanwhile)."""
        time.sleep(seconds)
