"""The counts of a fault run: accepted, stored, lost, duplicated, per fault window.

accepted   readings the collector accepted (its landing archive) whose `collected_at` falls in
           the fault's window (from the steady load before the injection to the next fault);
stored     of those, the ones whose reading_id is in the lake's reading zones;
dropped_copies   ... the ones the rules dropped as a copy of a stored (DeviceId, time);
lost       the rest: neither stored nor a dropped copy (after `reconcile`);
duplicates extra copies of a reading_id in the lake (a reading stored twice counts 1);
reconciled the window's readings `reconcile` wrote to the lake.

Availability is the fraction of health samples in the window at which every service passed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from fmslab.faults.watch import HealthSample
from fmslab.jobs.reconcile import find_missing
from fmslab.lake.records import read_zone
from fmslab.lake.storage import Lake
from fmslab.lake.zones import READING_ZONES


@dataclass
class Window:
    """One fault's span: wall-clock epoch seconds (collected_at) and monotonic seconds."""

    wall_start: float
    wall_end: float
    mono_start: float
    mono_end: float

    def holds(self, wall: float) -> bool:
        """Whether a reading collected at `wall` belongs to this window."""
        return self.wall_start <= wall < self.wall_end


@dataclass
class LakeState:
    """The lake's reading zones as read once: ids (with repeats), accepted keys, quarantine."""

    ids: Counter
    keys: set
    quarantine: pd.DataFrame


def read_lake(lake: Lake) -> LakeState:
    """Read every reading zone once."""
    ids: Counter = Counter()
    keys: set = set()
    quarantine = pd.DataFrame()
    for zone in READING_ZONES:
        frame = read_zone(lake, zone)
        if frame.empty:
            continue
        ids.update(str(v) for v in frame["reading_id"].dropna())
        if zone == "quarantine":
            quarantine = frame
            continue
        times = pd.to_datetime(frame["time"], utc=True, errors="coerce", format="ISO8601")
        keys.update(
            (int(d), t) for d, t in zip(frame["DeviceId"], times, strict=True) if not pd.isna(t)
        )
    return LakeState(ids, keys, quarantine)


def collected_wall(reading: dict[str, Any]) -> float:
    """A reading's `collected_at` as epoch seconds."""
    return datetime.fromisoformat(str(reading["collected_at"]).replace("Z", "+00:00")).timestamp()


def split(archived: Iterable[dict[str, Any]], windows: list[Window]) -> list[list[dict]]:
    """The archived readings of each window."""
    parts: list[list[dict]] = [[] for _ in windows]
    for reading in archived:
        wall = collected_wall(reading)
        for part, window in zip(parts, windows, strict=True):
            if window.holds(wall):
                part.append(reading)
                break
    return parts


def counts(readings: list[dict[str, Any]], lake: LakeState) -> dict[str, int]:
    """accepted, stored, dropped_copies, lost and duplicates of one window's readings."""
    missing, stored, copies = find_missing(readings, set(lake.ids), lake.keys)
    ids = {str(r["reading_id"]) for r in readings}
    duplicates = sum(lake.ids[i] - 1 for i in ids if lake.ids[i] > 1)
    return {
        "accepted": len(readings),
        "stored": stored,
        "dropped_copies": copies,
        "lost": len(missing),
        "duplicates": duplicates,
    }


def quarantine_reasons(
    frame: pd.DataFrame, window: Window, flood_prefix: str, *, flood: bool
) -> dict[str, int]:
    """Quarantined records of the window by their first reason: collected in the window, plus,
    with `flood`, every flood record (reading_id null or starting with `flood_prefix`)."""
    if frame.empty:
        return {}
    ids = frame["reading_id"].astype("string")
    flooded = ids.isna() | ids.str.startswith(flood_prefix).fillna(False)
    collected = pd.to_datetime(frame["collected_at"], utc=True, errors="coerce")
    inside = collected.map(lambda t: not pd.isna(t) and window.holds(t.timestamp()))
    mine = frame[(~flooded & inside.astype(bool)) | (flooded & flood)]
    return dict(sorted(Counter(_first_reason(r) for r in mine["reasons"]).items()))


def _first_reason(reasons: Any) -> str:
    items = list(reasons) if reasons is not None else []
    return str(items[0]).split(":")[0] if items else "unknown"


def availability(samples: list[HealthSample]) -> tuple[float | None, dict[str, float]]:
    """The fraction of samples with every service healthy, and per service."""
    if not samples:
        return None, {}
    names = sorted({n for s in samples for n in s.healthy})
    per = {n: sum(s.healthy.get(n, False) for s in samples) / len(samples) for n in names}
    return sum(s.all_healthy for s in samples) / len(samples), per
