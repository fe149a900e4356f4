"""The quality report of one batch: four dimensions against their targets, per-field detail.

Definitions (fractions 0..1; a dimension with nothing to measure is 1.0 with denominator 0):

- completeness = non-null values / expected values. Expected = every rule field of every record
  that is not a dropped duplicate; a line that is not a JSON object counts as all fields missing.
  A `-1` sentinel is a null.
- accuracy = values of the right type and inside their range / non-null values (same records).
- consistency = readings neither dropped as duplicates nor out of time order (earlier than the
  device's previous kept reading) / readings with a valid key (processed + alerts + dropped).
  Passes when the figure reaches its target and duplicates are at most `max_duplicate_ratio`
  of those readings.
- timeliness = readings passing every time check that applies to them / readings to which at
  least one applies (kept readings only). The checks: clock skew |time - collected_at| <= 60 s
  (against `now` when there is no collected_at); delay now - collected_at (or - time) <= 30 s,
  only when `now` is given; gap to the device's previous kept reading (collected_at, else time)
  within interval +/- 2 s, so a reading lost to quarantine shows as a 20 s gap. A device's
  first reading without collected_at and `now` is not checked.
- score = weighted mean of the four figures (equal weights by default).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd
from rich.table import Table

from fmslab.quality.routed import RoutedRecord
from fmslab.quality.rules import DIMENSIONS, ZONES, QualityRules

_COUNTERS = (
    "present",
    "missing",
    "sentinel",
    "type_errors",
    "out_of_range",
    "outliers",
    "interpolated",
    "defaulted",
    "nulled",
    "clipped",
    "flagged",
    "rejected",
)


@dataclass(frozen=True)
class Dimension:
    """One quality dimension: its figure, target, verdict and the counts behind the figure."""

    value: float
    target: float
    passed: bool
    numerator: int = 0
    denominator: int = 0
    detail: str = ""


@dataclass
class FieldStats:
    """What happened to one field across the batch."""

    present: int = 0  # non-null values received
    missing: int = 0  # absent, null or sentinel
    sentinel: int = 0  # of which the -1 "read failure" sentinel
    type_errors: int = 0
    out_of_range: int = 0
    outliers: int = 0
    interpolated: int = 0
    defaulted: int = 0
    nulled: int = 0  # INTERPOLATE with no previous value
    clipped: int = 0
    flagged: int = 0
    rejected: int = 0


@dataclass
class QualityReport:
    """The four dimensions, the overall score, zone counts and per-field detail of one batch."""

    dimensions: dict[str, Dimension]
    score: float
    fields: dict[str, FieldStats]
    zone_counts: dict[str, int]
    records: int
    alert_below: float = 0.70
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """True when every dimension meets its target."""
        return all(dim.passed for dim in self.dimensions.values())

    @property
    def alert(self) -> bool:
        """True when the score is below the alert threshold (a quality alert fires)."""
        return self.score < self.alert_below

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data."""
        return {
            "records": self.records,
            "score": self.score,
            "passed": self.passed,
            "alert": self.alert,
            "dimensions": {name: asdict(dim) for name, dim in self.dimensions.items()},
            "zone_counts": dict(self.zone_counts),
            "fields": {name: asdict(stats) for name, stats in self.fields.items()},
            **self.extra,
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per dimension: value, target, passed, numerator, denominator."""
        rows = [{"dimension": name, **asdict(dim)} for name, dim in self.dimensions.items()]
        return pd.DataFrame(rows).set_index("dimension")

    def fields_frame(self) -> pd.DataFrame:
        """One row per field with its counters."""
        return pd.DataFrame({name: asdict(s) for name, s in self.fields.items()}).T

    def to_markdown(self) -> str:
        """The dimensions as a Markdown table, then the score."""
        lines = ["| dimension | value | target | result |", "|---|---:|---:|---|"]
        for name, dim in self.dimensions.items():
            verdict = "pass" if dim.passed else "FAIL"
            lines.append(f"| {name} | {dim.value:.2%} | {dim.target:.0%} | {verdict} |")
        lines.append(f"\nOverall score: {self.score:.1%} ({self.records} records)")
        return "\n".join(lines)

    def table(self) -> Table:
        """A rich table of the four dimensions."""
        table = Table(title=f"Data quality: score {self.score:.1%}")
        for column in ("dimension", "value", "target", "counts", "result"):
            table.add_column(column, justify="left" if column == "dimension" else "right")
        for name, dim in self.dimensions.items():
            verdict = "[green]pass[/]" if dim.passed else "[red]FAIL[/]"
            counts = f"{dim.numerator}/{dim.denominator}"
            table.add_row(name, f"{dim.value:.2%}", f"{dim.target:.0%}", counts, verdict)
        return table

    def zone_table(self) -> Table:
        """A rich table of how many records went to each zone."""
        table = Table(title="Routing")
        table.add_column("zone")
        table.add_column("records", justify="right")
        for zone, count in self.zone_counts.items():
            table.add_row(zone, str(count))
        table.add_row("[bold]total[/]", f"[bold]{self.records}[/]")
        return table

    def __rich__(self) -> Table:
        return self.table()


def field_stats(
    routed: Sequence[RoutedRecord], names: Sequence[str], counts: Sequence[int] | None = None
) -> dict[str, FieldStats]:
    """Per-field counters over the records that are not dropped duplicates (each record
    `counts[i]` times when given)."""
    stats = {name: FieldStats() for name in names}
    for rec, times in zip(routed, counts or [1] * len(routed), strict=True):
        if rec.duplicate:
            continue
        for name, check in rec.checks.items():
            entry = stats[name]
            entry.present += check.present * times
            entry.missing += (not check.present) * times
            entry.sentinel += check.sentinel * times
            entry.type_errors += check.type_error * times
            entry.out_of_range += (not check.in_range) * times
            entry.outliers += check.outlier * times
            if check.action is not None:
                setattr(entry, check.action, getattr(entry, check.action) + times)
    return stats


def _ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else 1.0


def _dimension(rules: QualityRules, name: str, num: int, den: int, detail: str = "") -> Dimension:
    value = _ratio(num, den)
    target = rules.kpis.target(name)
    return Dimension(value, target, value >= target, num, den, detail)


def build_report(
    routed: Sequence[RoutedRecord], rules: QualityRules, counts: Sequence[int] | None = None
) -> QualityReport:
    """Compute the report of one batch of routed records (definitions in the module docstring).

    With `counts`, record i stands for `counts[i]` identical records (a micro-batch's rows
    grouped by what the report counts)."""
    names = list(rules.fields)
    weights = list(counts) if counts is not None else [1] * len(routed)
    pairs = list(zip(routed, weights, strict=True))
    stats = field_stats(routed, names, weights)
    kept = [(r, n) for r, n in pairs if not r.duplicate]
    expected = sum(n for _, n in kept) * len(names)
    present = sum(s.present for s in stats.values())
    accurate = sum(sum(c.accurate for c in r.checks.values()) * n for r, n in kept)
    keyed = [(r, n) for r, n in pairs if r.zone in ("processed", "alerts", "dropped")]
    keyed_count = sum(n for _, n in keyed)
    duplicates = sum(n for r, n in keyed if r.duplicate)
    disorder = sum(n for r, n in keyed if r.out_of_order)
    checked = [(r, n) for r, n in pairs if r.timely is not None]
    dup_ratio = _ratio(duplicates, keyed_count) if keyed_count else 0.0
    consistency = _dimension(
        rules,
        "consistency",
        keyed_count - duplicates - disorder,
        keyed_count,
        f"duplicates {duplicates}, out of order {disorder}",
    )
    if dup_ratio > rules.kpis.max_duplicate_ratio:
        consistency = Dimension(**{**asdict(consistency), "passed": False})
    timely = sum(n for r, n in checked if r.timely)
    dimensions = {
        "completeness": _dimension(rules, "completeness", present, expected),
        "accuracy": _dimension(rules, "accuracy", accurate, present),
        "consistency": consistency,
        "timeliness": _dimension(rules, "timeliness", timely, sum(n for _, n in checked)),
    }
    weight = {name: rules.kpis.weights.get(name, 1.0) for name in DIMENSIONS}
    total_weight = sum(weight.values()) or 1.0
    score = sum(dimensions[n].value * w for n, w in weight.items()) / total_weight
    zones = {zone: sum(n for r, n in pairs if r.zone == zone) for zone in ZONES}
    extra = {
        "duplicates": duplicates,
        "duplicate_ratio": dup_ratio,
        "out_of_order": disorder,
        "malformed": sum(n for r, n in pairs if r.malformed),
    }
    records = sum(weights)
    return QualityReport(
        dimensions, score, stats, zones, records, rules.kpis.alert_score_below, extra
    )
