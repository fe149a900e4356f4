"""The improvement plan, derived by rules from the measured reports (never written by hand).

Each rule looks at one kind of figure and, when it says something, returns an item that names
the figure it rests on (report file and key), what it shows and what to do next:

- loss or duplicates in any run (the pipeline's first promise is exact counts);
- the NFR verdicts: a failed requirement, and one that no report measured yet;
- the heaviest scenario's busiest component by CPU seconds and by peak memory (PSS);
- the pipeline's throughput as a fraction of the broker's own ceiling (where the bottleneck is);
- the slowest recovery of the fault runs, and the lowest availability.

With no reports, the plan is one item: the commands that measure them. The NFR verdicts come
from `fmslab.requirements` (`measurements_from_reports`, `assessment_frame`): they are passed
in, so this module stays below the requirements layer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

MEASURE_COMMANDS = ("fmslab bench scenario normal|peak|stress|scale|max", "fmslab faults run NAME")
# What to try first when a component dominates the heaviest run (why: where its time goes).
COMPONENT_ACTIONS = {
    "stream": "raise the trigger interval or maxOffsetsPerTrigger so each micro-batch carries "
    "more records (Spark's per-batch overhead dominates small batches)",
    "collector": "raise the collector's concurrency or batch the produce calls (linger, "
    "compression) so fewer round trips carry the same readings",
    "broker": "add partitions or, on the stack, a broker; check the producers' compression",
    "api": "the simulator is the load generator: give it its own core or fewer devices per "
    "process before reading the pipeline's figures",
}
# ... and when it holds the most memory (why: what its PSS is made of).
MEMORY_ACTIONS = {
    "stream": "the stream job's PSS is the JVM (1 GB driver heap embedded) plus its Python "
    "workers: on an 8 GB laptop lower spark.driver.memory or the cores of local[*] first",
}
CEILING_HIGH = 0.8  # above this the broker is the bottleneck
CEILING_LOW = 0.5  # below this the broker has room: the bottleneck is elsewhere


@dataclass(frozen=True)
class Improvement:
    """One item of the plan: the figure it rests on, what it shows, and what to do."""

    priority: int  # 1 first
    area: str
    evidence: str  # report file and key (or the NFR id)
    finding: str  # the figure, as measured
    action: str


def _name(report: Mapping[str, Any]) -> str:
    return str(report.get("scenario") or report.get("fault") or "?")


def _file(report: Mapping[str, Any]) -> str:
    return str(report.get("file") or f"{report.get('kind')}-{_name(report)}.json")


def _exactness(reports: Sequence[Mapping[str, Any]]) -> list[Improvement]:
    items = []
    for r in reports:
        lost, dup = r.get("lost") or 0, r.get("duplicates") or 0
        if lost or dup:
            items.append(
                Improvement(
                    1,
                    "exact counts",
                    f"{_file(r)}: lost, duplicates",
                    f"{_name(r)} lost {lost} and duplicated {dup} readings",
                    "find where they went with `fmslab reconcile` (landing archive vs lake) "
                    "before tuning anything else",
                )
            )
    return items


def _requirements(assessment: pd.DataFrame | None, measured: Mapping[str, Any]) -> list:
    if assessment is None:
        return []
    items = []
    for nfr, row in assessment.iterrows():
        result = str(row["result"])
        if result == "fail":
            seen = measured.get(nfr)
            figure = f"{seen.value} {seen.unit or ''}".strip() if seen else "?"
            items.append(
                Improvement(
                    1,
                    "requirements",
                    str(nfr),
                    f"{nfr} fails: {row['needs']} is {figure}, the target is {row['target']}",
                    f"work on what {nfr} measures first: {row['measured in full by']}",
                )
            )
        elif result.startswith("not measured"):
            items.append(
                Improvement(
                    3,
                    "requirements",
                    str(nfr),
                    f"{nfr} ({row['needs']}, target {row['target']}) is not measured by any report",
                    f"measure it: {row['measured in full by']}",
                )
            )
    return items


def _heaviest(scenarios: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    loaded = [r for r in scenarios if r.get("components")]
    return max(loaded, key=lambda r: r.get("offered") or 0) if loaded else None


def _components(scenarios: Sequence[Mapping[str, Any]]) -> list[Improvement]:
    heaviest = _heaviest(scenarios)
    if heaviest is None:
        return []
    parts = heaviest["components"]
    items = []
    rules = (
        ("cpu_s", "CPU s", "CPU", COMPONENT_ACTIONS),
        ("pss_peak_mb", "MB", "memory", MEMORY_ACTIONS),
    )
    for key, unit, what, actions in rules:
        figures = {name: (c.get(key) or 0) for name, c in parts.items()}
        top = max(figures, key=lambda name: figures[name])
        total = sum(figures.values()) or 1
        share = round(100 * figures[top] / total)
        items.append(
            Improvement(
                2,
                f"{what} per component",
                f"{_file(heaviest)}: components.{top}.{key}",
                f"in {_name(heaviest)} (the heaviest scenario, {heaviest.get('offered')} readings "
                f"offered) the {top} used the most {what}: {figures[top]} {unit}, "
                f"{share} % of the components' total",
                actions.get(top, f"profile the {top}'s {what} first"),
            )
        )
    return items


def _ceiling(scenarios: Sequence[Mapping[str, Any]]) -> list[Improvement]:
    rated = [r for r in scenarios if r.get("fraction_of_ceiling") is not None]
    if not rated:
        return []
    top = max(rated, key=lambda r: r["fraction_of_ceiling"])
    used = round(100 * top["fraction_of_ceiling"], 1)
    if top["fraction_of_ceiling"] >= CEILING_HIGH:
        priority, action = 1, COMPONENT_ACTIONS["broker"]
    elif top["fraction_of_ceiling"] < CEILING_LOW:
        priority = 3
        action = "the broker has room: the limit is the collector or the stream job (see CPU)"
    else:
        priority, action = 2, "watch the broker: the next load step may reach its ceiling"
    return [
        Improvement(
            priority,
            "broker ceiling",
            f"{_file(top)}: fraction_of_ceiling",
            f"{_name(top)} used {used} % of the broker's own ceiling "
            f"({(top.get('ceiling') or {}).get('msg_s', '?')} msg/s), the most of any scenario",
            action,
        )
    ]


def _faults(faults: Sequence[Mapping[str, Any]]) -> list[Improvement]:
    items = []
    recovered = [r for r in faults if r.get("recover_s") is not None]
    if recovered:
        slow = max(recovered, key=lambda r: r["recover_s"])
        items.append(
            Improvement(
                2,
                "recovery",
                f"{_file(slow)}: recover_s",
                f"{_name(slow)} took {slow['recover_s']} s to recover, the slowest of "
                f"{len(recovered)} faults (detected after {slow.get('detect_s')} s)",
                "shorten what the restart waits for (health-check interval, Spark start-up, "
                "retry back-off) for this fault first",
            )
        )
    rated = [r for r in faults if r.get("availability") is not None]
    if rated:
        low = min(rated, key=lambda r: r["availability"])
        if low["availability"] < 1:
            items.append(
                Improvement(
                    2,
                    "availability",
                    f"{_file(low)}: availability",
                    f"availability fell to {round(100 * low['availability'], 1)} % during "
                    f"{_name(low)} ({low.get('health_samples', '?')} health samples)",
                    "restart the failed part automatically (a supervisor) so the gap is the "
                    "restart's length, not the operator's",
                )
            )
    return items


def improvement_plan(
    reports: Sequence[Mapping[str, Any]],
    assessment: pd.DataFrame | None = None,
    measured: Mapping[str, Any] | None = None,
) -> list[Improvement]:
    """The plan's items, most urgent first, each citing the figure it rests on.

    `reports` as `load_reports` returns them (full runs; short CI runs are left out),
    `assessment` and `measured` as `assessment_frame` and `measurements_from_reports` do.
    """
    full = [r for r in reports if not r.get("short")]
    if not full:
        return [
            Improvement(
                1,
                "measure first",
                "no full-run report",
                "no scenario or fault report to plan from",
                "run "
                + " and ".join(f"`{c}`" for c in MEASURE_COMMANDS)
                + " (`fmslab faults list` names the faults); each writes its report to reports/",
            )
        ]
    scenarios = [r for r in full if r.get("kind") == "scenario"]
    faults = [r for r in full if r.get("kind") == "fault"]
    items = [
        *_exactness(full),
        *_requirements(assessment, measured or {}),
        *_components(scenarios),
        *_ceiling(scenarios),
        *_faults(faults),
    ]
    return sorted(items, key=lambda item: item.priority)


def plan_frame(items: Sequence[Improvement]) -> pd.DataFrame:
    """The plan as a table (one row per item)."""
    import pandas as pd

    return pd.DataFrame([asdict(item) for item in items])
