"""What the validator remembers per device between calls: windows, last valid values, seen keys."""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class FieldHistory:
    """One field of one device: its outlier window and its previous valid value."""

    window: deque[float]
    last_valid: Any = None


@dataclass
class DeviceState:
    """Everything remembered about one device."""

    window_size: int
    key_memory: int
    fields: dict[str, FieldHistory] = field(default_factory=dict)
    seen: OrderedDict[datetime, None] = field(default_factory=OrderedDict)
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
        return time in self.seen

    def remember(self, time: datetime) -> None:
        """Record an accepted key; the oldest keys are forgotten beyond `key_memory`."""
        self.seen[time] = None
        while len(self.seen) > self.key_memory:
            self.seen.popitem(last=False)
