"""What the validator remembers per device between calls: windows, last valid values, seen keys."""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from fmslab.quality.stats import WindowSums, scaled


@dataclass
class FieldHistory:
    """One field of one device: its outlier window and its previous valid value.

    Besides the window in arrival order it keeps the same values sorted (for the quartiles) and
    their exact sums (for the mean and standard deviation), both updated per value, so checking a
    value against a window of 100 costs O(log n) instead of a sort and two passes."""

    window: deque[float]
    last_valid: Any = None
    ordered: list[float] = field(default_factory=list, repr=False)
    sums: WindowSums = field(default_factory=WindowSums, repr=False)
    _scaled: deque[int] = field(default_factory=deque, repr=False)

    def __post_init__(self) -> None:
        if self.window and not self.ordered:
            self.ordered = sorted(self.window)
            for value in self.window:
                self._scaled.append(scaled(value))
                self.sums.replace(self._scaled[-1])

    def push(self, value: float) -> None:
        """Append an observed value; the oldest one leaves a full window."""
        window, ordered = self.window, self.ordered
        new = scaled(value)
        if len(window) == window.maxlen:
            del ordered[bisect_left(ordered, window[0])]
            self.sums.replace(new, self._scaled.popleft())
        else:
            self.sums.replace(new)
        window.append(value)
        self._scaled.append(new)
        insort(ordered, value)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)


def epoch_micros(value: datetime) -> int:
    """A timezone-aware time as integer microseconds since 1970-01-01 UTC."""
    return (value - _EPOCH) // _MICRO


@dataclass
class DeviceState:
    """Everything remembered about one device."""

    window_size: int
    key_memory: int
    fields: dict[str, FieldHistory] = field(default_factory=dict)
    # accepted times as integer microseconds since the epoch, oldest first (compact to store)
    seen: OrderedDict[int, None] = field(default_factory=OrderedDict)
    # the previous kept reading's time and collection time (collected_at, else time)
    previous_time: datetime | None = None
    previous_collected: datetime | None = None

    def history(self, name: str) -> FieldHistory:
        """The history of one field (created empty on first use)."""
        if name not in self.fields:
            self.fields[name] = FieldHistory(deque(maxlen=self.window_size))
        return self.fields[name]

    def has_seen(self, time: datetime) -> bool:
        """Whether a reading with this time was already accepted for this device."""
        return epoch_micros(time) in self.seen

    def remember(self, time: datetime) -> None:
        """Record an accepted key; the oldest keys are forgotten beyond `key_memory`."""
        self.seen[epoch_micros(time)] = None
        while len(self.seen) > self.key_memory:
            self.seen.popitem(last=False)
