"""The course's requirements specification (data/requirements.yaml) and NFR targets as checks.

The rule for a verdict: a requirement is "pass" or "fail" only when the figure its target names
(`target.metric`, in `target.unit`, produced as `measured_by` says) was measured and compared.
Any other figure, however close (one HTTP request is not end-to-end latency, a configured
replication factor is not a loss count), leaves it "not measured here (chapter N)": `assess`
enforces this, so a chapter cannot pass a requirement on a stand-in figure.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from fmslab.config import data_dir

if TYPE_CHECKING:
    import pandas as pd

_COMPARE = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


def load_requirements(path: Path | None = None) -> dict[str, Any]:
    """The requirements specification as a dict (functional, non-functional, quality, ...)."""
    path = path or data_dir() / "requirements.yaml"
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def functional_frame(spec: dict[str, Any]) -> pd.DataFrame:
    """Functional requirements, one row each, acceptance criteria joined by '; '."""
    import pandas as pd

    rows = [
        {
            "id": fr["id"],
            "area": fr["area"],
            "priority": fr["priority"],
            "description": fr["description"],
            "acceptance criteria": "; ".join(fr["acceptance_criteria"]),
        }
        for fr in spec["functional_requirements"]
    ]
    return pd.DataFrame(rows).set_index("id")


def non_functional_frame(spec: dict[str, Any]) -> pd.DataFrame:
    """Non-functional requirements with their target and how the course measures them."""
    import pandas as pd

    rows = [
        {
            "id": nfr["id"],
            "group": nfr["group"],
            "category": nfr["category"],
            "requirement": nfr["requirement"],
            "target": nfr["target"]["text"],
            "measured by": nfr["measured_by"],
            "chapter": nfr["chapter"],
        }
        for nfr in spec["non_functional_requirements"]
    ]
    return pd.DataFrame(rows).set_index("id")


def meets_target(target: dict[str, Any], measured: float | None) -> str:
    """'pass' or 'fail' for a measured figure; 'review' for targets no figure can settle;
    'not measured' when there is no figure yet."""
    op = target.get("op")
    if op == "review":
        return "review"
    if measured is None:
        return "not measured"
    if op not in _COMPARE:
        raise ValueError(f"unknown comparison {op!r} in target {target.get('text')!r}")
    return "pass" if _COMPARE[op](measured, target["value"]) else "fail"


@dataclass(frozen=True)
class Measurement:
    """A figure a run produced: which metric it is (a target's `metric`), its value and unit,
    and how it was produced (shown beside the verdict)."""

    metric: str
    value: float
    unit: str | None
    how: str = ""


def not_measured_here(nfr: dict[str, Any]) -> str:
    """The verdict of a requirement no figure here settles: `not measured here (chapter 10)`."""
    return f"not measured here (chapter {nfr['chapter']})"


def assess(nfr: dict[str, Any], measurement: Measurement | None) -> str:
    """'pass' / 'fail' when `measurement` is the figure the requirement's target names (same
    metric, same unit); 'review' for targets no figure can settle; otherwise
    `not measured here (chapter N)`, N being the chapter that measures it in full."""
    target = nfr["target"]
    if target.get("op") == "review":
        return "review"
    if measurement is None or (measurement.metric, measurement.unit) != (
        target["metric"],
        target.get("unit"),
    ):
        return not_measured_here(nfr)
    return meets_target(target, measurement.value)


def assessment_frame(spec: dict[str, Any], measurements: dict[str, Measurement]) -> pd.DataFrame:
    """One row per NFR: its target, the figure it needs, what was measured here (the
    measurement's metric and how, never its value: timings differ per run), and the verdict."""
    import pandas as pd

    rows = []
    for nfr in spec["non_functional_requirements"]:
        seen = measurements.get(nfr["id"])
        rows.append(
            {
                "id": nfr["id"],
                "target": nfr["target"]["text"],
                "needs": nfr["target"]["metric"],
                "measured here": f"{seen.metric} ({seen.how})" if seen and seen.how else "",
                "result": assess(nfr, seen),
                "measured in full by": f"ch. {nfr['chapter']}: {nfr['measured_by']}",
            }
        )
    return pd.DataFrame(rows).set_index("id")


def _full(reports: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [r for r in reports if r.get("kind") == kind and not r.get("short")]


def _worst_p95(scenarios: list[dict[str, Any]]) -> Measurement | None:
    timed = [r for r in scenarios if (r.get("latency_s") or {}).get("p95") is not None]
    if not timed:
        return None
    worst = max(timed, key=lambda r: r["latency_s"]["p95"])
    how = f"worst p95 of {len(timed)} load scenarios ({worst['scenario']})"
    return Measurement("end-to-end latency p95", worst["latency_s"]["p95"], "s", how)


def _throughput(scenarios: list[dict[str, Any]]) -> Measurement | None:
    """Messages consumed per second: the highest stored rate of a full scenario that lost and
    duplicated nothing (latency is NFR-001's, so `max`'s p95 bound does not enter here)."""
    from fmslab.bench.results import best_clean_run

    best = best_clean_run(scenarios)
    if best is None:
        return None
    how = f"highest stored rate of a scenario with nothing lost ({best['scenario']})"
    return Measurement("consumer throughput", best["throughput_msg_s"], "msg/s", how)


def _volume(scenarios: list[dict[str, Any]]) -> Measurement | None:
    sized = [r for r in scenarios if r.get("lake_bytes") and r.get("stored")]
    if not sized:
        return None
    best = max(sized, key=lambda r: r["throughput_msg_s"])
    per_day = best["throughput_msg_s"] * best["lake_bytes"] / best["stored"] * 86_400 / 1e9
    how = f"{best['scenario']}: throughput x lake bytes per reading, over a day"
    return Measurement("processable volume", round(per_day, 2), "GB/day", how)


def measurements_from_reports(reports: list[dict[str, Any]]) -> dict[str, Measurement]:
    """The NFR figures that full (not short) scenario and fault reports measure, by NFR id:
    latency p95 (NFR-001), throughput (002), success ratio (003), devices served without loss
    (004), volume per day (005) and recovery time (006). A figure no report holds is absent."""
    scenarios, faults = _full(reports, "scenario"), _full(reports, "fault")
    found: dict[str, Measurement | None] = {
        "NFR-001": _worst_p95(scenarios),
        "NFR-002": _throughput(scenarios),
        "NFR-005": _volume(scenarios),
    }
    if scenarios:
        worst = min(r["success_rate"] for r in scenarios)
        found["NFR-003"] = Measurement(
            "successful request ratio",
            round(100 * worst, 3),
            "%",
            "lowest success of the scenarios",
        )
    clean = [r["devices"] for r in scenarios if r["lost"] == 0 and r["success_rate"] >= 1]
    if clean:
        found["NFR-004"] = Measurement(
            "devices served", max(clean), "devices", "most devices of a scenario with no loss"
        )
    recovered = [r for r in faults if r.get("recover_s") is not None]
    if recovered:
        slowest = max(recovered, key=lambda r: r["recover_s"])
        how = f"slowest recovery of {len(recovered)} faults ({slowest['fault']})"
        found["NFR-006"] = Measurement("recovery time", slowest["recover_s"], "s", how)
    return {key: value for key, value in found.items() if value is not None}
