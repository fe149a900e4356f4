"""A data fault is detected when the stream job processed its first record (from the lake's
processed_at), however late the runner looks."""

import pandas as pd

from fmslab.faults.data_faults import _detected_at


def test_detection_is_the_first_processed_at_after_the_injection() -> None:
    wall = pd.Timestamp("2026-12-01T10:00:00Z").timestamp()
    frame = pd.DataFrame(
        {"processed_at": pd.to_datetime(["2026-12-01T10:00:07.0Z", "2026-12-01T10:00:03.5Z"])}
    )
    assert _detected_at(frame, injected=100.0, wall=wall) == 103.5  # 3.5 s after injection


def test_no_record_processed_means_not_detected() -> None:
    assert _detected_at(pd.DataFrame({"processed_at": []}), injected=1.0, wall=0.0) is None
