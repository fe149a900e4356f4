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
import pyarrow as pa
import pyarrow.parquet as pq

from fmslab.lake.layout import is_data_file, partition_path
from fmslab.lake.records import write_records
from fmslab.lake.storage import Lake
from fmslab.streaming.processing import MOTORS, SENSORS

VALUE_FIELDS = (*SENSORS, *MOTORS)
WINDOWS = {"1 minute": "1min", "1 hour": "1h"}
ACCEPTED_ZONES = ("processed", "alerts")
# The stored columns the windows are computed from (DeviceId is the partition's).
INPUT_COLUMNS = ("time", *VALUE_FIELDS, "isFail", "reasons")

DeviceHour = tuple[int, pd.Timestamp]  # (DeviceId, the hour's start, UTC)


def _missing_columns(reasons: pd.Series) -> dict[str, list[bool]]:
    """Per field and reading: did the field arrive missing (a reason `<field>: missing...`)?

    One pass over the reasons: the text before the first ": missing" names the field."""
    flags = {name: [False] * len(reasons) for name in VALUE_FIELDS}
    for row, rs in enumerate(reasons):
        if rs is None:
            continue
        for reason in rs:
            field, found, _ = str(reason).partition(": missing")
            if found and field in flags:
                flags[field][row] = True
    return flags


def window_aggregates(readings: pd.DataFrame) -> pd.DataFrame:
    """One row per (DeviceId, window, window_start) over accepted readings (time, DeviceId,
    sensors, motors, isFail, reasons)."""
    if readings.empty:
        return pd.DataFrame()
    base = pd.DataFrame(
        {
            "DeviceId": pd.to_numeric(readings["DeviceId"]).astype("int64"),
            "isFail": readings["isFail"].astype("boolean").fillna(False).astype(bool),
        }
    )
    missing = _missing_columns(readings["reasons"])
    for name in VALUE_FIELDS:
        base[name] = pd.to_numeric(readings[name], errors="coerce").astype("float64")
        base[f"{name}_missing"] = missing[name]
    when = pd.to_datetime(readings["time"], utc=True)
    frames = []
    for label, freq in WINDOWS.items():
        keyed = base.assign(window_start=when.dt.floor(freq).to_numpy())
        groups = keyed.groupby(["DeviceId", "window_start"], sort=True)
        # std is the sample stddev (ddof 1), as Spark's stddev.
        values = groups[list(VALUE_FIELDS)].agg(["mean", "min", "max", "std", "count"])
        values.columns = [f"{n}_{'stddev' if s == 'std' else s}" for n, s in values.columns]
        stats = pd.concat(
            [
                groups.size().rename("readings"),
                groups["isFail"].sum().rename("failures"),
                values,
                groups[[f"{n}_missing" for n in VALUE_FIELDS]].sum(),
            ],
            axis=1,
        ).reset_index()
        for name in VALUE_FIELDS:
            stats[f"{name}_nulls"] = stats["readings"] - stats.pop(f"{name}_count")
        stats.insert(1, "window", label)
        stats.insert(3, "window_end", stats["window_start"] + pd.Timedelta(freq))
        frames.append(stats)
    frame = pd.concat(frames, ignore_index=True)
    frame["failures"] = frame["failures"].astype("int64")
    return frame


def device_hours(frame: pd.DataFrame) -> set[DeviceHour]:
    """The (device, hour) pairs accepted readings of a batch fall in."""
    if frame.empty:
        return set()
    hours = pd.to_datetime(frame["time"], utc=True).dt.floor("1h")
    return {(int(d), h) for d, h in zip(frame["DeviceId"], hours, strict=True)}


def _read_columns(lake: Lake, path: str) -> pa.Table:
    with lake.open(path) as handle:
        parquet = pq.ParquetFile(handle)
        present = set(parquet.schema_arrow.names)
        return parquet.read(columns=[name for name in INPUT_COLUMNS if name in present])


def _as_frame(tables: list[pa.Table]) -> pd.DataFrame:
    try:
        # One conversion for all files; batches may differ in type (int32 motors in one,
        # double in a batch that had nulls), which `permissive` widens as pandas' concat would.
        return pa.concat_tables(tables, promote_options="permissive").to_pandas()
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return pd.concat([table.to_pandas() for table in tables], ignore_index=True)


def hour_readings(lake: Lake, device: int, hour: pd.Timestamp) -> pd.DataFrame:
    """The accepted readings (processed and alerts) of one device in one hour, from the lake.

    Only the columns the windows need are read (INPUT_COLUMNS), not whole records."""
    tables = []
    for zone in ACCEPTED_ZONES:
        directory = partition_path(zone, device, hour)
        if not lake.is_dir(directory):
            continue
        for entry in lake.ls(directory):
            if entry.is_file and is_data_file(entry.path):
                tables.append(_read_columns(lake, entry.path))
    if not tables:
        return pd.DataFrame()
    frame = _as_frame(tables)
    frame["DeviceId"] = device
    return frame


def refresh_aggregates(lake: Lake, touched: Iterable[DeviceHour]) -> list[str]:
    """Recompute and rewrite the windows of every (device, hour) in `touched`."""
    frames = [hour_readings(lake, device, hour) for device, hour in sorted(touched)]
    frames = [frame for frame in frames if not frame.empty]
    if not frames:
        return []
    windows = window_aggregates(pd.concat(frames, ignore_index=True))
    written = []
    for device, rows in windows.groupby("DeviceId", sort=True):
        written += write_records(lake, "aggregates", rows, f"part-device-{device}.snappy.parquet")
    return written


def aggregates_path(hour: pd.Timestamp) -> str:
    """The aggregates partition of an hour (for reading one back)."""
    return posixpath.join("aggregates", f"date={hour:%Y-%m-%d}", f"hour={hour:%H}")
