"""Counter-based random draws: every value is a pure function of (seed, device, slot, stream).

Each key seeds its own generator, so a reading never depends on which readings were drawn
before it. Every draw derives from `random.random()` of a generator seeded with an int, the one
sequence Python promises to keep across versions; normals come from the inverse CDF. This is also
several times cheaper per reading than creating a numpy generator, which matters at 1,000 req/s.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from statistics import NormalDist
from typing import TypeVar

T = TypeVar("T")
KEY_BITS = 64
_STANDARD_NORMAL = NormalDist()
_SMALLEST = 2.0**-53


def key_of(parts: Sequence[int]) -> int:
    """One int for a tuple of non-negative ints below 2**64 (distinct tuples, distinct ints)."""
    key = 1  # a leading 1 bit keeps (0, 5) and (5,) apart
    for part in parts:
        if not 0 <= part < 2**KEY_BITS:
            raise ValueError(f"random key parts must be in 0..2**64-1, not {part}")
        key = (key << KEY_BITS) | part
    return key


class Draws:
    """The random draws of one key, e.g. Draws(seed, device, slot)."""

    __slots__ = ("random",)

    def __init__(self, *key: int) -> None:
        self.random = random.Random(key_of(key)).random  # a float in [0, 1)

    def uniform(self, low: float, high: float) -> float:
        """A float in [low, high)."""
        return low + (high - low) * self.random()

    def integer(self, low: int, high: int) -> int:
        """An int in low..high, both included."""
        return min(high, low + int(self.random() * (high - low + 1)))

    def normal(self) -> float:
        """A standard normal value."""
        return _STANDARD_NORMAL.inv_cdf(max(self.random(), _SMALLEST))

    def choice(self, options: Sequence[T]) -> T:
        """One of `options`."""
        return options[self.integer(0, len(options) - 1)]

    def sample(self, options: Sequence[T], count: int) -> list[T]:
        """`count` distinct elements of `options` (a partial Fisher-Yates shuffle)."""
        pool = list(options)
        for i in range(count):
            j = self.integer(i, len(pool) - 1)
            pool[i], pool[j] = pool[j], pool[i]
        return pool[:count]
