"""Retention: delete a zone's date partitions once they are older than the zone keeps data.

A date partition `date=D` expires when the whole day is past the retention: D + 1 day
<= now - retention_days (so a partition that may still hold a record younger than the
retention is kept). Undated records (the __HIVE_DEFAULT_PARTITION__ partition) have no age and
are never deleted by retention.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from fmslab.lake.layout import to_utc, zone_of
from fmslab.lake.partitions import list_partitions
from fmslab.lake.storage import Lake
from fmslab.lake.zones import Zone


@dataclass
class Expired:
    """One date partition past its zone's retention."""

    zone: str
    directory: str  # the date=D directory deleted with everything in it
    date: str
    age_days: int
    retention_days: int
    files: int
    bytes: int
    deleted: bool = False


def expired_partitions(
    lake: Lake, zone: str | Zone, now: datetime | str | None = None
) -> list[Expired]:
    """The date partitions of a zone past its retention at `now` (default: the current time)."""
    spec = zone_of(zone)
    moment = to_utc(now) if now is not None else datetime.now(UTC)
    cutoff = moment - timedelta(days=spec.retention_days)
    found: dict[str, Expired] = {}
    for pf in list_partitions(lake, spec):
        if not pf.partition.dated:
            continue
        day = date.fromisoformat(pf.partition.date)
        day_end = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)
        if day_end > cutoff:
            continue
        directory = posixpath.dirname(pf.directory)
        item = found.setdefault(
            directory,
            Expired(spec.name, directory, pf.partition.date, (moment.date() - day).days,
                    spec.retention_days, 0, 0),
        )  # fmt: skip
        item.files += len(pf.files)
        item.bytes += pf.bytes
    return [found[key] for key in sorted(found)]


def apply_retention(
    lake: Lake, zone: str | Zone, now: datetime | str | None = None, dry_run: bool = False
) -> list[Expired]:
    """Delete (or, in a dry run, only list) a zone's expired date partitions."""
    expired = expired_partitions(lake, zone, now)
    if dry_run:
        return expired
    for item in expired:
        item.deleted = lake.delete(item.directory, recursive=True)
        parent = posixpath.dirname(item.directory)
        # Drop a device directory the deletion left empty, so listings stay short.
        if parent != zone_of(zone).name and lake.exists(parent) and not lake.ls(parent):
            lake.delete(parent)
    return expired
