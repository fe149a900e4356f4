"""The quality rules as data: `data/quality_rules.yaml` loaded into pydantic models.

The pandas validator and the later Spark implementation read the same models, so every decision
(ranges, null/type/range/outlier actions, thresholds, routing, KPI targets) lives here, not in code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from fmslab.config import data_dir

FieldType = Literal["timestamp", "int", "float", "bool"]
NullAction = Literal["REJECT", "DEFAULT", "INTERPOLATE"]
ValueAction = Literal["FLAG", "CLIP", "INTERPOLATE", "REJECT"]
DIMENSIONS = ("completeness", "accuracy", "consistency", "timeliness")
ZONES = ("processed", "alerts", "quarantine", "dropped")

RULES_FILE = "quality_rules.yaml"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OutlierRule(_Model):
    """Per-field outlier settings: the z-score threshold and what to do with an outlier."""

    zscore: float = Field(gt=0)
    action: ValueAction = "FLAG"


class FieldRule(_Model):
    """How one field of a reading is converted, completed and checked."""

    type: FieldType
    key: bool = False
    integral: bool = False
    decimals: int | None = Field(default=None, ge=0, le=10)
    range: tuple[float, float] | None = None
    missing_values: tuple[float, ...] = ()
    null_action: NullAction = "REJECT"
    type_action: NullAction = "REJECT"
    range_action: ValueAction = "FLAG"
    default: Any = None
    outlier: OutlierRule | None = None

    @model_validator(mode="after")
    def _consistent(self) -> FieldRule:
        if self.key and (self.null_action != "REJECT" or self.type_action != "REJECT"):
            raise ValueError("key fields must REJECT missing and unconvertible values")
        uses_default = "DEFAULT" in (self.null_action, self.type_action)
        if uses_default and self.default is None:
            raise ValueError("a DEFAULT action needs a `default` value")
        numeric = self.type in ("int", "float")
        if not numeric and (self.range or self.outlier or self.missing_values):
            raise ValueError("range, outlier and missing_values apply to numeric fields only")
        if not numeric and "INTERPOLATE" in (self.null_action, self.type_action):
            raise ValueError("INTERPOLATE applies to numeric fields only")
        if self.range and self.range[0] > self.range[1]:
            raise ValueError(f"range low > high: {self.range}")
        return self


class OutlierSettings(_Model):
    """The sliding window shared by both outlier methods."""

    window: int = Field(default=100, ge=2)
    iqr_k: float = Field(default=1.5, gt=0)
    iqr_min_count: int = Field(default=100, ge=4)
    zscore_min_count: int = Field(default=30, ge=3)


class TimelinessRules(_Model):
    """Per-device time checks: clock skew, processing delay, collection interval."""

    collected_at_field: str = "collected_at"
    max_skew_seconds: float = Field(default=60, ge=0)
    max_processing_seconds: float = Field(default=30, ge=0)
    interval_seconds: float = Field(default=10, gt=0)
    interval_tolerance_seconds: float = Field(default=2, ge=0)


class Zone(_Model):
    """One storage zone of the routing policy."""

    retention_days: int = Field(ge=0)
    description: str = ""
    alert_severity: str | None = None


class RoutingRules(_Model):
    """Where records go, how duplicates are recognised, and how long each zone keeps data."""

    key: tuple[str, ...] = ("DeviceId", "time")
    alert_field: str = "isFail"  # a bool field; true routes a valid record to `alerts`
    duplicate_memory_per_device: int = Field(default=100_000, ge=1)
    zones: dict[str, Zone]

    @model_validator(mode="after")
    def _all_zones(self) -> RoutingRules:
        missing = set(ZONES) - set(self.zones)
        if missing:
            raise ValueError(f"routing.zones lacks {sorted(missing)}")
        return self


class KpiTargets(_Model):
    """Targets of the four quality dimensions (fractions 0..1) and the overall score's weights."""

    completeness: float = Field(default=0.99, ge=0, le=1)
    accuracy: float = Field(default=0.95, ge=0, le=1)
    consistency: float = Field(default=0.98, ge=0, le=1)
    max_duplicate_ratio: float = Field(default=0.02, ge=0, le=1)
    timeliness: float = Field(default=0.90, ge=0, le=1)
    alert_score_below: float = Field(default=0.70, ge=0, le=1)
    weights: dict[str, float] = Field(default_factory=lambda: dict.fromkeys(DIMENSIONS, 1.0))

    def target(self, dimension: str) -> float:
        """The target of one dimension."""
        return float(getattr(self, dimension))


class QualityRules(_Model):
    """Every quality rule of the course, as loaded from `data/quality_rules.yaml`."""

    version: int = 1
    fields: dict[str, FieldRule]
    metadata_fields: tuple[str, ...] = ("collected_at",)
    id_fields: tuple[str, ...] = ("reading_id",)
    outliers: OutlierSettings = OutlierSettings()
    timeliness: TimelinessRules = TimelinessRules()
    routing: RoutingRules
    kpis: KpiTargets = KpiTargets()

    @model_validator(mode="after")
    def _keys_exist(self) -> QualityRules:
        for name in self.routing.key:
            if name not in self.fields or not self.fields[name].key:
                raise ValueError(f"routing key {name!r} must be a field with key: true")
        alert = self.fields.get(self.routing.alert_field)
        if alert is None or alert.type != "bool":
            raise ValueError(
                f"routing.alert_field {self.routing.alert_field!r} must be a bool field"
            )
        types = {self.fields[name].type for name in self.routing.key}
        if types != {"int", "timestamp"}:
            raise ValueError("routing key must be one int (device) and one timestamp field")
        return self

    @property
    def device_field(self) -> str:
        """The key field naming the device (DeviceId)."""
        return next(n for n in self.routing.key if self.fields[n].type == "int")

    @property
    def time_field(self) -> str:
        """The key field holding the reading time (time)."""
        return next(n for n in self.routing.key if self.fields[n].type == "timestamp")

    def for_devices(self, devices: int) -> QualityRules:
        """A copy accepting DeviceId 1..`devices` (load scenarios run 20 or 50 devices)."""
        if devices < 1:
            raise ValueError(f"devices must be at least 1, not {devices}")
        name = self.device_field
        field = self.fields[name].model_copy(update={"range": (1, devices)})
        return self.model_copy(update={"fields": {**self.fields, name: field}})

    @property
    def value_fields(self) -> list[str]:
        """Fields that are neither key nor boolean: the sensors and motors."""
        return [n for n, r in self.fields.items() if not r.key and r.type in ("int", "float")]


def load_rules(path: str | Path | None = None) -> QualityRules:
    """Load the quality rules (default: `quality_rules.yaml` in the course's data folder).

    Raises OSError for an unreadable file and ValueError (pydantic's ValidationError is one)
    for rules that are not valid YAML or break the model's constraints."""
    source = Path(path) if path is not None else data_dir() / RULES_FILE
    with source.open(encoding="utf-8") as handle:
        try:
            raw = yaml.safe_load(handle)
        except yaml.YAMLError as exc:
            raise ValueError(f"{source}: not valid YAML: {exc}") from exc
    return QualityRules.model_validate(raw)
