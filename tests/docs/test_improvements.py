"""The improvement plan follows the figures: other reports give another plan."""

from __future__ import annotations

import json
from pathlib import Path

from fmslab.bench.results import load_reports
from fmslab.docs.improvements import MEASURE_COMMANDS, improvement_plan, plan_frame
from fmslab.requirements import assessment_frame, load_requirements, measurements_from_reports


def scenario(name: str, offered: int, stream_cpu: float, collector_cpu: float, **extra) -> dict:
    report = {
        "kind": "scenario", "scenario": name, "short": False, "devices": 50, "interval_s": 1,
        "duration_s": 60, "offered": offered, "collected": offered, "stored": offered, "lost": 0,
        "duplicates": 0, "success_rate": 1.0, "throughput_msg_s": offered / 60,
        "lake_bytes": offered * 400,
        "latency_s": {"p50": 1.0, "p95": 2.0, "p99": 2.5, "max": 3.0, "count": offered},
        "components": {
            "api": {"cpu_s": 3.0, "pss_peak_mb": 90.0},
            "collector": {"cpu_s": collector_cpu, "pss_peak_mb": 80.0},
            "broker": {"cpu_s": 2.0, "pss_peak_mb": 40.0},
            "stream": {"cpu_s": stream_cpu, "pss_peak_mb": 900.0},
        },
        "ceiling": {"client": "confluent-kafka", "msg_s": 20000.0},
        "fraction_of_ceiling": 0.1, "baseline": {"method": "one send per reading", "msg_s": 50.0},
        "vs_baseline": 4.0,
    }  # fmt: skip
    return {**report, **extra}


def fault(name: str, recover: float | None, availability: float = 0.97) -> dict:
    return {
        "kind": "fault", "fault": name, "short": False, "accepted": 100, "stored": 100,
        "lost": 0, "duplicates": 0, "reconciled": 0, "detect_s": 1.0, "recover_s": recover,
        "availability": availability, "health_samples": 60,
        "told": {"log_lines": [], "incidents": {"HIGH": 1}},
    }  # fmt: skip


def _plan(tmp_path: Path, reports: list[dict]) -> list:
    tmp_path.mkdir(parents=True, exist_ok=True)
    for r in reports:
        name = r.get("scenario") or r.get("fault")
        (tmp_path / f"{r['kind']}-{name}.json").write_text(json.dumps(r))
    loaded = load_reports(tmp_path)
    measured = measurements_from_reports(loaded)
    return improvement_plan(loaded, assessment_frame(load_requirements(), measured), measured)


def test_no_reports_says_which_commands_measure_them(tmp_path: Path) -> None:
    (only,) = improvement_plan(load_reports(tmp_path / "none"))
    assert only.area == "measure first"
    assert all(command in only.action for command in MEASURE_COMMANDS)
    # Short (CI) runs are no basis for a plan either.
    assert improvement_plan([scenario("normal", 50, 1, 1, short=True)])[0].area == "measure first"


def test_the_plan_cites_the_figures_it_rests_on(tmp_path: Path) -> None:
    items = _plan(
        tmp_path,
        [
            scenario("normal", 300, 20.0, 4.0),
            scenario("stress", 3000, 140.0, 25.0),
            fault("broker-restart", 8.5),
            fault("stream-kill", 31.0, availability=0.9),
        ],
    )
    by_area = {item.area: item for item in items}
    cpu = by_area["CPU per component"]
    assert cpu.evidence == "scenario-stress.json: components.stream.cpu_s"
    assert "140.0 CPU s" in cpu.finding and f"{round(100 * 140 / 170)} %" in cpu.finding
    assert "trigger interval" in cpu.action
    assert by_area["memory per component"].evidence.endswith("components.stream.pss_peak_mb")
    assert by_area["recovery"].evidence == "fault-stream-kill.json: recover_s"
    assert "31.0 s" in by_area["recovery"].finding and "of 2 faults" in by_area["recovery"].finding
    assert "90.0 %" in by_area["availability"].finding
    ceiling = by_area["broker ceiling"]
    assert "10.0 %" in ceiling.finding and ceiling.priority == 3
    # Every NFR the reports do not measure is named, with the command that would.
    unmeasured = [i.evidence for i in items if "not measured" in i.finding]
    assert "NFR-002" not in unmeasured and "NFR-001" not in unmeasured
    assert [i.priority for i in items] == sorted(i.priority for i in items)
    assert list(plan_frame(items).columns) == ["priority", "area", "evidence", "finding", "action"]


def test_other_figures_give_another_plan(tmp_path: Path) -> None:
    items = _plan(
        tmp_path,
        [
            # The collector dominates, the broker is near its ceiling, a reading was lost and
            # p95 misses NFR-001's 30 s.
            scenario(
                "peak", 2000, 10.0, 60.0, lost=1, stored=1999, success_rate=0.9995,
                fraction_of_ceiling=0.85,
                latency_s={"p50": 20.0, "p95": 45.0, "p99": 50.0, "max": 60.0, "count": 1999},
            ),
        ],
    )  # fmt: skip
    areas = [item.area for item in items]
    assert areas[:3].count("exact counts") == 1 and "recovery" not in areas
    cpu = next(i for i in items if i.area == "CPU per component")
    assert cpu.evidence.endswith("components.collector.cpu_s") and "concurrency" in cpu.action
    ceiling = next(i for i in items if i.area == "broker ceiling")
    assert ceiling.priority == 1 and "85.0 %" in ceiling.finding
    failed = next(i for i in items if i.evidence == "NFR-001")
    assert failed.priority == 1 and "45.0 s" in failed.finding and "< 30 s" in failed.finding
