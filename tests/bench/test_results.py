"""The report tables and the NFR figures read from scenario and fault reports."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from fmslab.bench.results import (
    ReportError,
    fault_table,
    load_reports,
    scenario_table,
    seed_figures,
)
from fmslab.requirements import assess, load_requirements, measurements_from_reports


def _scenario(name: str, devices: int, p95: float, rate: float, **extra: object) -> dict:
    report = {
        "kind": "scenario",
        "scenario": name,
        "short": False,
        "devices": devices,
        "interval_s": 1,
        "duration_s": 60,
        "offered": 600,
        "collected": 600,
        "stored": 600,
        "lost": 0,
        "duplicates": 0,
        "success_rate": 1.0,
        "throughput_msg_s": rate,
        "lake_bytes": 600 * 500,
        "latency_s": {"p50": p95 / 2, "p95": p95, "p99": p95 + 0.5, "max": p95 + 1, "count": 600},
        "fraction_of_ceiling": 0.25,
        "vs_baseline": 3.0,
    }
    report.update(extra)
    return report


def _fault(name: str, recover: float | None, short: bool = False) -> dict:
    return {
        "kind": "fault",
        "fault": name,
        "short": short,
        "accepted": 100,
        "stored": 100,
        "lost": 0,
        "duplicates": 0,
        "reconciled": 4,
        "detect_s": 1.5,
        "recover_s": recover,
        "availability": 0.95,
        "told": {"log_lines": ["broker unreachable"], "incidents": {"ERROR": 2, "WARNING": 1}},
    }


def _write(folder: Path, reports: list[dict]) -> Path:
    folder.mkdir(exist_ok=True)
    for r in reports:
        name = r.get("scenario") or r.get("fault")
        (folder / f"{r['kind']}-{name}.json").write_text(json.dumps(r), encoding="utf-8")
    return folder


def test_tables_keep_the_course_order_and_read_every_figure(tmp_path: Path) -> None:
    folder = _write(
        tmp_path / "r",
        [
            _scenario("stress", 50, 2.0, 50.0, targets={"success_rate": 1.0, "latency_p95_s": 3.0}),
            _scenario("normal", 5, 1.0, 0.5),
            _fault("stream-kill", 12.0),
            _fault("api-down", None),
        ],
    )
    scenarios = scenario_table(folder)
    assert list(scenarios.index) == ["normal", "stress"]
    assert scenarios.loc["stress", "p95 (s)"] == 2.0
    assert scenarios.loc["normal", "success %"] == 100.0
    assert scenarios.loc["stress", "of broker ceiling %"] == 25.0
    assert scenarios.loc["stress", "p95 target (s)"] == 3.0  # from the report's targets
    assert pd.isna(scenarios.loc["normal", "p95 target (s)"])  # no latency target
    faults = fault_table(folder)
    assert list(faults.index) == ["api-down", "stream-kill"]
    assert faults.loc["stream-kill", "incidents"] == "ERROR 2, WARNING 1"
    assert faults.loc["api-down", "availability %"] == 95.0


def test_no_folder_gives_empty_tables_and_a_broken_file_is_named(tmp_path: Path) -> None:
    assert scenario_table(tmp_path / "none").empty
    assert fault_table(tmp_path / "none").empty
    (tmp_path / "scenario-peak.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ReportError, match="scenario-peak.json"):
        load_reports(tmp_path)
    (tmp_path / "scenario-peak.json").write_text('{"scenario": "peak"}', encoding="utf-8")
    with pytest.raises(ReportError, match="no `kind`"):
        load_reports(tmp_path)


def test_nfr_figures_come_from_full_runs_only() -> None:
    reports = [
        _scenario("normal", 5, 1.0, 0.5),
        _scenario("scale", 1000, 2.5, 990.0),
        _scenario("max", 1000, 4.0, 3000.0, max_sustained_msg_s=2800.0),
        _scenario("peak", 20, 9.0, 4.0, short=True),  # a short run: not a figure for an NFR
        _fault("broker-restart", 20.0),
        _fault("collector-kill", 7.0),
        _fault("stream-kill", 400.0, short=True),
    ]
    found = measurements_from_reports(reports)
    assert found["NFR-001"].value == 4.0 and "max" in found["NFR-001"].how
    # the stored rate of a run that lost nothing; max's p95-bounded step rate is not NFR-002's
    assert found["NFR-002"].value == 3000.0 and "(max)" in found["NFR-002"].how
    assert found["NFR-003"].value == 100.0
    assert found["NFR-004"].value == 1000
    assert found["NFR-005"].value == round(3000.0 * 500 * 86_400 / 1e9, 2)
    assert found["NFR-006"].value == 20.0
    spec = {n["id"]: n for n in load_requirements()["non_functional_requirements"]}
    verdicts = {key: assess(spec[key], m) for key, m in found.items()}
    assert verdicts == dict.fromkeys(found, "pass")
    lossy = _scenario("stress", 50, 2.0, 50.0, lost=3, success_rate=0.995)
    found = measurements_from_reports([lossy])
    assert "NFR-004" not in found and found["NFR-003"].value == 99.5
    assert "NFR-002" not in found  # a run that lost readings gives no throughput figure
    assert assess(spec["NFR-003"], found["NFR-003"]) == "pass"
    assert measurements_from_reports([]) == {}


def test_the_seed_figures_are_the_courses_typed_ones() -> None:
    seed = seed_figures()
    assert seed["throughput_msg_s"]["value"] == 47
    assert [seed["scenarios"][k]["success_pct"] for k in ("normal", "peak", "stress")] == [
        99.5,
        94.2,
        78.5,
    ]
