"""Compaction: merge the small files of each closed hour partition into one file.

A streaming writer leaves one small file per partition per micro-batch, and every file costs the
namenode memory and every reader an open (the course's small-files problem). Once an hour is
closed (its end plus a grace period for late readings has passed), its files are merged:

1. read every data file of the partition and count the rows;
2. write the merged file atomically (hidden staging name, then rename), recording in its Parquet
   metadata which files it replaces;
3. check the merged file's row count equals the sum, then delete the replaced files.

A crash between 2 and 3 leaves the merged file beside some of its sources; the next run reads the
merged file's record, deletes those leftovers without merging them again, and so never
duplicates a row. The same record catches a streaming batch replayed after its files were
merged (write_records with the batch's file_name): the replayed file is dropped as a leftover.
An open hour is never touched, since a writer may still add to it.

Two compactions of one zone at once could both merge the same files, so a run holds the zone's
lock file `<zone>/_compaction.lock` (created only if absent; readers skip `_` files). A lock
older than an hour is taken to be left by a crashed run and is broken.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pyarrow.parquet as pq

from fmslab.lake.layout import new_file_name, to_utc, zone_of
from fmslab.lake.partitions import PartitionFiles, list_partitions
from fmslab.lake.storage import Lake, LakeError
from fmslab.lake.zones import Zone, default_policy

COMPACTED_FROM = b"fmslab.compacted_from"
LOCK_NAME = "_compaction.lock"
STALE_LOCK = timedelta(hours=1)


@dataclass
class Compaction:
    """What compaction did (or, in a dry run, would do) to one hour partition."""

    zone: str
    partition: str
    status: str  # compacted | would-compact | open | undated | compact (one file already)
    files_before: int
    files_after: int
    rows_before: int
    rows_after: int
    bytes_before: int = 0
    bytes_after: int = 0
    leftovers_removed: list[str] = field(default_factory=list)
    merged_file: str | None = None


def _read(lake: Lake, path: str) -> pa.Table:
    with lake.open(path) as handle:
        return pq.read_table(handle)


def _replaced_by(table: pa.Table) -> list[str]:
    meta = table.schema.metadata or {}
    return json.loads(meta[COMPACTED_FROM]) if COMPACTED_FROM in meta else []


def _sort_key(table: pa.Table, zone: Zone) -> list[tuple[str, str]]:
    # Merged rows in time order: readers scanning one hour then read it in order.
    return [(zone.time_column, "ascending")] if zone.time_column in table.column_names else []


def _merge(tables: list[pa.Table], zone: Zone, sources: list[str]) -> pa.Table:
    try:
        merged = pa.concat_tables(tables, promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError) as err:
        raise LakeError(f"zone {zone.name}: files of one partition do not merge: {err}") from err
    if sort := _sort_key(merged, zone):
        merged = merged.sort_by(sort)
    meta = dict(merged.schema.metadata or {})
    meta[COMPACTED_FROM] = json.dumps(sources).encode()
    return merged.replace_schema_metadata(meta)


def compact_partition(lake: Lake, pf: PartitionFiles, dry_run: bool = False) -> Compaction:
    """Merge all data files of one hour partition into one (the caller checks it is closed)."""
    zone = zone_of(pf.partition.zone)
    tables = {entry.path: _read(lake, entry.path) for entry in pf.files}
    names = {posixpath.basename(path) for path in tables}
    leftovers = sorted(
        path
        for table in tables.values()
        for name in _replaced_by(table)
        if name in names
        for path in [posixpath.join(pf.directory, name)]
    )
    live = {path: table for path, table in tables.items() if path not in leftovers}
    rows = sum(table.num_rows for table in live.values())
    size = sum(entry.size for entry in pf.files if entry.path in live)
    result = Compaction(zone.name, pf.directory, "compact", len(pf.files), len(live), rows, rows)
    result.bytes_before = result.bytes_after = sum(entry.size for entry in pf.files)
    if dry_run:
        result.status = "would-compact" if len(live) > 1 or leftovers else "compact"
        result.files_after = 1
        return result
    for path in leftovers:  # finish an interrupted compaction: these rows are in the merged file
        lake.delete(path)
    result.leftovers_removed = leftovers
    result.bytes_after = size
    if len(live) <= 1:
        return result
    # The lineage carries forward: a file merged twice is still recognised if it reappears.
    lineage = {posixpath.basename(p) for p in live}
    lineage.update(name for table in live.values() for name in _replaced_by(table))
    merged = _merge(list(live.values()), zone, sorted(lineage))
    target = posixpath.join(pf.directory, new_file_name())
    with lake.open(target, "wb") as handle:
        pq.write_table(merged, handle, compression="snappy")
    written = _read(lake, target).num_rows
    if written != rows:  # never delete sources unless the merged file holds every row
        lake.delete(target)
        raise LakeError(f"{pf.directory}: merged file has {written} rows, expected {rows}")
    for path in live:
        lake.delete(path)
    result.status, result.files_after, result.rows_after = "compacted", 1, written
    result.merged_file, result.bytes_after = target, lake.stat(target).size  # type: ignore[union-attr]
    return result


@contextmanager
def zone_lock(lake: Lake, zone: Zone, stale: timedelta = STALE_LOCK) -> Iterator[None]:
    """Hold the zone's compaction lock for a `with` block; a clear error if another run has it."""
    path = f"{zone.name}/{LOCK_NAME}"
    stamp = datetime.now(UTC)
    if not lake.create_new(path, stamp.isoformat().encode()):
        try:
            since = to_utc(lake.cat_text(path).strip())
        except LakeError:
            since = stamp - stale  # unreadable or vanished: treat as stale
        if stamp - since < stale:
            raise LakeError(
                f"another compaction of zone {zone.name} holds {path} since {since:%H:%M:%S} "
                "UTC; wait for it to finish"
            )
        lake.delete(path)  # left by a crashed run
        if not lake.create_new(path, stamp.isoformat().encode()):
            raise LakeError(f"another compaction of zone {zone.name} just took {path}")
    try:
        yield
    finally:
        lake.delete(path)


def compact_zone(
    lake: Lake,
    zone: str | Zone,
    now: datetime | str | None = None,
    grace: timedelta | None = None,
    dry_run: bool = False,
) -> list[Compaction]:
    """Compact every closed hour partition of a zone that has more than one file.

    Open hours (not yet `grace` past their end at `now`) are reported and left alone.
    """
    spec = zone_of(zone)
    moment = to_utc(now) if now is not None else datetime.now(UTC)
    grace = timedelta(minutes=default_policy().grace_minutes) if grace is None else grace
    if dry_run or not lake.exists(spec.name):
        return _compact(lake, spec, moment, grace, dry_run)
    with zone_lock(lake, spec):
        return _compact(lake, spec, moment, grace, dry_run)


def _compact(
    lake: Lake, spec: Zone, moment: datetime, grace: timedelta, dry_run: bool
) -> list[Compaction]:
    results = []
    for pf in list_partitions(lake, spec):
        if not pf.partition.closed(moment, grace):
            # Open hours, and the undated default partition, are reported and left alone.
            status = "open" if pf.partition.dated else "undated"
            rows = sum(_read(lake, entry.path).num_rows for entry in pf.files)
            n = len(pf.files)
            results.append(Compaction(spec.name, pf.directory, status, n, n, rows, rows))
            continue
        if len(pf.files) > 1:
            results.append(compact_partition(lake, pf, dry_run))
    return results
