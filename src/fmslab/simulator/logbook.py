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
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def utc_now() -> str:
    """The current UTC time, ISO-8601 with milliseconds."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Logbook:
    """Buffered JSON-lines writer for the access log and the per-device data logs."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._pending: dict[Path, list[str]] = defaultdict(list)

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
        self._pending[self.root / "access.log"].append(json.dumps(line))

    def reading(self, device_id: int, slot: int, payload: Any, faults: tuple[str, ...]) -> None:
        """Record one served reading of `device_id` (an int validated by the caller)."""
        now = datetime.now(UTC)
        line = {"logged_at": utc_now(), "slot": slot, "faults": list(faults)}
        line["reading" if isinstance(payload, dict) else "raw"] = payload
        path = self.root / "devices" / str(int(device_id)) / f"{now:%Y-%m-%d}.log"
        self._pending[path].append(json.dumps(line))

    def flush(self) -> int:
        """Append the buffered lines to their files; the number of lines written."""
        pending, self._pending = self._pending, defaultdict(list)
        written = 0
        for path, lines in pending.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "a", encoding="utf-8") as handle:
                handle.write("\n".join(lines) + "\n")
            written += len(lines)
        return written
