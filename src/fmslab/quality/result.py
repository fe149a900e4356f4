"""The outcome of one validation run: routed records plus their report, as frame or JSON."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from fmslab.quality.report import QualityReport
from fmslab.quality.routed import RoutedRecord
from fmslab.quality.rules import DIMENSIONS, QualityRules, load_rules

_DTYPES = {"int": "Int64", "float": "float64", "bool": "boolean"}


@dataclass
class QualityResult:
    """Routed records (in input order) and the quality report of the batch."""

    routed: list[RoutedRecord]
    report: QualityReport
    rules: QualityRules | None = None

    def zone(self, name: str) -> list[RoutedRecord]:
        """The records routed to one zone."""
        return [rec for rec in self.routed if rec.zone == name]

    def frame(self) -> pd.DataFrame:
        """Cleaned records with `index`, `zone` and `reasons` columns; typed columns (time as
        UTC datetimes, motors as nullable ints, isFail as nullable booleans)."""
        rules = self.rules if self.rules is not None else load_rules()
        meta = [n for n in rules.metadata_fields if any(n in r.record for r in self.routed)]
        ids = [n for n in rules.id_fields if any(n in r.record for r in self.routed)]
        columns = ["index", "zone", "reasons", *rules.fields, *meta, *ids]
        rows = [
            {"index": rec.index, "zone": rec.zone, "reasons": list(rec.reasons), **rec.record}
            for rec in self.routed
        ]
        frame = pd.DataFrame(rows, columns=columns)
        for name in [rules.time_field, *meta]:
            frame[name] = pd.to_datetime(frame[name], utc=True, format="ISO8601")
        for name, rule in rules.fields.items():
            if rule.type in _DTYPES:
                frame[name] = _typed(frame[name], _DTYPES[rule.type])
        return frame.astype({"index": "int64"})

    def to_json(self) -> dict[str, Any]:
        """`{"records": [{index, zone, reasons, record[, raw]}], "dimensions": {name: value},
        "score": x, "zone_counts": {...}, "report": {...}}`; figures are fractions 0..1 and the
        original text (`raw`) is kept for quarantined records."""
        records = []
        for rec in self.routed:
            item: dict[str, Any] = {
                "index": rec.index,
                "zone": rec.zone,
                "reasons": list(rec.reasons),
                "record": dict(rec.record),
            }
            if rec.zone == "quarantine":
                item["raw"] = rec.raw
            records.append(item)
        report = self.report
        return {
            "records": records,
            "dimensions": {name: report.dimensions[name].value for name in DIMENSIONS},
            "score": report.score,
            "zone_counts": dict(report.zone_counts),
            "report": report.to_dict(),
        }


def _typed(column: pd.Series, dtype: str) -> pd.Series:
    try:
        return column.astype(dtype)
    except (OverflowError, TypeError, ValueError):
        # a flagged out-of-range value beyond int64 (motor1 = 1e30): keep it, as a float
        return pd.to_numeric(column, errors="coerce").astype("float64")
