"""The local queue: readings the broker could not take, kept on disk until it acknowledges them."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fmslab.collector.jsonl import append_lines, dumps, read_records, replace_lines


class Spool:
    """An append-only, fsync'd JSON-lines file, replayed in order and truncated only after acks."""

    def __init__(self, directory: Path) -> None:
        self.path = Path(directory) / "spool.jsonl"
        self.corrupt_path = Path(directory) / "spool.corrupt.jsonl"
        self._lock = threading.Lock()
        self._depth = sum(1 for _ in read_records(self.path))

    @property
    def depth(self) -> int:
        """Readings waiting in the spool."""
        return self._depth

    def append(self, readings: list[dict[str, Any]]) -> None:
        """Add readings at the end, durably."""
        if not readings:
            return
        with self._lock:
            self._depth += append_lines(self.path, (dumps(r) for r in readings))

    def read(self) -> list[dict[str, Any]]:
        """The spooled readings in order; unreadable lines are moved aside, not dropped."""
        with self._lock:
            good: list[dict[str, Any]] = []
            bad: list[str] = []
            for record in read_records(self.path):
                (good.append if isinstance(record, dict) else bad.append)(record)  # type: ignore[operator]
            if bad:
                now = datetime.now(UTC).isoformat()
                reason = "unreadable spool line (torn write?)"
                append_lines(
                    self.corrupt_path,
                    (dumps({"reason": reason, "raw": line, "moved_at": now}) for line in bad),
                )
                replace_lines(self.path, (dumps(r) for r in good))
                self._depth = len(good)
            return good

    def keep_only(self, remaining: list[dict[str, Any]], replayed: int) -> None:
        """After a replay of the first `replayed` readings: keep the unacknowledged ones first."""
        with self._lock:
            tail = list(read_records(self.path))[replayed:]
            records = [dumps(r) for r in remaining] + [
                dumps(r) if isinstance(r, dict) else r for r in tail
            ]
            replace_lines(self.path, records)
            self._depth = len(records)
