"""What the run observes while a fault is on: health checks, the services' logs, the lake.

Three background threads, each stopped by `stop()`:

- `HealthSampler` calls `orchestration.status` once a second (the check `fmslab status` runs):
  availability is computed from these samples, never assumed;
- `LogWatcher` reads what each service wrote to its log since the last look (the lines an
  operator tailing `<state>/log/*.log` sees), with the time each line first appeared;
- `LakeMonitor` looks at the lake's new data files (`bench.pipeline.LakeWatcher`): when each
  reading_id became readable, so recovery is measured as "new readings flow again".
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fmslab.bench.pipeline import LakeWatcher
from fmslab.config import Settings
from fmslab.jobs import orchestration
from fmslab.lake.storage import Lake

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_TABLE = re.compile(r"^[\s│┃┌┐└┘├┤┬┴┼─━╭╮╰╯|+-]*$|^[│┃╭╰┌└├]")  # rich summary tables, rules


class _Loop(threading.Thread):
    """A daemon thread calling `step()` every `every` s until `stop()`."""

    def __init__(self, every: float) -> None:
        super().__init__(daemon=True)
        self.every = every
        self._halt = threading.Event()

    def step(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def run(self) -> None:
        while not self._halt.is_set():
            # One failed look (a file renamed under it, a refused check) must not end the watch.
            with contextlib.suppress(Exception):
                self.step()
            self._halt.wait(self.every)

    def stop(self) -> None:
        """Stop the thread after its current look and take a last one."""
        self._halt.set()
        self.join(timeout=30)
        with contextlib.suppress(Exception):
            self.step()


@dataclass
class HealthSample:
    """One health check of every service: when (monotonic) and who was healthy."""

    at: float
    healthy: dict[str, bool]

    @property
    def all_healthy(self) -> bool:
        """Whether every service passed its check."""
        return all(self.healthy.values())


class HealthSampler(_Loop):
    """`orchestration.status` every `every` s, plus any `extra` checks (name -> check)."""

    def __init__(
        self,
        settings: Settings,
        every: float = 1.0,
        extra: dict[str, Callable[[], bool]] | None = None,
    ) -> None:
        super().__init__(every)
        self.settings = settings
        self.extra = dict(extra or {})
        self.samples: list[HealthSample] = []

    def step(self) -> None:
        healthy = {row["name"]: bool(row["healthy"]) for row in orchestration.status(self.settings)}
        for name, check in list(self.extra.items()):
            try:
                healthy[name] = bool(check())
            except Exception:  # noqa: BLE001 - an unreachable check is a failed one
                healthy[name] = False
        self.samples.append(HealthSample(time.monotonic(), healthy))

    def between(self, start: float, end: float) -> list[HealthSample]:
        """The samples taken in [start, end)."""
        return [s for s in self.samples if start <= s.at < end]

    def first_unhealthy(self, after: float, names: tuple[str, ...] = ()) -> float | None:
        """When a sample after `after` first showed one of `names` (any, if empty) unhealthy."""
        for sample in self.samples:
            if sample.at < after:
                continue
            bad = [n for n, ok in sample.healthy.items() if not ok and (not names or n in names)]
            if bad:
                return sample.at
        return None


@dataclass
class LogLine:
    """One line a service printed, and when the watcher first saw it (monotonic)."""

    at: float
    service: str
    text: str


class LogWatcher(_Loop):
    """Reads the new lines of every `<state>/log/*.log` every `every` s."""

    def __init__(self, log_dir: Path, every: float = 0.25) -> None:
        super().__init__(every)
        self.log_dir = Path(log_dir)
        self.lines: list[LogLine] = []
        self._offsets: dict[Path, int] = {}

    def skip_present(self) -> None:
        """Start from the current end of every log (what is there now is not news)."""
        for path in self.log_dir.glob("*.log"):
            self._offsets[path] = path.stat().st_size

    def step(self) -> None:
        now = time.monotonic()
        for path in sorted(self.log_dir.glob("*.log")):
            start = self._offsets.get(path, 0)
            size = path.stat().st_size
            if size < start:
                start = 0
            if size == start:
                continue
            with open(path, "rb") as handle:
                handle.seek(start)
                chunk = handle.read(size - start)
            end = chunk.rfind(b"\n") + 1  # a line still being written waits for the next look
            complete, self._offsets[path] = chunk[:end], start + end
            for raw in complete.decode("utf-8", "replace").splitlines():
                text = _ANSI.sub("", raw).strip()
                if text and not _TABLE.match(text):
                    self.lines.append(LogLine(now, path.stem, text))

    def between(self, start: float, end: float) -> list[LogLine]:
        """The lines first seen in [start, end)."""
        return [line for line in self.lines if start <= line.at < end]

    def first_matching(self, after: float, pattern: str) -> LogLine | None:
        """The first line seen after `after` that matches `pattern` (a regular expression)."""
        regex = re.compile(pattern, re.IGNORECASE)
        return next((ln for ln in self.lines if ln.at >= after and regex.search(ln.text)), None)


class LakeMonitor(_Loop):
    """Notes when each reading_id becomes readable in the lake (a `LakeWatcher` look per step)."""

    def __init__(self, lake: Lake, every: float = 0.5) -> None:
        super().__init__(every)
        self.watcher = LakeWatcher(lake, every)
        self._lock = threading.Lock()
        self._mono_offset = time.time() - time.monotonic()

    def step(self) -> None:
        with self._lock:
            self.watcher.look()

    def first_collected_after(self, wall: float) -> float | None:
        """When (monotonic) the first reading collected after `wall` (epoch s) became readable."""
        with self._lock:
            seen = [
                self.watcher.first_seen[rid]
                for rid, collected in self.watcher.collected.items()
                if collected >= wall
            ]
        return min(seen) - self._mono_offset if seen else None

    def snapshot(self) -> dict[str, Any]:
        """Every stored reading_id (with repeats) and when each was first readable (epoch s)."""
        with self._lock:
            return {"rows": list(self.watcher.rows), "first_seen": dict(self.watcher.first_seen)}
