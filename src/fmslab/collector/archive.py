"""The landing archive: every accepted reading, in hourly JSON-lines files, for reconciliation."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fmslab.collector.jsonl import append_lines, dumps, read_records


def archive_path(root: Path, collected_at: str) -> Path:
    """`root/date=YYYY-MM-DD/hour=HH.jsonl` for an ISO UTC `collected_at`."""
    return Path(root) / f"date={collected_at[:10]}" / f"hour={collected_at[11:13]}.jsonl"


class LandingArchive:
    """Appends readings to the hour file of their `collected_at`, durably."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.written = 0

    def append(self, readings: list[dict[str, Any]], lines: list[str] | None = None) -> None:
        """Archive a batch of readings (one fsync per hour file touched).

        `lines` are the readings already serialised (as produced), to avoid doing it twice.
        """
        lines = lines if lines is not None else [dumps(r) for r in readings]
        by_file: dict[Path, list[str]] = defaultdict(list)
        for reading, line in zip(readings, lines, strict=True):
            by_file[archive_path(self.root, reading["collected_at"])].append(line)
        for path, lines in by_file.items():
            self.written += append_lines(path, lines)


def iter_archive(root: Path) -> Iterator[dict[str, Any]]:
    """Every archived reading under `root`, hour file by hour file."""
    for path in sorted(Path(root).glob("date=*/hour=*.jsonl")):
        for record in read_records(path):
            if isinstance(record, dict):
                yield record
