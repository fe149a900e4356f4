"""Where things live in the lake: zone paths and Hive-style partition paths, both ways.

    <zone>/device_id=<id>/date=<YYYY-MM-DD>/hour=<HH>/part-<uuid>.snappy.parquet  (readings)
    <zone>/date=<YYYY-MM-DD>/hour=<HH>/part-<uuid>.snappy.parquet  (aggregates, quality)

Dates and hours are UTC. Hours are written with two digits (`hour=07`) so listings sort in time
order; parsing also accepts Spark's unpadded form (`hour=7`). A missing key value is written as
`__HIVE_DEFAULT_PARTITION__`, as Hive and Spark do for null.
"""

from __future__ import annotations

import posixpath
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pandas as pd

from fmslab.lake.storage import LakeError, clean_path
from fmslab.lake.zones import PARTITION_KEYS, Zone, default_policy

DEFAULT_PARTITION = "__HIVE_DEFAULT_PARTITION__"
PARQUET_SUFFIX = ".snappy.parquet"


def zone_of(zone: str | Zone) -> Zone:
    """The Zone for a zone name (or the Zone itself)."""
    return zone if isinstance(zone, Zone) else default_policy().zone(zone)


def zone_path(zone: str | Zone) -> str:
    """The zone's directory under the lake root."""
    return zone_of(zone).name


def to_utc(timestamp: datetime | str | pd.Timestamp) -> datetime:
    """A timezone-aware UTC datetime; naive values are taken as UTC."""
    try:
        value = pd.Timestamp(timestamp)
    except (ValueError, TypeError) as err:
        raise LakeError(f"not a timestamp: {timestamp!r}") from err
    if value is pd.NaT:
        raise LakeError(f"not a timestamp: {timestamp!r}")
    value = value.tz_localize("UTC") if value.tzinfo is None else value.tz_convert("UTC")
    return value.to_pydatetime()


@dataclass(frozen=True, order=True)
class Partition:
    """One hour partition of a zone (device_id is None in zones without device partitions)."""

    zone: str
    device_id: int | str | None
    date: str  # YYYY-MM-DD, or DEFAULT_PARTITION
    hour: int | str  # 0..23, or DEFAULT_PARTITION

    @property
    def path(self) -> str:
        """The partition's directory under the lake root."""
        parts = [self.zone]
        if self.device_id is not None:
            parts.append(f"device_id={self.device_id}")
        hour = f"{self.hour:02d}" if isinstance(self.hour, int) else self.hour
        parts += [f"date={self.date}", f"hour={hour}"]
        return "/".join(parts)

    @property
    def dated(self) -> bool:
        """Whether date and hour are known (the default partition has neither)."""
        return isinstance(self.hour, int) and self.date != DEFAULT_PARTITION

    @property
    def start(self) -> datetime:
        """When the hour begins (UTC)."""
        if not self.dated:
            raise LakeError(f"{self.path} has no date or hour")
        day = date.fromisoformat(self.date)
        return datetime(day.year, day.month, day.day, int(self.hour), tzinfo=UTC)

    @property
    def end(self) -> datetime:
        """When the hour ends (UTC)."""
        return self.start + timedelta(hours=1)

    def closed(self, now: datetime, grace: timedelta = timedelta(0)) -> bool:
        """Whether the hour is over, late arrivals included (`grace` after its end)."""
        return self.dated and to_utc(now) >= self.end + grace


def partition_for(
    zone: str | Zone, device_id: int | None, timestamp: datetime | str | pd.Timestamp | None
) -> Partition:
    """The partition a record of `device_id` at `timestamp` belongs to (None: default partition)."""
    spec = zone_of(zone)
    device: int | str | None = None
    if spec.per_device:
        device = DEFAULT_PARTITION if device_id is None else int(device_id)
    if timestamp is None:
        return Partition(spec.name, device, DEFAULT_PARTITION, DEFAULT_PARTITION)
    when = to_utc(timestamp)
    return Partition(spec.name, device, when.date().isoformat(), when.hour)


def partition_path(
    zone: str | Zone, device_id: int | None, timestamp: datetime | str | pd.Timestamp | None
) -> str:
    """The directory of the partition a record of `device_id` at `timestamp` belongs to."""
    return partition_for(zone, device_id, timestamp).path


def _value(key: str, text: str) -> int | str:
    if text == DEFAULT_PARTITION:
        return text
    try:
        if key == "date":
            return date.fromisoformat(text).isoformat()
        number = int(text)
    except ValueError as err:
        raise LakeError(f"bad partition value {key}={text!r}") from err
    if key == "hour" and not 0 <= number <= 23:
        raise LakeError(f"bad partition value hour={text!r} (0..23)")
    return number


def parse_partition_values(path: str) -> dict[str, int | str]:
    """The key=value components of a path: `{'device_id': 1, 'date': '2024-01-15', 'hour': 14}`.

    Only the partition keys count; other components (zone, file name) are skipped.
    """
    values: dict[str, int | str] = {}
    for part in clean_path(path).split("/"):
        key, sep, text = part.partition("=")
        if sep and key in PARTITION_KEYS:
            values[key] = _value(key, text)
    return values


def parse_partition(path: str) -> Partition:
    """The hour partition a path (a partition directory or a file in one) belongs to."""
    path = clean_path(path)
    zone = zone_of(path.split("/", 1)[0])
    values = parse_partition_values(path)
    missing = [key for key in zone.partition_by if key not in values]
    if missing:
        raise LakeError(f"{path} is not inside an hour partition of {zone.name} (no {missing})")
    return Partition(zone.name, values.get("device_id"), values["date"], values["hour"])


def new_file_name() -> str:
    """A fresh data file name, part-<uuid>.snappy.parquet: writers never overwrite each other."""
    return f"part-{uuid.uuid4()}{PARQUET_SUFFIX}"


def is_data_file(path: str) -> bool:
    """Whether a path names a Parquet data file (not a hidden staging or bookkeeping file)."""
    name = posixpath.basename(path)
    return name.endswith(".parquet") and not name.startswith(("_", "."))
