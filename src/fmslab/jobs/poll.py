"""A bounded, paced poll of the FMS API: one request per device per interval."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx


@dataclass
class PollResult:
    """What a bounded poll brought back: payloads (dicts, or text that was not JSON) and errors."""

    payloads: list[dict | str] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    requests: int = 0


def utc_now_iso() -> str:
    """The current UTC time as ISO-8601 with milliseconds and a Z."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def fetch_reading(client: httpx.Client, device: int) -> dict | str:
    """One reading of `device`: the decoded object, or the raw body when it is not a JSON object.

    HTTP errors raise `httpx.HTTPStatusError`; the caller counts them.
    """
    response = client.get(f"/{device}/")
    response.raise_for_status()
    try:
        payload = response.json()
    except ValueError:
        return response.text
    if isinstance(payload, dict):
        payload["collected_at"] = utc_now_iso()
        return payload
    return response.text


def _poll_tick(client: httpx.Client, devices: int, result: PollResult) -> None:
    for device in range(1, devices + 1):
        result.requests += 1
        try:
            result.payloads.append(fetch_reading(client, device))
        except httpx.HTTPStatusError as exc:
            result.errors[f"http_{exc.response.status_code}"] += 1
        except httpx.TimeoutException:
            result.errors["timeout"] += 1
        except httpx.TransportError:
            result.errors["connection"] += 1


def poll_devices(
    api_url: str,
    *,
    devices: int,
    interval: float,
    duration: float,
    on_tick: Callable[[int, PollResult], None] | None = None,
    timeout: float = 5.0,
) -> PollResult:
    """Poll every device once per `interval` seconds for `duration` seconds."""
    result = PollResult()
    ticks = max(1, int(duration // interval))
    # Start mid-slot: the API changes its reading on slot boundaries, and polling right on one
    # would read some devices before the change and some after.
    time.sleep((interval / 2 - time.time() % interval) % interval)
    start = time.monotonic()
    with httpx.Client(base_url=api_url, timeout=timeout) as client:
        for tick in range(ticks):
            # Pace against the schedule, not the previous tick, so slow requests do not drift it.
            time.sleep(max(0.0, start + tick * interval - time.monotonic()))
            _poll_tick(client, devices, result)
            if on_tick is not None:
                on_tick(tick + 1, result)
    return result
