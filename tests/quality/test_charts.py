"""Chart helpers draw what the report says (headless Agg backend)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402

from fmslab.quality import check_readings  # noqa: E402
from fmslab.quality.charts import plot_dimensions, plot_distributions  # noqa: E402
from tests.quality.quality_crafting import reading  # noqa: E402


@pytest.fixture(scope="module")
def result():
    batch = [reading(device=1 + i % 2, t=10 * (i // 2), sensor1=70 + i % 13) for i in range(40)]
    batch += [reading(device=1, t=0), "junk"]  # a duplicate and a malformed line
    return check_readings(batch)


def test_plot_dimensions(result) -> None:
    fig, ax = plt.subplots()
    assert plot_dimensions(result.report, ax=ax) is ax
    bars = ax.patches
    dims = result.report.dimensions
    assert [b.get_height() for b in bars] == pytest.approx([d.value * 100 for d in dims.values()])
    colors = [to_hex(b.get_facecolor()) for b in bars]
    expected = ["#2e7d32" if d.passed else "#c62828" for d in dims.values()]
    assert colors == expected and len(set(colors)) == 2  # this batch both passes and fails
    targets = sorted(seg[0][1] for coll in ax.collections for seg in coll.get_segments())
    assert targets == pytest.approx(sorted(d.target * 100 for d in dims.values()))
    plt.close(fig)


def test_plot_dimensions_makes_its_own_axes(result) -> None:
    ax = plot_dimensions(result.report)
    assert len(ax.patches) == 4
    plt.close(ax.figure)


def test_plot_distributions(result) -> None:
    fig = plot_distributions(result.frame(), ["sensor1", "motor1"])
    assert [ax.get_title() for ax in fig.axes] == [
        "sensor1: temperature",
        "motor1: main motor speed",
    ]
    assert len(fig.axes[0].get_lines()) == 2  # the two IQR bounds
    plt.close(fig)
