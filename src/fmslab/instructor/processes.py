"""The processes one notebook run starts: found by a marker in their environment, measured, stopped.

The runner gives the kernel a unique `FMSLAB_NOTEBOOK_RUN` value and a private TMPDIR. Every process
the notebook starts inherits both (services, the broker, Spark's JVM), even after it is re-parented
to init, so whatever still carries the marker once the kernel is gone was left behind.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil

from fmslab.services import read_service, stop_service, wait_until

MARKER = "FMSLAB_NOTEBOOK_RUN"


@dataclass
class Leftover:
    """A process a notebook left running (stopped by the runner, reported as a defect)."""

    pid: int
    name: str
    command: str

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def marked(token: str) -> list[psutil.Process]:
    """The live processes whose environment carries `MARKER=token`."""
    found = []
    for proc in psutil.process_iter():
        if proc.pid == os.getpid():
            continue
        with contextlib.suppress(psutil.Error, OSError):
            if proc.environ().get(MARKER) == token and proc.status() != psutil.STATUS_ZOMBIE:
                found.append(proc)
    return found


def _command(proc: psutil.Process) -> str:
    with contextlib.suppress(psutil.Error):
        return " ".join(proc.cmdline())[:200]
    return "?"


@contextlib.contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for a block (the kernel papermill starts inherits them)."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class Watch:
    """Samples the memory of a run's processes; past `limit` seconds it kills the kernel."""

    def __init__(self, token: str, *, limit: float | None = None, interval: float = 0.5) -> None:
        self.token, self.limit, self.interval = token, limit, interval
        self.peak_bytes = 0
        self.timed_out = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="fmslab-watch", daemon=True)
        self._start = time.monotonic()

    def __enter__(self) -> Watch:
        self._start = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            procs = marked(self.token)
            rss = 0
            for proc in procs:
                with contextlib.suppress(psutil.Error):
                    rss += proc.memory_info().rss
            self.peak_bytes = max(self.peak_bytes, rss)
            if self.limit and not self.timed_out and time.monotonic() - self._start > self.limit:
                self.timed_out = True
                for proc in procs:  # papermill sees a dead kernel and ends the notebook
                    if "ipykernel" in _command(proc):
                        with contextlib.suppress(psutil.Error):
                            proc.kill()


def stop_leftovers(token: str, state_dir: Path, *, grace: float = 5.0) -> list[Leftover]:
    """Stop by pid what a finished run left running; returns what was found.

    Services that die with the kernel get `grace` seconds to go on their own first. Services
    recorded under the run's state dir are stopped through their records (their whole group).
    """
    if wait_until(lambda: not marked(token), grace, interval=0.25):
        return []
    leftovers = []
    for record in sorted(Path(state_dir).rglob("services/*.json")):
        service = read_service(record.stem, record.parent.parent)
        if service is not None and service.alive():
            leftovers.append(Leftover(service.pid, service.name, " ".join(service.cmd)[:200]))
            stop_service(service, record.parent.parent, timeout=5.0)
    rest = marked(token)
    for proc in rest:
        with contextlib.suppress(psutil.Error):
            leftovers.append(Leftover(proc.pid, proc.name(), _command(proc)))
            proc.terminate()
    _, alive = psutil.wait_procs(rest, timeout=5)
    for proc in alive:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    return leftovers
