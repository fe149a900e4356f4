"""Reconcile the lake with the collector's landing archive: backfill what a broker loss dropped.

The embedded broker keeps records in memory only, so a broker restart forgets readings the stream
job had not yet read. The collector archived every reading it accepted (`collector.archive`);
this module compares that archive with the lake and routes the missing readings through the same
rule engine the stream job runs (`streaming.processing.route_records`), then writes them with the
stream job's own writer (`streaming.sinks.BatchWriter`) under a deterministic name,
`part-reconcile<hash of their ids>-b000000000.snappy.parquet`.

What counts as already in the lake:

- its `reading_id` is stored in processed, alerts or quarantine;
- or its (DeviceId, time) key is stored in processed or alerts: the stream job dropped it as a
  duplicate of that reading, as the rules say.

History: the engine's per-device state (previous valid values for interpolation, the last 100
values for IQR outliers, seen keys) is seeded with the device's last accepted readings in the
lake that are older than its first missing reading. The wall-clock checks (late, skew against
processing time) are skipped, as in `check_readings` without `now`: a backfill runs after the
fact, so its processing delay says nothing about the pipeline.

Idempotent: a second run finds nothing missing; a run interrupted after writing some zones
rewrites the same files (same ids, same name).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from fmslab.collector.archive import iter_archive
from fmslab.lake.records import read_zone
from fmslab.lake.storage import Lake
from fmslab.lake.zones import READING_ZONES

ACCEPTED_ZONES = ("processed", "alerts")
HISTORY = 100  # readings per device that seed the engine (the IQR window of the rules)
TOKEN_PREFIX = "reconcile"


@dataclass
class ReconcileResult:
    """Counts of one reconciliation."""

    archived: int = 0
    in_lake: int = 0
    duplicates: int = 0
    missing: int = 0
    backfilled: int = 0
    zones: dict[str, int] | None = None
    files: int = 0
    token: str | None = None
    dry_run: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The counts as a JSON-ready dict."""
        return asdict(self)


def _utc(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, utc=True, errors="coerce", format="ISO8601")


