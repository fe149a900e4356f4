"""What a running pipeline has done so far, read from its files: archive, lake zones, quality.

`PipelineWatch.snapshot()` is cheap enough to call every second: lake files are read once per
(path, modification time). The latency of a reading is the modification time of the first lake
file that held it (when it became readable) minus its `collected_at`; backfilled files
(`part-reconcile...`) are left out, since their delay measures the reconcile, not the pipeline.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from fmslab.lake.zones import READING_ZONES
from fmslab.measure import summarize

DIMENSIONS = ("completeness", "accuracy", "consistency", "timeliness")
QUALITY_COLUMNS = ("records", "score", *DIMENSIONS)


@dataclass
class Snapshot:
    """Counts at one moment of a run."""

    collected: int = 0
    zones: dict[str, int] = field(default_factory=dict)
    unique_ids: int = 0
    score: float | None = None
    dimensions: dict[str, float] = field(default_factory=dict)
    batches: int = 0
    latency: dict[str, float | None] = field(default_factory=dict)

    @property
    def stored(self) -> int:
        """Rows in the reading zones."""
        return sum(self.zones.values())


def weighted_quality(frame: pd.DataFrame) -> tuple[float | None, dict[str, float]]:
    """Score and dimensions over quality-zone rows, weighted by each batch's records."""
    if frame.empty or frame["records"].sum() == 0:
        return None, {}
    weights = frame["records"].astype(float)
    total = weights.sum()

    def mean(column: str) -> float:
        return round(float((frame[column].astype(float) * weights).sum() / total), 4)

    return mean("score"), {name: mean(name) for name in DIMENSIONS if name in frame.columns}


class PipelineWatch:
    """Reads the archive and the local lake of a running pipeline, incrementally."""

    def __init__(self, archive_dir: Path, lake_dir: Path, since: float = 0.0) -> None:
        self.archive_dir = Path(archive_dir)
        self.lake_dir = Path(lake_dir)
        self.since = since  # epoch seconds: older archive lines and lake files are not this run's
        self._offsets: dict[Path, int] = {}
        self.archived: dict[str, int | None] = {}  # reading_id -> DeviceId, of this run
        self._seen: dict[Path, float] = {}
        self._rows: dict[Path, tuple[str, pd.DataFrame]] = {}
        self._quality: dict[Path, pd.DataFrame] = {}
        self.first_seen: dict[str, float] = {}  # reading_id -> mtime of its first lake file
        self.collected_at: dict[str, pd.Timestamp] = {}

    def _changed(self, pattern: str) -> list[tuple[Path, float]]:
        changed = []
        for path in self.lake_dir.glob(pattern):
            try:
                mtime = path.stat().st_mtime
            except FileNotFoundError:  # replaced between glob and stat
                continue
            if mtime >= self.since and self._seen.get(path) != mtime:
                changed.append((path, mtime))
        return changed

    def _read_zone_file(self, zone: str, path: Path, mtime: float) -> None:
        table = pq.read_table(path, columns=["reading_id", "collected_at"])
        frame = table.to_pandas()
        self._rows[path] = (zone, frame)
        if path.name.startswith("part-reconcile"):
            return
        for reading_id, collected in zip(frame["reading_id"], frame["collected_at"], strict=True):
            if reading_id is not None and reading_id not in self.first_seen:
                self.first_seen[reading_id] = mtime
                self.collected_at[reading_id] = pd.Timestamp(collected)

    def _read_archive(self) -> None:
        for path in sorted(self.archive_dir.glob("date=*/hour=*.jsonl")):
            with open(path, "rb") as handle:
                handle.seek(self._offsets.get(path, 0))
                data = handle.read()
            end = data.rfind(b"\n") + 1  # a line still being written is read next time
            self._offsets[path] = self._offsets.get(path, 0) + end
            for line in data[:end].splitlines():
                self._add_archived(line)

    def _add_archived(self, line: bytes) -> None:
        try:
            reading = json.loads(line)
            collected = pd.Timestamp(reading["collected_at"]).timestamp()
        except (ValueError, KeyError, TypeError):
            return
        if collected >= self.since:
            device = reading.get("DeviceId")
            self.archived[str(reading.get("reading_id"))] = (
                device if isinstance(device, int) else None
            )

    def refresh(self) -> None:
        """Read the archive lines and lake files that are new or changed since the last call."""
        self._read_archive()
        for zone in READING_ZONES:
            for path, mtime in self._changed(f"{zone}/**/*.parquet"):
                try:
                    self._read_zone_file(zone, path, mtime)
                except (OSError, ValueError):  # half-visible file: read it next time
                    continue
                self._seen[path] = mtime
        for path, mtime in self._changed("quality/**/*.parquet"):
            try:
                columns = [c for c in QUALITY_COLUMNS if c in pq.read_schema(path).names]
                self._quality[path] = pq.read_table(path, columns=columns).to_pandas()
            except (OSError, ValueError):
                continue
            self._seen[path] = mtime

    def latencies(self) -> list[float]:
        """Seconds from collected_at to readable in the lake, per reading the stream wrote."""
        values = []
        for reading_id, mtime in self.first_seen.items():
            collected = self.collected_at[reading_id]
            if not pd.isna(collected):
                values.append(mtime - collected.timestamp())
        return values

    def lake_ids(self) -> Counter[str]:
        """How many lake rows hold each reading_id."""
        counts: Counter[str] = Counter()
        for _zone, frame in self._rows.values():
            counts.update(str(v) for v in frame["reading_id"].dropna())
        return counts

    def snapshot(self) -> Snapshot:
        """Refresh and count: collected, stored per zone, quality, latency."""
        self.refresh()
        zones = dict.fromkeys(READING_ZONES, 0)
        for zone, frame in self._rows.values():
            zones[zone] += len(frame)
        quality = list(self._quality.values())
        frame = pd.concat(quality, ignore_index=True) if quality else pd.DataFrame()
        score, dimensions = weighted_quality(frame)
        values = self.latencies()
        return Snapshot(
            collected=len(self.archived),
            zones=zones,
            unique_ids=len(self.lake_ids()),
            score=score,
            dimensions=dimensions,
            batches=len(frame),
            latency=summarize(values),
        )
