"""The original course's typed figures beside the figures our full runs measured (chapter 10).

`seed_comparison(reports, seed)` answers each of the seed's questions (throughput, end-to-end
latency, availability, data quality, each scenario's success) from the full (not short) scenario
and fault reports; where no report holds the figure, the "ours" column names the command that
measures it, never a stand-in figure.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from fmslab.bench.results import best_clean_run

Reports = list[dict[str, Any]]


def _full(reports: Reports, kind: str, name: str | None = None) -> list[dict[str, Any]]:
    key = "scenario" if kind == "scenario" else "fault"
    return [
        r
        for r in reports
        if r.get("kind") == kind and not r.get("short") and name in (None, r.get(key))
    ]


def _throughput(reports: Reports) -> str | None:
    """NFR-002's figure: the highest stored rate of a full run that lost nothing."""
    best = best_clean_run(_full(reports, "scenario"))
    if best is None:
        return None
    return f"{best['throughput_msg_s']:g} msg/s stored ({best['scenario']}, nothing lost)"


def _latency(reports: Reports) -> str | None:
    normal = _full(reports, "scenario", "normal")
    p95 = normal[0]["latency_s"].get("p95") if normal else None
    return None if p95 is None else f"p95 {p95:g} s (normal)"


def _availability(reports: Reports) -> str | None:
    """Ours is per fault window (health checks sampled during each fault), not a month's uptime:
    the best and the worst window, each named."""
    faults = [r for r in _full(reports, "fault") if r.get("availability") is not None]
    if not faults:
        return None
    best = max(faults, key=lambda r: r["availability"])
    worst = min(faults, key=lambda r: r["availability"])
    return (
        f"per fault window: {100 * best['availability']:.2f} % ({best['fault']}) to "
        f"{100 * worst['availability']:.2f} % ({worst['fault']})"
    )


def _success(name: str) -> Callable[[Reports], str | None]:
    def figure(reports: Reports) -> str | None:
        found = _full(reports, "scenario", name)
        return f"{100 * found[0]['success_rate']:.2f} %" if found else None

    return figure


def _row(question: str, seed_text: str, ours: str | None, command: str) -> dict[str, str]:
    return {
        "question": question,
        "seed reported": seed_text,
        "ours (measured)": ours if ours is not None else f"not run yet: {command}",
        "measured by": command,
    }


def seed_comparison(reports: Reports, seed: dict[str, Any]) -> pd.DataFrame:
    """One row per figure the seed reported: its typed text, ours from the full-run `reports`
    (or which command measures it), and the command."""
    rows = [
        _row(
            "throughput",
            seed["throughput_msg_s"]["text"],
            _throughput(reports),
            "fmslab bench scenario NAME",
        ),
        _row(
            "end-to-end latency",
            seed["latency_end_to_end_s"]["text"],
            _latency(reports),
            "fmslab bench scenario normal",
        ),
        _row(
            "availability",
            seed["availability_pct"]["text"],
            _availability(reports),
            "fmslab faults run NAME",
        ),
        _row(
            "data quality",
            seed["data_quality_pct"]["text"],
            "not in the load reports: the quality zone's score per batch (chapter 08)",
            "fmslab run",
        ),
    ]
    for name, scenario in seed["scenarios"].items():
        text = f"{scenario['success_pct']:g} % success ({scenario['devices']} devices)"
        rows.append(
            _row(
                f"{name} success",
                text,
                _success(name)(reports),
                f"fmslab bench scenario {name}",
            )
        )
    return pd.DataFrame(rows).set_index("question")