def _device(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _stored(lake: Lake) -> tuple[set[str], set[tuple[int, pd.Timestamp]], pd.DataFrame]:
    """Reading ids in the reading zones, keys and rows of the accepted zones."""
    ids: set[str] = set()
    accepted = []
    for zone in READING_ZONES:
        frame = read_zone(lake, zone)
        if frame.empty:
            continue
        ids.update(str(v) for v in frame["reading_id"].dropna())
        if zone in ACCEPTED_ZONES:
            accepted.append(frame)
    rows = pd.concat(accepted, ignore_index=True) if accepted else pd.DataFrame()
    keys: set[tuple[int, pd.Timestamp]] = set()
    if not rows.empty:
        rows = rows.assign(time=_utc(rows["time"]))
        keys = {
            (int(d), t)
            for d, t in zip(rows["DeviceId"], rows["time"], strict=True)
            if not pd.isna(d) and not pd.isna(t)
        }
    return ids, keys, rows


def _key(reading: dict[str, Any]) -> tuple[int, pd.Timestamp] | None:
    device = _device(reading.get("DeviceId"))
    stamp = pd.to_datetime(reading.get("time"), utc=True, errors="coerce")
    if device is None or pd.isna(stamp):
        return None
    return device, stamp


def find_missing(
    archived: list[dict[str, Any]], ids: set[str], keys: set[tuple[int, pd.Timestamp]]
) -> tuple[list[dict[str, Any]], int, int]:
    """The archived readings the lake lacks, and how many are stored / were dropped duplicates."""
    missing, stored, duplicates = [], 0, 0
    for reading in archived:
        if str(reading.get("reading_id")) in ids:
            stored += 1
        elif _key(reading) in keys:
            duplicates += 1
        else:
            missing.append(reading)
    return missing, stored, duplicates


def count_missing(archived: list[dict[str, Any]], lake: Lake) -> int:
    """How many of `archived` the lake lacks (neither stored nor a dropped duplicate)."""
    ids, keys, _ = _stored(lake)
    return len(find_missing(archived, ids, keys)[0])


def reconcile_token(missing: list[dict[str, Any]]) -> str:
    """`reconcile<12 hex digits>`: a name fixed by the ids of the readings it backfills."""
    ids = sorted(str(r.get("reading_id")) for r in missing)
    digest = hashlib.sha256("\n".join(ids).encode("utf-8")).hexdigest()[:12]
    return f"{TOKEN_PREFIX}{digest}"


def _history(accepted: pd.DataFrame, missing: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per device, the last accepted lake readings older than its first missing one."""
    if accepted.empty:
        return []
    first: dict[int, pd.Timestamp] = {}
    for reading in missing:
        key = _key(reading)
        if key is not None and (key[0] not in first or key[1] < first[key[0]]):
            first[key[0]] = key[1]
    seeds = []
    fields = ("time", "DeviceId", "sensor1", "sensor2", "sensor3", "motor1", "motor2", "motor3")
    for device, start in first.items():
        rows = accepted[(accepted["DeviceId"] == device) & (accepted["time"] < start)]
        for row in rows.sort_values("time").tail(HISTORY).itertuples(index=False):
            record = {name: getattr(row, name) for name in fields}
            record["time"] = record["time"].strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            record["isFail"] = bool(row.isFail) if not pd.isna(row.isFail) else False
            seeds.append({k: (None if _isna(v) else _plain(v)) for k, v in record.items()})
    return seeds


def _isna(value: Any) -> bool:
    return value is None or (not isinstance(value, str | bool) and bool(pd.isna(value)))


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def _kafka_rows(readings: list[dict[str, Any]]) -> pd.DataFrame:
    """Archived readings shaped as the stream job's Kafka rows (no partition or offset)."""
    stamps = _utc(pd.Series([r.get("collected_at") for r in readings], dtype="object"))
    return pd.DataFrame(
        {
            "value": [json.dumps(r).encode("utf-8") for r in readings],
            "partition": pd.array([None] * len(readings), dtype="Int32"),
            "offset": pd.array([None] * len(readings), dtype="Int64"),
            "timestamp": stamps,
        }
    )


def route_missing(
    missing: list[dict[str, Any]], history: list[dict[str, Any]], rules: Any = None
) -> pd.DataFrame:
    """Route the missing readings through the rule engine, after seeding it with `history`."""
    from fmslab.quality.rules import load_rules
    from fmslab.quality.validator import QualityValidator
    from fmslab.streaming.processing import route_records

    validator = QualityValidator(rules or load_rules())
    for index, record in enumerate(sorted(history, key=lambda r: (r["DeviceId"], r["time"]))):
        validator.route(index, record, None)
    return route_records(validator, _kafka_rows(missing), None)


def reconcile(
    archive_dir: Path, lake: Lake, *, dry_run: bool = False, rules: Any = None
) -> ReconcileResult:
    """Compare the landing archive with the lake and backfill the readings it lacks."""
    archived = list(iter_archive(Path(archive_dir)))
    ids, keys, accepted = _stored(lake)
    missing, stored, duplicates = find_missing(archived, ids, keys)
    result = ReconcileResult(
        archived=len(archived),
        in_lake=stored,
        duplicates=duplicates,
        missing=len(missing),
        dry_run=dry_run,
    )
    if not missing or dry_run:
        return result
    from fmslab.streaming.sinks import BatchWriter

    frame = route_missing(missing, _history(accepted, missing), rules)
    token = reconcile_token(missing)
    writer = BatchWriter(lake, token, bootstrap=None, rules=rules)
    writer.write(frame, 0)
    zones = writer.stats.zones
    result.zones = dict(zones)
    result.backfilled = sum(zones.get(z, 0) for z in READING_ZONES)
    result.files = writer.stats.files
    result.token = token
    return result
