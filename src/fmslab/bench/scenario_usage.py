"""CPU seconds and peak memory (PSS) per pipeline component, from each service's process tree.

`MemorySampler` of `fmslab.bench.pipeline` measures one tree as a whole; a scenario needs the
split: the api, the collector, the broker and the stream job (its JVM and Spark's Python workers
included) are processes of their own, recorded by pid. The recorded pids are looked up at every
sample, so a collector started for the next step of a scenario is followed too.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from pathlib import Path

import psutil

from fmslab.bench.pipeline import _memory_mb
from fmslab.services import read_service

COMPONENTS = ("api", "collector", "broker", "stream")


def _cpu_s(proc: psutil.Process) -> float:
    times = proc.cpu_times()  # children_*: children that ended and were waited for
    return times.user + times.system + times.children_user + times.children_system


def _tree(pid: int) -> list[psutil.Process]:
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return []


def recorded_pids(state_dir: Path) -> Callable[[], dict[str, int]]:
    """A function giving the pid of every recorded, running component under `state_dir`."""

    def pids() -> dict[str, int]:
        found = {}
        for name in COMPONENTS:
            service = read_service(name, state_dir)
            if service is not None and service.alive():
                found[name] = service.pid
        return found

    return pids


class ComponentSampler(threading.Thread):
    """Samples every component's tree each `every` s: CPU seconds used since the sampler
    started (a process that appears later counts from its start) and the peak PSS sum."""

    def __init__(self, pids: Callable[[], dict[str, int]], every: float = 1.0) -> None:
        super().__init__(daemon=True, name="component-sampler")
        self.pids, self.every = pids, every
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.owner: dict[int, str] = {}
        self.peak_mb = dict.fromkeys(COMPONENTS, 0.0)
        self._halt = threading.Event()
        self._primed = False

    def sample(self) -> None:
        """One look at every component's tree."""
        for name, pid in self.pids().items():
            total = 0.0
            for proc in _tree(pid):
                with contextlib.suppress(psutil.Error):
                    cpu = _cpu_s(proc)
                    self.first.setdefault(proc.pid, cpu if not self._primed else 0.0)
                    self.last[proc.pid] = cpu
                    self.owner[proc.pid] = name
                    total += _memory_mb(proc)[0]
            self.peak_mb[name] = max(self.peak_mb[name], total)
        self._primed = True

    def run(self) -> None:
        while not self._halt.is_set():
            self.sample()
            self._halt.wait(self.every)

    def stop(self) -> dict[str, dict[str, float]]:
        """Stop (after one last sample); per component `{cpu_s, pss_peak_mb}`."""
        self._halt.set()
        self.join(timeout=10)
        self.sample()
        cpu = dict.fromkeys(COMPONENTS, 0.0)
        for pid, last in self.last.items():
            cpu[self.owner[pid]] += max(0.0, last - self.first[pid])
        return {
            name: {"cpu_s": round(cpu[name], 2), "pss_peak_mb": round(self.peak_mb[name], 1)}
            for name in COMPONENTS
        }
