"""The lake's zones as data (data/lake_zones.yaml): partitioning, time column, retention."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from fmslab.config import data_dir
from fmslab.lake.storage import LakeError

PARTITION_KEYS = ("device_id", "date", "hour")
# The zones a reading can end up in (data/quality_rules.yaml routing); each stored reading is in
# exactly one of them, so counting a run counts these three.
READING_ZONES = ("processed", "alerts", "quarantine")


@dataclass(frozen=True)
class Zone:
    """One zone of the lake."""

    name: str
    retention_days: int
    partition_by: tuple[str, ...]
    time_column: str
    accept_unkeyed: bool
    description: str = ""

    @property
    def per_device(self) -> bool:
        """Whether the zone's partitions start with device_id=."""
        return "device_id" in self.partition_by


@dataclass(frozen=True)
class LakePolicy:
    """Every zone, and the compaction grace period."""

    zones: dict[str, Zone]
    grace_minutes: int

    def zone(self, name: str) -> Zone:
        """The zone called `name`; a clear error names the valid ones."""
        try:
            return self.zones[name]
        except KeyError:
            valid = ", ".join(self.zones)
            raise LakeError(f"unknown lake zone {name!r}; zones are: {valid}") from None


def _zone(name: str, spec: dict) -> Zone:
    partition_by = tuple(spec.get("partition_by", PARTITION_KEYS))
    unknown = set(partition_by) - set(PARTITION_KEYS)
    if unknown or partition_by[-2:] != ("date", "hour"):
        raise LakeError(
            f"zone {name}: partition_by must be [device_id, date, hour] or [date, hour], "
            f"not {list(partition_by)}"
        )
    return Zone(
        name=name,
        retention_days=int(spec["retention_days"]),
        partition_by=partition_by,
        time_column=str(spec.get("time_column", "time")),
        accept_unkeyed=bool(spec.get("accept_unkeyed", False)),
        description=str(spec.get("description", "")),
    )


def load_policy(path: Path | None = None) -> LakePolicy:
    """Read the zones file (default: data/lake_zones.yaml)."""
    path = path or data_dir() / "lake_zones.yaml"
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        zones = {name: _zone(name, spec) for name, spec in raw["zones"].items()}
        grace = int(raw.get("compaction", {}).get("grace_minutes", 0))
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError) as err:
        raise LakeError(f"cannot read the lake zones from {path}: {err}") from err
    return LakePolicy(zones, grace)


@cache
def default_policy() -> LakePolicy:
    """The course's zones, read once."""
    return load_policy()


def zone_names() -> list[str]:
    """The zone names in file order: raw, processed, alerts, quarantine, aggregates, quality."""
    return list(default_policy().zones)
