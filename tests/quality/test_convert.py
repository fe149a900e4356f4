"""Type conversion of raw JSON values."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from fmslab.quality.convert import (
    format_time,
    parse_time,
    round_half_up,
    show,
    to_bool,
    to_float,
    to_int,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(1200.0, 1200), (1200.37, 1200), (1200.5, 1201), ("850", 850), (" 12 ", 12), (-0.5, -1)],
)
def test_int_conversion_rounds_half_away_from_zero(raw, expected) -> None:
    assert to_int(raw) == (expected, None)


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("abc", "not a number"),
        (True, "not a number"),
        (None, "not a number"),
        ({"a": 1}, "not a number"),
        ([1], "not a number"),
        ("NaN", "not a finite number"),
        (float("inf"), "not a finite number"),
        (10**400, "not a finite number"),
        ("1e999", "not a finite number"),
    ],
)
def test_unconvertible_numbers(raw, problem) -> None:
    assert to_int(raw) == (None, problem)
    assert to_float(raw) == (None, problem)


def test_integral_ints_refuse_fractions() -> None:
    assert to_int(3.0, integral=True) == (3, None)
    assert to_int("4", integral=True) == (4, None)
    assert to_int(3.5, integral=True) == (None, "not an integer")


def test_float_rounding() -> None:
    assert to_float(81.255, 2) == (81.26, None)
    assert to_float("80.1", 2) == (80.1, None)
    assert round_half_up(2.345, 2) == 2.35
    assert round_half_up(1e300, 2) == 1e300


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(True, True), (False, False), (0, False), (1, True), ("true", True), ("No", False)],
)
def test_bools(raw, expected) -> None:
    assert to_bool(raw) == (expected, None)


@pytest.mark.parametrize("raw", ["maybe", 2, None, [], 0.5])
def test_not_bools(raw) -> None:
    assert to_bool(raw) == (None, "not a boolean")


def test_times() -> None:
    expected = datetime(2024, 1, 15, 14, 30, tzinfo=UTC)
    assert parse_time("2024-01-15T14:30:00Z") == (expected, None)
    assert parse_time("2024-01-15T23:30:00+09:00") == (expected, None)
    assert parse_time("2024-01-15T14:30:00") == (expected, None)
    for raw in ("yesterday", "", 1705329000, None, "2024-13-01T00:00:00Z", "9" * 200):
        assert parse_time(raw) == (None, "not ISO-8601")
    assert format_time(expected) == "2024-01-15T14:30:00Z"
    assert format_time(expected.replace(microsecond=250000)) == "2024-01-15T14:30:00.250Z"


def test_show() -> None:
    assert show(1200.0) == "1200"
    assert show("abc") == "'abc'"
    assert show(True) == "true"
    assert show(None) == "null"
    assert len(show("x" * 500)) == 40
