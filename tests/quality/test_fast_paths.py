"""The engine's shortcuts give exactly what the full path gives.

`clean_field` takes a one-step path for plain JSON numbers and booleans; a float or int
*subclass* is not a plain number, so it walks the full path with the same value. The outlier
window keeps sorted values and exact sums; they must equal a window rebuilt from scratch and the
exact statistics, whatever order values came and went in.
"""

from __future__ import annotations

import math
import random
import statistics
from collections import deque
from fractions import Fraction

import pytest

from fmslab.quality.convert import round_half_up
from fmslab.quality.fields import FieldCheck, clean_field
from fmslab.quality.rules import load_rules
from fmslab.quality.state import FieldHistory


class FullPathFloat(float):
    """A float the shortcut does not take (its type is not exactly float)."""


class FullPathInt(int):
    """An int the shortcut does not take."""


def _as_tuple(check: FieldCheck) -> tuple:
    return (
        check.value,
        type(check.value),
        check.reasons,
        check.present,
        check.sentinel,
        check.type_error,
        check.in_range,
        check.outlier,
        check.action,
        check.observed,
        check.good,
    )


def _history(values: list[float], size: int = 100) -> FieldHistory:
    history = FieldHistory(deque(maxlen=size))
    for value in values:
        history.push(value)
    return history


def _raw_values(rng: random.Random) -> list[float | int]:
    values: list[float | int] = [-1, -1.0, 0, 0.0, 1, 5, 6, 2.5, 3.5, 100.0, 100.004, 100.005]
    values += [150.0, 1500, 1500.5, 2000, 2001, 2**60, 10**400, 1e308, -0.0049, 1.005, 2.675]
    values += [round(rng.gauss(80, 15), rng.choice([1, 2, 3, 4])) for _ in range(300)]
    values += [rng.uniform(-50, 2100) for _ in range(300)]
    values += [rng.randint(-5, 2100) for _ in range(300)]
    return values


def _full_path(raw: float | int) -> float | int:
    if isinstance(raw, int):
        return FullPathInt(raw)
    return FullPathFloat(raw)


@pytest.mark.parametrize("field", ["DeviceId", "sensor1", "sensor3", "motor1", "motor2"])
def test_plain_numbers_take_the_same_way_as_the_full_path(field: str) -> None:
    rules = load_rules()
    rule = rules.fields[field]
    rng = random.Random(7)
    window = [
        round(rng.gauss(1000 if field.startswith("motor") else 80, 10), 2) for _ in range(100)
    ]
    for history in (None, _history([]), _history(window[:40]), _history(window)):
        for raw in _raw_values(rng):
            fast = clean_field(field, rule, raw, history, rules.outliers)
            full = clean_field(field, rule, _full_path(raw), history, rules.outliers)
            assert _as_tuple(fast) == _as_tuple(full), (field, raw)


def test_booleans_take_the_same_way_as_the_full_path() -> None:
    rules = load_rules()
    rule = rules.fields["isFail"]
    for raw in (True, False):
        fast = clean_field("isFail", rule, raw, None, rules.outliers)
        full = clean_field("isFail", rule, "true" if raw else "false", None, rules.outliers)
        assert _as_tuple(fast) == _as_tuple(full)


def test_the_compared_values_cover_every_outcome() -> None:
    # The comparison above means something only if plain, missing, out-of-range and outlier
    # values are all among the inputs.
    rules = load_rules()
    rule = rules.fields["sensor1"]
    rng = random.Random(7)
    history = _history([round(rng.gauss(80, 10), 2) for _ in range(100)])
    checks = [
        clean_field("sensor1", rule, raw, history, rules.outliers) for raw in _raw_values(rng)
    ]
    assert {c.action for c in checks} == {None, "nulled", "flagged", "rejected"}
    assert any(c.outlier for c in checks) and any(not c.in_range for c in checks)
    assert any(c.sentinel for c in checks) and any(c.good for c in checks)


def test_window_sums_are_the_exact_statistics_in_any_order() -> None:
    rng = random.Random(11)
    values = [round(rng.gauss(80, 5), 2) for _ in range(1000)]
    history = _history(values, size=100)
    last = values[-100:]
    assert list(history.window) == last
    assert history.ordered == sorted(last)
    exact_mean = sum(Fraction(v) for v in last) / 100
    exact_var = sum((Fraction(v) - exact_mean) ** 2 for v in last) / 99
    assert history.sums.mean() == float(exact_mean)
    assert history.sums.std() == math.sqrt(float(exact_var))
    assert history.sums.std() == pytest.approx(statistics.stdev(last), rel=1e-12)
    # A window restored from its values (a checkpoint) is the same window.
    restored = FieldHistory(deque(last, maxlen=100))
    assert restored.ordered == history.ordered
    assert (restored.sums.total, restored.sums.squares) == (
        history.sums.total,
        history.sums.squares,
    )


def test_rounding_shortcuts_agree_with_decimal_rounding() -> None:
    from decimal import ROUND_HALF_UP, Decimal

    rng = random.Random(5)
    values = [rng.uniform(-3000, 3000) for _ in range(20000)]
    values += [x / 2 for x in range(-400, 400)] + [x / 1000 for x in range(-3000, 3000)]
    values += [0.49999999999999994, -0.5, 2.5, -2.5, 1e-7, 123.455, 1.005, 2.675]
    for value in values:
        for decimals in (0, 1, 2, 3):
            quantum = Decimal(1).scaleb(-decimals)
            expected = float(Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_UP))
            assert round_half_up(value, decimals) == expected, (value, decimals)
