"""A scenario's report in the contract's shape: counts, latency, components, targets, verdicts."""

from __future__ import annotations

import os
from typing import Any

from fmslab.measure import summarize

SUM_KEYS = ("offered", "collected", "stored", "lost", "duplicates", "lake_bytes")
STEP_TARGET_S = 60.0
TARGETS: dict[str, dict[str, float]] = {
    "every": {"success_rate": 1.0, "lost": 0, "duplicates": 0},
    "scale": {"latency_p95_s": 3.0},
    "max": {"max_sustained_msg_s": 5000, "step_s": STEP_TARGET_S, "latency_p95_s": 5.0},
}


def _targets(name: str) -> dict[str, float]:
    return {**TARGETS["every"], **TARGETS.get(name, {})}


def verdicts(report: dict[str, Any]) -> dict[str, bool]:
    """Whether the report meets each of its targets (only on the figure the target names)."""
    targets = report["targets"]
    met = {
        "success_rate": report["success_rate"] >= targets["success_rate"],
        "no_loss": report["lost"] == 0,
        "no_duplicates": report["duplicates"] == 0,
    }
    p95 = report["latency_s"]["p95"]
    if report["scenario"] == "scale":
        met["latency_p95"] = p95 is not None and p95 <= targets["latency_p95_s"]
    if report["scenario"] == "max":
        met["max_sustained"] = (
            report["max_sustained_msg_s"] >= targets["max_sustained_msg_s"]
            and report["duration_s"] >= targets["step_s"]
        )
    return met


def _ratio(value: float, base: float) -> float | None:
    return round(value / base, 6) if base else None


def _max_fields(steps: list[dict[str, Any]]) -> dict[str, Any]:
    rows = [
        {
            "rate_msg_s": s["rate_msg_s"],
            "achieved_msg_s": s["achieved_msg_s"],
            "p95_s": s["latency_s"]["p95"],
            "lost": s["lost"],
            "duplicates": s["duplicates"],
            "devices": s["devices"],
            "interval_s": s["interval_s"],
            "sustained": s["sustained"],
        }
        for s in steps
    ]
    sustained = [s["rate_msg_s"] for s in steps if s["sustained"]]
    return {"steps": rows, "max_sustained_msg_s": max(sustained, default=0.0)}


def _throughput(name: str, steps: list[dict[str, Any]]) -> float:
    if name != "max":
        return steps[0]["throughput_msg_s"]
    sustained = [s["achieved_msg_s"] for s in steps if s["sustained"]]
    return max(sustained or [s["achieved_msg_s"] for s in steps])


def _notes(name: str, steps: list[dict[str, Any]], components: dict[str, Any]) -> str:
    busiest = max(components, key=lambda c: components[c]["cpu_s"])
    wall = sum(s["wall_s"] for s in steps)
    share = components[busiest]["cpu_s"] / wall if wall else 0.0
    text = (
        f"Real path: simulator over HTTP -> collector -> broker -> Spark -> lake. Latency is "
        f"collected_at -> first readable in the lake (looked at every 0.25 s, 1 s trigger). "
        f"The busiest component was the {busiest}: {components[busiest]['cpu_s']} CPU-s over "
        f"{wall:.0f} s of load ({share:.0%} of one core; the machine has {os.cpu_count()}). "
        f"throughput_msg_s is the stored rate, bounded by the offered rate: fraction_of_ceiling "
        f"and vs_baseline compare it with the broker's ceiling and the send().get() baseline."
    )
    if name == "max":
        text += (
            " A step is sustained when nothing is lost or duplicated, p95 <= 5 s and the "
            "collector achieved >= 95 % of the offered rate over the step; latency_s covers all "
            "steps."
        )
    return text


def build_report(
    spec: Any,
    short: bool,
    steps: list[dict[str, Any]],
    components: dict[str, dict[str, float]],
    ceiling: dict[str, Any],
    baseline: dict[str, Any],
    *,
    started_at: str,
    load_before: float,
) -> dict[str, Any]:
    """The report of a finished scenario (the keys of the report contract, and a few more)."""
    totals = {key: sum(s[key] for s in steps) for key in SUM_KEYS}
    latencies = [value for s in steps for value in s["latencies"]]
    throughput = _throughput(spec.name, steps)
    report: dict[str, Any] = {
        "kind": "scenario",
        "scenario": spec.name,
        "description": spec.description,
        "short": short,
        "devices": steps[-1]["devices"],
        "interval_s": steps[-1]["interval_s"],
        "duration_s": round(steps[0]["polls"] * steps[0]["interval_s"], 3),
        **totals,
        "success_rate": round(totals["stored"] / totals["offered"], 6)
        if totals["offered"]
        else 0.0,
        "throughput_msg_s": throughput,
        "latency_s": summarize(latencies),
        "components": components,
        "ceiling": ceiling,
        "fraction_of_ceiling": _ratio(throughput, ceiling["msg_s"]),
        "baseline": baseline,
        "vs_baseline": _ratio(throughput, baseline["msg_s"]),
        "targets": _targets(spec.name),
        "machine": {"cpus": os.cpu_count(), "load_average_1m": round(load_before, 2)},
        "load_average_1m_after": round(os.getloadavg()[0], 2),
        "started_at": started_at,
        "wall_s": round(sum(s["wall_s"] for s in steps), 1),
        "notes": _notes(spec.name, steps, components),
    }
    if spec.name == "max":
        report.update(_max_fields(steps))
    report["meets_targets"] = verdicts(report)
    report["latency_histogram"] = histogram(latencies)  # the chart's distribution
    return report


def histogram(values: list[float], bins: int = 40) -> dict[str, list[float]]:
    """`{edges_s, counts}`: `bins` equal bins from 0 to the largest value."""
    top = max(values, default=0.0) or 1.0
    width = top / bins
    counts = [0] * bins
    for value in values:
        counts[min(bins - 1, int(value / width))] += 1
    return {"edges_s": [round(i * width, 4) for i in range(bins + 1)], "counts": counts}
