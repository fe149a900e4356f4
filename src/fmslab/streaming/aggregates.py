"""Per-device aggregates over 1-minute and 1-hour windows, kept as a view of the lake.

For every (device, hour) a micro-batch adds accepted readings to (processed or alerts), the hour's
readings are read back from the lake and its windows recomputed: the 60 one-minute windows and
the one-hour window, each with mean / min / max / stddev (sample, as Spark's `stddev`) of every
sensor and motor, the reading count, the failure count (isFail) and two null counts per field:
`<field>_nulls` (null after cleaning) and `<field>_missing` (arrived missing or as the -1
sentinel, whatever the rules then filled in). They are written to
`aggregates/date=/hour=/part-device-<id>.snappy.parquet`, replacing the previous version.

Why a view and not Spark's windowed streaming aggregation: a late reading or a replayed batch
then simply recomputes its hour (no watermark decides what is still counted), the figures always
equal a recomputation from the lake, and the write is idempotent by construction.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable

import pandas as pd
import pyarrow.parquet as pq

from fmslab.lake.layout import is_data_file, partition_path
from fmslab.lake.storage import Lake
from fmslab.streaming.processing import MOTORS, SENSORS
from fmslab.streaming.sinks import write_named

VALUE_FIELDS = (*SENSORS, *MOTORS)
WINDOWS = {"1 minute": "1min", "1 hour": "1h"}
ACCEPTED_ZONES = ("processed", "alerts")

DeviceHour = tuple[int, pd.Timestamp]  # (DeviceId, the hour's start, UTC)


def _window_stats(group: pd.DataFrame) -> dict[str, float | int]:
    row: dict[str, float | int] = {
        "readings": len(group),
        "failures": int(group["isFail"].fillna(False).astype(bool).sum()),
    }
    for name in VALUE_FIELDS:
        values = pd.to_numeric(group[name], errors="coerce").astype("float64")
        row[f"{name}_mean"] = values.mean()
        row[f"{name}_min"] = values.min()
        row[f"{name}_max"] = values.max()
        row[f"{name}_stddev"] = values.std(ddof=1)
        row[f"{name}_nulls"] = int(values.isna().sum())
        row[f"{name}_missing"] = int(
            group["reasons"].map(lambda rs, n=name: _arrived_missing(rs, n)).sum()
        )
    return row


def _arrived_missing(reasons: Iterable[str] | None, name: str) -> bool:
    prefix = f"{name}: missing"
    return any(
        str(reason).startswith(prefix) for reason in (reasons if reasons is not None else [])
    )


def window_aggregates(readings: pd.DataFrame) -> pd.DataFrame:
    """One row per (DeviceId, window, window_start) over accepted readings (time, DeviceId,
    sensors, motors, isFail, reasons)."""
    if readings.empty:
        return pd.DataFrame()
    when = pd.to_datetime(readings["time"], utc=True)
    rows = []
    for label, freq in WINDOWS.items():
        starts = when.dt.floor(freq)
        for (device, start), group in readings.groupby([readings["DeviceId"], starts], sort=True):
            rows.append(
                {
                    "DeviceId": int(device),
                    "window": label,
                    "window_start": start,
                    "window_end": start + pd.Timedelta(freq),
                    **_window_stats(group),
                }
            )
    return pd.DataFrame(rows)


def device_hours(frame: pd.DataFrame) -> set[DeviceHour]:
    """The (device, hour) pairs accepted readings of a batch fall in."""
    if frame.empty:
        return set()
    hours = pd.to_datetime(frame["time"], utc=True).dt.floor("1h")
    return {(int(d), h) for d, h in zip(frame["DeviceId"], hours, strict=True)}


def hour_readings(lake: Lake, device: int, hour: pd.Timestamp) -> pd.DataFrame:
    """The accepted readings (processed and alerts) of one device in one hour, from the lake."""
    frames = []
    for zone in ACCEPTED_ZONES:
        directory = partition_path(zone, device, hour)
        if not lake.is_dir(directory):
            continue
        for entry in lake.ls(directory):
            if entry.is_file and is_data_file(entry.path):
                with lake.open(entry.path) as handle:
                    frames.append(pq.read_table(handle).to_pandas())
    if not frames:
        return pd.DataFrame()
    frame = pd.concat(frames, ignore_index=True)
    frame["DeviceId"] = device
    return frame


def refresh_aggregates(lake: Lake, touched: Iterable[DeviceHour]) -> list[str]:
    """Recompute and rewrite the windows of every (device, hour) in `touched`."""
    written = []
    for device, hour in sorted(touched):
        windows = window_aggregates(hour_readings(lake, device, hour))
        if not windows.empty:
            name = f"part-device-{device}.snappy.parquet"
            written += write_named(lake, "aggregates", windows, name)
    return written


def aggregates_path(hour: pd.Timestamp) -> str:
    """The aggregates partition of an hour (for reading one back)."""
    return posixpath.join("aggregates", f"date={hour:%Y-%m-%d}", f"hour={hour:%H}")
