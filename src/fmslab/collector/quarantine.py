"""Quarantine for payloads that cannot be readings: JSON lines with the raw payload and reason."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

from fmslab.collector.jsonl import append_lines, dumps
from fmslab.collector.reading import iso_utc


class QuarantineFile:
    """Appends rejected payloads with their reason, device and URL."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def put(self, *, device: int, url: str, reason: str, raw: str) -> None:
        """Set one payload aside, durably."""
        record = {
            "quarantined_at": iso_utc(datetime.now(UTC)),
            "device": device,
            "url": url,
            "reason": reason,
            "raw": raw,
        }
        with self._lock:
            append_lines(self.path, [dumps(record)])
