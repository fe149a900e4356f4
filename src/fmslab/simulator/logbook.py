"""The simulator's JSON-lines logs: an access log and one data log per device and day.

Layout under the log directory::

    access.log                          one line per request
    devices/{DeviceId}/{YYYY-MM-DD}.log the readings served to that device (UTC date of serving)

Lines are buffered and appended by `flush()` (called periodically by the server), so a busy
server writes a few batches a second instead of two small writes per request. File names are
built only from validated integers and dates, never from request text.
"""

from __future__ import annotations

import json
import resource
from collections import OrderedDict, defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO


def utc_now() -> str:
    """The current UTC time, ISO-8601 with milliseconds."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _max_open_files() -> int:
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    limit = soft if soft != resource.RLIM_INFINITY else 4096
    return max(16, min(4096, limit // 4))  # leave most descriptors to sockets


class Logbook:
    """Buffered JSON-lines writer for the access log and the per-device data logs.

    Files stay open between flushes (opening one costs more than writing a batch to it); the
    least recently used are closed when more than a quarter of the descriptor limit is open.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._pending: dict[Path, list[str]] = defaultdict(list)
        self._access_path = self.root / "access.log"
        self._paths: dict[int, tuple[str, Path]] = {}  # device -> (date, its data log today)
        self._open: OrderedDict[Path, TextIO] = OrderedDict()
        self._max_open = _max_open_files()

    def access(self, method: str, path: str, status: int, latency_ms: float, client: str) -> None:
        """Record one request."""
        line = {
            "time": utc_now(),
            "method": method,
            "path": path[:256],  # bounded: the path is user text
            "status": status,
            "latency_ms": round(latency_ms, 3),
            "client": client,
        }
        self._pending[self._access_path].append(json.dumps(line))

    def reading(self, device_id: int, slot: int, payload: Any, faults: tuple[str, ...]) -> None:
        """Record one served reading of `device_id` (an int validated by the caller)."""
        logged_at = utc_now()
        line = {"logged_at": logged_at, "slot": slot, "faults": list(faults)}
        line["reading" if isinstance(payload, dict) else "raw"] = payload
        device, date = int(device_id), logged_at[:10]  # the UTC date, YYYY-MM-DD
        known = self._paths.get(device)
        if known is None or known[0] != date:
            known = self._paths[device] = (
                date,
                self.root / "devices" / str(device) / f"{date}.log",
            )
        self._pending[known[1]].append(json.dumps(line))

    def _handle(self, path: Path) -> TextIO:
        handle = self._open.get(path)
        if handle is not None:
            self._open.move_to_end(path)
            return handle
        while len(self._open) >= self._max_open:
            self._open.popitem(last=False)[1].close()
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = self._open[path] = open(path, "a", encoding="utf-8")  # noqa: SIM115 (kept open)
        return handle

    def flush(self) -> int:
        """Append the buffered lines to their files; the number of lines written."""
        pending, self._pending = self._pending, defaultdict(list)
        written = 0
        for path, lines in pending.items():
            handle = self._handle(path)
            handle.write("\n".join(lines) + "\n")
            handle.flush()
            written += len(lines)
        return written

    def close(self) -> None:
        """Flush what is buffered and close every file."""
        self.flush()
        while self._open:
            self._open.popitem()[1].close()
