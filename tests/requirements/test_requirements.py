"""The requirements specification as data, and NFR targets as pass/fail checks."""

from __future__ import annotations

import pytest

from fmslab.requirements import (
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
