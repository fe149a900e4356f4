"""Faults in the data: a flood of malformed readings, a device with duplicates, out-of-order and
clock-skewed timestamps. No process goes down, so recover does not apply (null); detect is from
the injection to the first quarantine record of the fault readable in the lake."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import UTC, datetime

import pandas as pd

from fmslab.faults.context import FaultContext, Outcome
from fmslab.lake.records import read_zone

FLOOD_PREFIX = "flood-"
RAW_TOPIC = "fms-raw-data"
FLOOD_RATE = 50.0  # malformed records per second, on top of the steady load
BAD_PROFILES = "duplicates,disorder,skew"


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


def _quarantined_since(ctx: FaultContext, wall: float, flood: bool) -> pd.DataFrame:
    frame = read_zone(ctx.lake, "quarantine")
    if frame.empty:
        return frame
    ids = frame["reading_id"].astype("string")
    if flood:
        return frame[ids.isna() | ids.str.startswith(FLOOD_PREFIX).fillna(False)]
    collected = pd.to_datetime(frame["collected_at"], utc=True, errors="coerce")
    return frame[(collected >= pd.Timestamp(wall, unit="s", tz="UTC")) & ids.notna()]


def _first_quarantined(ctx: FaultContext, wall: float, flood: bool, timeout: float) -> float | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _quarantined_since(ctx, wall, flood).empty:
            return time.monotonic()
        time.sleep(0.5)
    return None


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
    detected = _first_quarantined(ctx, wall, True, 120.0)
    expect = time.monotonic() + 120.0
    while time.monotonic() < expect and len(_quarantined_since(ctx, wall, True)) < count:
        time.sleep(1.0)
    good_after = ctx.lake_monitor.first_collected_after(wall)
    facts = {
        "flood_sent": count,
        "flood_quarantined": len(_quarantined_since(ctx, wall, True)),
        "good_readings_flowed": good_after is not None,
    }
    return Outcome(injected, ended, detected, None, facts)


def bad_device(ctx: FaultContext) -> Outcome:
    """Restart the FMS API simulator with the `duplicates`, `disorder` and `skew` fault profiles
    (data/fault_profiles.yaml; the simulator applies them to every device) for the fault's
    duration, then with none again. Copies of a stored (DeviceId, time) are dropped by the rules;
    out-of-order and skewed times are FLAG rules, so those readings are stored with their reasons
    (a skewed reading is quarantined only when it cannot be tied to a device and time); none is
    stored twice. Detection is the first quarantined record, so it is often None here."""
    api = ctx.service("api")
    cmd = list(api.cmd)
    at = cmd.index("--faults") + 1
    bad = replace(api, cmd=[*cmd[:at], BAD_PROFILES, *cmd[at + 1 :]])
    injected, wall = time.monotonic(), time.time()
    ctx.restart("api", bad)
    ctx.hold(ctx.seconds)
    ended = time.monotonic()
    ctx.restart("api", replace(ctx.service("api"), cmd=api.cmd))  # the running one, as it was
    detected = _first_quarantined(ctx, wall, False, 120.0)
    return Outcome(injected, ended, detected, None, {"api_profiles": BAD_PROFILES})
