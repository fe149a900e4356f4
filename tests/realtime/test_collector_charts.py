"""Readings per device: counted, sorted, charted."""

from __future__ import annotations

import matplotlib

from fmslab.collector.charts import plot_readings_per_device, readings_per_device

matplotlib.use("Agg")


def test_counts_are_sorted_by_device_and_skip_readings_without_an_int_device() -> None:
    readings = [{"DeviceId": 3}, {"DeviceId": 1}, {"DeviceId": 3}, {"DeviceId": "2"}, {}]
    readings.append({"DeviceId": True})  # a bool is not a DeviceId
    counts = readings_per_device(readings)
    assert counts == {1: 1, 3: 2}
    assert list(counts) == [1, 3]


def test_chart_has_one_bar_per_device_and_the_expected_line() -> None:
    fig = plot_readings_per_device({1: 6, 2: 5, 3: 7}, expected=6.0)
    ax = fig.axes[0]
    assert [bar.get_height() for bar in ax.patches] == [6, 5, 7]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "2", "3"]
    assert [tuple(line.get_ydata()) for line in ax.get_lines()] == [(6.0, 6.0)]
    assert "expected (6)" in [t.get_text() for t in ax.get_legend().get_texts()]
