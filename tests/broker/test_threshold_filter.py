"""The filter's `sensor1_above` keeps readings strictly above the alert threshold (> 90 °C)."""

from __future__ import annotations

from fmslab.broker.consumers import reading_filter
from fmslab.streaming.udfs import load_thresholds


def test_sensor1_above_is_strict_and_skips_missing_values() -> None:
    threshold = load_thresholds().critical_above[0]
    assert threshold == 90.0  # the design's temperature alert
    above = reading_filter(sensor1_above=threshold)
    values = [threshold - 0.01, threshold, threshold + 0.01, -1, None, "hot"]
    assert [above({"sensor1": v}) for v in values] == [False, False, True, False, False, False]
    at_least = reading_filter(min_sensor1=threshold)
    assert at_least({"sensor1": threshold}) and not above({"sensor1": threshold})
    both = reading_filter(min_sensor1=91.0, sensor1_above=threshold)
    assert [both({"sensor1": v}) for v in (90.5, 91.0)] == [False, True]
