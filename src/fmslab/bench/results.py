"""The measured runs' reports (`reports/scenario-*.json`, `reports/fault-*.json`) as tables.

`fmslab bench scenario NAME` and `fmslab faults run NAME` each write one JSON report; chapters 10
and 12 show them (the committed full runs live in `reports/reference/`) through these functions,
so no figure in a chapter is typed by hand. The keys read here are the reports' contract.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from fmslab.config import data_dir

SCENARIO_ORDER = ("normal", "peak", "stress", "scale", "max")
KINDS = ("scenario", "fault")


class ReportError(ValueError):
    """A report file that is not valid JSON or not a scenario/fault report."""


def _read(path: Path) -> dict[str, Any]:
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ReportError(f"{path.name}: not a readable JSON report ({exc})") from exc
    if not isinstance(report, dict) or report.get("kind") not in KINDS:
        raise ReportError(f"{path.name}: not a scenario or fault report (no `kind`)")
    report["file"] = path.name
    return report


def load_reports(folder: str | Path, kind: str | None = None) -> list[dict[str, Any]]:
    """Every scenario and fault report in `folder` (of one `kind` if given), scenarios in the
    course's order then faults by name. A missing folder has none; a broken file raises."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    paths = sorted([*folder.glob("scenario-*.json"), *folder.glob("fault-*.json")])
    reports = [_read(p) for p in paths]
    reports = [r for r in reports if kind is None or r["kind"] == kind]

    def order(report: dict[str, Any]) -> tuple[int, int, str]:
        name = report.get("scenario") or report.get("fault") or ""
        rank = SCENARIO_ORDER.index(name) if name in SCENARIO_ORDER else len(SCENARIO_ORDER)
        return (KINDS.index(report["kind"]), rank, name)

    return sorted(reports, key=order)


def _pct(value: float | None) -> float | None:
    return None if value is None else round(100 * value, 2)


def _scenario_row(r: dict[str, Any]) -> dict[str, Any]:
    latency = r.get("latency_s") or {}
    return {
        "scenario": r["scenario"],
        "devices": r.get("devices"),
        "every (s)": r.get("interval_s"),
        "offered": r["offered"],
        "stored": r["stored"],
        "lost": r["lost"],
        "duplicated": r["duplicates"],
        "success %": _pct(r["success_rate"]),
        "msg/s": r["throughput_msg_s"],
        "p50 (s)": latency.get("p50"),
        "p95 (s)": latency.get("p95"),
        "p99 (s)": latency.get("p99"),
        "max (s)": latency.get("max"),
        "p95 target (s)": (r.get("targets") or {}).get("latency_p95_s"),
        "of broker ceiling %": _pct(r.get("fraction_of_ceiling")),
        "x baseline": r.get("vs_baseline"),
    }


def scenario_table(folder: str | Path) -> pd.DataFrame:
    """One row per scenario report: counts, success, throughput, latency percentiles and the
    comparison with the broker's ceiling and the one-send-per-reading baseline."""
    rows = [_scenario_row(r) for r in load_reports(folder, "scenario")]
    return pd.DataFrame(rows, columns=list(_scenario_row(_EMPTY_SCENARIO))).set_index("scenario")


def _fault_row(r: dict[str, Any]) -> dict[str, Any]:
    incidents = (r.get("told") or {}).get("incidents") or {}
    return {
        "fault": r["fault"],
        "accepted": r["accepted"],
        "stored": r["stored"],
        "lost": r["lost"],
        "duplicated": r["duplicates"],
        "reconciled": r.get("reconciled"),
        "detect (s)": r.get("detect_s"),
        "recover (s)": r.get("recover_s"),
        "availability %": _pct(r.get("availability")),
        "incidents": ", ".join(f"{k} {v}" for k, v in sorted(incidents.items())) or "none",
    }


def fault_table(folder: str | Path) -> pd.DataFrame:
    """One row per fault report: counts (after reconcile), detect and recover times,
    availability from the health checks sampled during the run, incidents by severity."""
    rows = [_fault_row(r) for r in load_reports(folder, "fault")]
    return pd.DataFrame(rows, columns=list(_fault_row(_EMPTY_FAULT))).set_index("fault")


def best_clean_run(scenarios: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Of these scenario reports, the one with the highest stored rate among those that lost
    and duplicated nothing (the consumer throughput NFR-002 and the seed's throughput ask for)."""
    clean = [r for r in scenarios if r["lost"] == 0 and r["duplicates"] == 0]
    return max(clean, key=lambda r: r["throughput_msg_s"]) if clean else None


def seed_figures(path: Path | None = None) -> dict[str, Any]:
    """The figures the original course reported by hand (`data/seed_results.yaml`)."""
    with open(path or data_dir() / "seed_results.yaml", encoding="utf-8") as handle:
        return yaml.safe_load(handle)


_EMPTY_SCENARIO = {
    "scenario": "",
    "offered": 0,
    "stored": 0,
    "lost": 0,
    "duplicates": 0,
    "success_rate": None,
    "throughput_msg_s": None,
}
_EMPTY_FAULT = {"fault": "", "accepted": 0, "stored": 0, "lost": 0, "duplicates": 0}
