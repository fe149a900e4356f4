"""The pure outlier helpers against hand-computed figures."""

from __future__ import annotations

import numpy as np
import pytest

from fmslab.quality import iqr_bounds, zscores


def test_iqr_bounds_hand_computed() -> None:
    # 1..9: Q1 = 3, Q3 = 7 (linear interpolation), IQR = 4 -> 3 - 6, 7 + 6
    assert iqr_bounds(range(1, 10)) == (-3.0, 13.0)
    assert iqr_bounds(range(1, 10), k=0.5) == (1.0, 9.0)
    # 1..4: Q1 = 1.75, Q3 = 3.25, IQR = 1.5
    assert iqr_bounds([4, 1, 3, 2]) == pytest.approx((-0.5, 5.5))


def test_iqr_bounds_empty_is_an_error() -> None:
    with pytest.raises(ValueError):
        iqr_bounds([])


def test_zscores_hand_computed() -> None:
    # mean 5, sample stddev sqrt(((3)^2 + 0 + 3^2) / 2) = 3
    assert zscores([2, 5, 8]) == pytest.approx([-1.0, 0.0, 1.0])
    assert zscores([7, 7, 7]).tolist() == [0.0, 0.0, 0.0]
    assert zscores([1]).tolist() == [0.0]


def test_zscores_standardise() -> None:
    data = np.random.default_rng(3).normal(50, 8, 500)
    z = zscores(data)
    assert z.mean() == pytest.approx(0, abs=1e-12)
    assert z.std(ddof=1) == pytest.approx(1)
