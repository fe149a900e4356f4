"""The requirements specification as data, and NFR targets as pass/fail checks."""

from __future__ import annotations

import pytest

from fmslab.requirements import (
    Measurement,
    assess,
    assessment_frame,
    functional_frame,
    load_requirements,
    meets_target,
    non_functional_frame,
)


@pytest.fixture(scope="module")
def spec() -> dict:
    return load_requirements()


def test_ids_follow_the_original_specification(spec):
    assert [fr["id"] for fr in spec["functional_requirements"]] == [
        f"FR-{n:03d}" for n in range(1, 7)
    ]
    assert [nfr["id"] for nfr in spec["non_functional_requirements"]] == [
        f"NFR-{n:03d}" for n in range(1, 10)
    ]
    assert [us["id"] for us in spec["user_stories"]] == ["US-001", "US-002", "US-003"]


def test_every_nfr_says_how_it_is_measured(spec):
    for nfr in spec["non_functional_requirements"]:
        target = nfr["target"]
        assert target["text"] and target["metric"] and nfr["measured_by"], nfr["id"]
        assert 1 <= nfr["chapter"] <= 13
        if target["op"] == "review":
            assert target["value"] is None
        else:
            assert target["op"] in ("<", "<=", ">", ">=") and target["value"] > 0, nfr["id"]


def test_frames_have_one_row_per_requirement(spec):
    assert list(functional_frame(spec).index) == [f["id"] for f in spec["functional_requirements"]]
    nfrs = non_functional_frame(spec)
    assert len(nfrs) == 9 and nfrs.loc["NFR-001", "target"] == "< 30 s"


def test_meets_target_compares_with_the_targets_operator(spec):
    by_id = {nfr["id"]: nfr["target"] for nfr in spec["non_functional_requirements"]}
    assert meets_target(by_id["NFR-001"], 25.0) == "pass"
    assert meets_target(by_id["NFR-001"], 30.0) == "fail"  # strictly below 30 s
    assert meets_target(by_id["NFR-002"], 47.0) == "fail"  # the seed's reported 47 msg/s
    assert meets_target(by_id["NFR-003"], 99.5) == "pass"
    assert meets_target(by_id["NFR-002"], None) == "not measured"
    assert meets_target(by_id["NFR-008"], 1.0) == "review"
    with pytest.raises(ValueError, match="unknown comparison"):
        meets_target({"text": "about 5", "op": "~", "value": 5}, 5.0)


def _nfr(spec, nfr_id):
    return next(n for n in spec["non_functional_requirements"] if n["id"] == nfr_id)


def test_only_the_figure_a_target_names_can_pass_it(spec):
    latency = _nfr(spec, "NFR-001")
    end_to_end = Measurement("end-to-end latency p95", 2.5, "s", "fmslab bench")
    assert assess(latency, end_to_end) == "pass"
    assert assess(latency, Measurement("end-to-end latency p95", 31.0, "s")) == "fail"
    # One HTTP request is a lower bound on latency, not the figure: it settles nothing.
    one_hop = Measurement("one HTTP request p95", 0.002, "s", "50 GET requests")
    assert assess(latency, one_hop) == "not measured here (chapter 10)"
    # The right metric in another unit is not compared either (2,500 ms is not 2,500 s).
    assert assess(latency, Measurement("end-to-end latency p95", 2500, "ms")) == (
        "not measured here (chapter 10)"
    )
    assert assess(latency, None) == "not measured here (chapter 10)"
    durability = _nfr(spec, "NFR-007")
    configured = Measurement("configured replication (data/topics.yaml)", 2, "replicas")
    assert assess(durability, configured) == f"not measured here (chapter {durability['chapter']})"
    assert assess(_nfr(spec, "NFR-008"), end_to_end) == "review"


def test_assessment_frame_shows_what_was_measured_and_never_passes_a_stand_in(spec):
    seen = {
        "NFR-001": Measurement("one HTTP request p95", 0.002, "s", "50 GET requests"),
        "NFR-002": Measurement("consumer throughput", 120.0, "msg/s", "fmslab bench"),
    }
    frame = assessment_frame(spec, seen)
    assert len(frame) == 9
    assert frame.loc["NFR-001", "result"] == "not measured here (chapter 10)"
    assert frame.loc["NFR-001", "measured here"] == "one HTTP request p95 (50 GET requests)"
    assert frame.loc["NFR-002", "result"] == "pass"
    assert frame.loc["NFR-003", "measured here"] == ""
    assert set(frame.loc[["NFR-008", "NFR-009"], "result"]) == {"review"}
