"""Faults in the data: a flood of malformed readings, a device with duplicates, out-of-order and
clock-skewed timestamps. No process goes down, so recover does not apply (null); detect is from
the injection to the moment the stream job processed the first record that shows the fault (its
`processed_at` in the lake: read from the data, so looking after the fault does not delay it)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pandas as pd

from fmslab.faults.context import FaultContext, Outcome
from fmslab.lake.records import read_zone
from fmslab.lake.zones import READING_ZONES

FLOOD_PREFIX = "flood-"
RAW_TOPIC = "fms-raw-data"
FLOOD_RATE = 50.0  # malformed records per second, on top of the steady load
BAD_PROFILES = "duplicates,disorder,skew"
BAD_REASONS = ("out of order", "clock skew")  # the flags the bad profiles earn (quality.validator)
SETTLE_S = 120.0  # how long the stream job may take to process the fault's records


def flood_record(index: int) -> bytes:
    """The `index`-th malformed record: not JSON, missing fields, wrong types, impossible values,
    or not an object (a cycle of six kinds, so the counts per kind are known in advance)."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    good = {
        "reading_id": f"{FLOOD_PREFIX}{index:06d}",
        "time": stamp,
        "DeviceId": 1 + index % 5,
        **{f"sensor{i}": 50.0 for i in (1, 2, 3)},
        **{f"motor{i}": 1000.0 for i in (1, 2, 3)},
        "isFail": False,
        "collected_at": stamp,
    }
    kind = index % 6
    if kind == 0:
        return json.dumps(good).encode()[:40]  # truncated JSON
    if kind == 1:
        return b"\xff\xfe not even text"
    if kind == 2:
        return json.dumps({k: v for k, v in good.items() if k not in ("sensor1", "time")}).encode()
    if kind == 3:
        return json.dumps({**good, "sensor2": "85.2x", "motor1": "fast"}).encode()
    if kind == 4:
        return json.dumps({**good, "DeviceId": "seven"}).encode()
    return json.dumps([good]).encode()  # a list, not an object


def _flood_quarantined(ctx: FaultContext) -> pd.DataFrame:
    """The flood's records in the quarantine zone (a record with no reading_id is one, too)."""
    frame = read_zone(ctx.lake, "quarantine")
    if frame.empty:
        return frame
    ids = frame["reading_id"].astype("string")
    return frame[ids.isna() | ids.str.startswith(FLOOD_PREFIX).fillna(False)]


def _detected_at(frame: pd.DataFrame, injected: float, wall: float) -> float | None:
    """The monotonic moment the first record of `frame` was processed (None: no record)."""
    if frame.empty:
        return None
    first = pd.to_datetime(frame["processed_at"], utc=True, errors="coerce").min()
    return None if pd.isna(first) else injected + max(0.0, first.timestamp() - wall)


def _flagged_since(ctx: FaultContext, wall: float) -> pd.DataFrame:
    """Readings collected since `wall` that the rules flagged for a bad profile, or quarantined."""
    found = []
    for zone in READING_ZONES:
        frame = read_zone(ctx.lake, zone)
        if frame.empty:
            continue
        collected = pd.to_datetime(frame["collected_at"], utc=True, errors="coerce")
        since = frame[collected >= pd.Timestamp(wall, unit="s", tz="UTC")]
        if zone != "quarantine":
            text = since["reasons"].map(lambda r: " ".join(r) if r is not None else "")
            since = since[text.str.contains("|".join(BAD_REASONS))]
        found.append(since)
    return pd.concat(found) if found else pd.DataFrame()


def malformed_flood(ctx: FaultContext) -> Outcome:
    """Send a flood of malformed records (50/s for the fault's duration) straight to the raw
    topic, beside the collector's good readings: the stream job must quarantine each with its
    reason and keep storing the good ones."""
    from fmslab.broker.clients import BulkProducer

    bootstrap = f"{ctx.settings.host}:{ctx.settings.broker_port}"
    producer = BulkProducer(bootstrap)
    count = max(6, int(ctx.seconds * FLOOD_RATE) // 6 * 6)
    injected, wall = time.monotonic(), time.time()
    for index in range(count):
        producer.send(RAW_TOPIC, flood_record(index), key=str(1 + index % 5))
        producer.poll()
        time.sleep(max(0.0, injected + (index + 1) / FLOOD_RATE - time.monotonic()))
    producer.flush()
    ended = time.monotonic()
    expect = time.monotonic() + SETTLE_S
    while time.monotonic() < expect and len(_flood_quarantined(ctx)) < count:
        time.sleep(1.0)
    detected = _detected_at(_flood_quarantined(ctx), injected, wall)
    good_after = ctx.lake_monitor.first_collected_after(wall)
    facts = {
        "flood_sent": count,
        "flood_quarantined": len(_flood_quarantined(ctx)),
        "good_readings_flowed": good_after is not None,
    }
    return Outcome(injected, ended, detected, None, facts)


def _switch_profiles(ctx: FaultContext, profiles: str) -> None:
    """Switch the running simulator's fault profiles (`PUT /faults`): no restart, so no failed
    poll opens the collector's circuit breakers."""
    import httpx

    url = f"http://{ctx.settings.host}:{ctx.settings.api_port}/faults"
    response = httpx.put(url, params={"profiles": profiles}, timeout=10)
    response.raise_for_status()


def bad_device(ctx: FaultContext) -> Outcome:
    """Switch the FMS API simulator to the `duplicates`, `disorder` and `skew` fault profiles
    (data/fault_profiles.yaml; the simulator applies them to every device) for the fault's
    duration, then back, while it keeps serving. Copies of a stored (DeviceId, time) are dropped
    by the rules; out-of-order and skewed times are FLAG rules, so those readings are stored with
    their reasons (a skewed reading is quarantined only when it cannot be tied to a device and
    time); none is stored twice. Detection is the first reading stored with one of those flags
    (or quarantined)."""
    injected, wall = time.monotonic(), time.time()
    _switch_profiles(ctx, BAD_PROFILES)
    ctx.hold(ctx.seconds)
    ended = time.monotonic()
    _switch_profiles(ctx, ctx.options.faults)  # what the run's load uses
    expect = time.monotonic() + SETTLE_S
    while time.monotonic() < expect and _flagged_since(ctx, wall).empty:
        time.sleep(1.0)
    detected = _detected_at(_flagged_since(ctx, wall), injected, wall)
    return Outcome(injected, ended, detected, None, {"api_profiles": BAD_PROFILES})
