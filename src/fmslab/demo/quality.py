"""Step 6: data quality: the score of the stored batches and the reasons behind it."""

from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING

from fmslab.demo.step import Step

if TYPE_CHECKING:
    from fmslab.demo.running import Demo

TOP_REASONS = 5


def _kind(reason: str) -> str:
    """A reason without its details in parentheses (the values), so alike reasons count once."""
    return " ".join(re.sub(r"\([^()]*\)", "", reason).split())


def show(demo: Demo, number: int) -> Step:
    """Score and dimensions weighted by each batch's records; reasons of flagged readings."""
    from fmslab.jobs.progress import weighted_quality
    from fmslab.lake.records import read_zone
    from fmslab.lake.storage import open_lake
    from fmslab.quality.rules import load_rules

    step = Step.of(number, "quality")
    lake = open_lake(demo.settings)
    score, dimensions = weighted_quality(read_zone(lake, "quality"))
    step.add("quality score", "-" if score is None else f"{score:.1%}", key="score", raw=score)
    for name, value in dimensions.items():
        step.add(name, f"{value:.1%}", key=name, raw=value)
    step.figures["dimensions"] = dimensions
    reasons: Counter[str] = Counter()
    for zone in ("alerts", "quarantine"):
        frame = read_zone(lake, zone)
        if not frame.empty and "reasons" in frame.columns:
            for items in frame["reasons"]:
                reasons.update(_kind(str(r)) for r in (items if items is not None else []))
    step.add("reasons recorded", sum(reasons.values()), key="reasons_total")
    for reason, count in reasons.most_common(TOP_REASONS):
        step.rows.append((f"reason: {reason}", str(count)))
    step.figures["reasons"] = dict(reasons.most_common())
    timing = load_rules().timeliness
    if abs(demo.options.interval - timing.interval_seconds) > timing.interval_tolerance_seconds:
        step.notes.append(
            f"timeliness expects a reading every {timing.interval_seconds:g}"
            f"±{timing.interval_tolerance_seconds:g} s per device; the demo polls every "
            f"{demo.options.interval:g} s so that a failure shows within seconds, and the rules "
            "flag those gaps"
        )
    return step
