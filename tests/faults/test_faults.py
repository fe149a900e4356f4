"""Every fault once in its short form, in real processes, with exact counts.

Seven faults share one embedded pipeline (`run_faults`: one start-up, each fault in its own
window); `worker-kill` runs on its own pipeline whose stream job uses a standalone cluster. No
monkeypatching: signals to recorded pids, stopped processes, a lake zone replaced by a file.
For every fault: each accepted reading is stored once (or was a copy the rules dropped), none
lost after reconcile, none duplicated; then the fault-specific facts.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fmslab.faults import FAULTS, run_fault, run_faults
from fmslab.faults.runner import FaultError
from tests.jobs.conftest import settings_of
from tests.private_env import private_env

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1500)]

SHARED = [
    "stream-kill",
    "collector-kill",
    "broker-restart",
    "api-down",
    "malformed-flood",
    "bad-device",
    "lake-unwritable",
]
CONTRACT = {
    "kind", "fault", "short", "description", "accepted", "stored", "lost", "duplicates",
    "reconciled", "detect_s", "recover_s", "availability", "health_samples", "told",
    "duration_s", "machine", "started_at",
}  # fmt: skip


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """The reports of the seven shared faults (one pipeline), by name."""
    import os

    root = tmp_path_factory.mktemp("faults")
    env = private_env(root, columns=None)
    reports = run_faults(SHARED, short=True, settings=settings_of({**os.environ, **env}))
    for report in reports:  # the files say what the return value says
        written = json.loads((root / "reports" / f"fault-{report['fault']}.json").read_text())
        assert written == json.loads(json.dumps(report))
    return {r["fault"]: r for r in reports}


def assert_exact(report: dict) -> None:
    """The contract's keys; every accepted reading stored once or dropped as a copy; none lost."""
    assert set(report) >= CONTRACT, CONTRACT - set(report)
    assert report["kind"] == "fault" and report["short"] is True
    assert report["accepted"] > 0
    assert report["lost"] == 0, report
    assert report["duplicates"] == 0, report
    assert report["stored"] + report["dropped_copies"] == report["accepted"], report
    assert report["health_samples"] > 0
    assert 0 <= report["availability"] <= 1


def assert_outage(report: dict, *told: str) -> None:
    """A service really was down: seen by the health checks, detected, recovered, and told."""
    assert report["availability"] < 1, report["availability_by_service"]
    assert report["detect_s"] is not None and report["recover_s"] is not None
    assert sum(report["told"]["incidents"].values()) > 0
    lines = "\n".join(report["told"]["log_lines"]).lower()
    for text in told:  # "a|b": the service may say either, depending on when it noticed
        assert any(option in lines for option in text.split("|")), report["told"]["log_lines"]


@pytest.mark.parametrize("name", SHARED)
def test_every_accepted_reading_reaches_the_lake_once(shared, name) -> None:
    assert_exact(shared[name])


def test_stream_kill_replays_the_killed_batch_without_reconcile(shared) -> None:
    report = shared["stream-kill"]
    assert report["facts"]["killed_mid_batch"] and report["facts"]["killed_batch_replayed"]
    assert report["lost_before_reconcile"] == 0 and report["reconciled"] == 0
    assert_outage(report)
    assert report["availability_by_service"]["stream"] < 1


def test_collector_kill_loses_nothing_it_archived(shared) -> None:
    report = shared["collector-kill"]
    assert_outage(report)
    assert report["availability_by_service"]["collector"] < 1
    assert report["reconciled"] == report["lost_before_reconcile"]


def test_broker_restart_is_repaired_by_a_fresh_checkpoint_and_reconcile(shared) -> None:
    report = shared["broker-restart"]
    assert_outage(report, "fewer records than this query's checkpoint|the broker restarted")
    assert report["facts"]["stream_stopped_itself"]
    assert report["reconciled"] == report["lost_before_reconcile"]
    assert report["told"]["incidents"]["HIGH"] >= 1


def test_api_down_is_seen_and_recovered(shared) -> None:
    report = shared["api-down"]
    assert_outage(report)
    assert report["availability_by_service"]["api"] < 1
    assert report["facts"]["missed_slots"] > 0


def test_malformed_flood_is_quarantined_with_reasons(shared) -> None:
    report = shared["malformed-flood"]
    facts = report["facts"]
    assert facts["flood_quarantined"] == facts["flood_sent"] > 0
    assert facts["good_readings_flowed"]
    assert sum(report["quarantine_reasons"].values()) >= facts["flood_sent"]
    assert len(report["quarantine_reasons"]) >= 3, report["quarantine_reasons"]
    assert report["told"]["incidents"]["LOW"] >= facts["flood_sent"]
    assert report["detect_s"] is not None and report["recover_s"] is None


def test_bad_device_copies_are_dropped_and_none_is_stored_twice(shared) -> None:
    """Copies of a stored (DeviceId, time) are dropped; out-of-order and skewed times are FLAG
    rules (data/quality_rules.yaml), so those readings are stored with their reasons."""
    report = shared["bad-device"]
    assert report["dropped_copies"] > 0
    assert report["duplicates"] == 0 and report["lost"] == 0
    assert report["recover_s"] is None
    assert report["detect_s"] is not None  # a flagged reading was processed


def test_lake_unwritable_stops_the_stream_job_and_it_resumes(shared) -> None:
    report = shared["lake-unwritable"]
    assert report["facts"]["stream_stopped"]
    assert_outage(report, "not a directory")


def test_worker_kill_on_a_standalone_cluster(pipeline_env) -> None:
    report = run_fault("worker-kill", short=True, settings=settings_of(pipeline_env))
    assert_exact(report)
    assert report["facts"]["worker_had_executor"]
    assert report["detect_s"] is not None and report["recover_s"] is not None
    assert report["availability"] < 1, report["availability_by_service"]
    assert report["availability_by_service"]["workers"] < 1
    written = Path(pipeline_env["FMSLAB_REPORTS_DIR"]) / "fault-worker-kill.json"
    assert json.loads(written.read_text())["fault"] == "worker-kill"


def test_an_unknown_fault_is_named_with_the_known_ones() -> None:
    with pytest.raises(FaultError, match="unknown fault 'nope'; known: broker-restart"):
        run_fault("nope")
    assert len(FAULTS) == 8
