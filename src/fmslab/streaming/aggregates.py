"""Per-device aggregates over 1-minute and 1-hour windows, kept as a view of the lake.

For every (device, hour) a micro-batch adds accepted readings to (processed or alerts), the hour's
readings are read back from the lake and its windows recomputed (a stream sink keeps what it
has read of each file in memory, `WindowInputCache`, so a batch reads only new and rewritten
files): the 60 one-minute windows and the one-hour window, each with mean / min / max / stddev
(sample, as Spark's `stddev`) of every sensor and motor, the reading count, the failure count
(isFail) and two null counts per field:
`<field>_nulls` (null after cleaning) and `<field>_missing` (arrived missing or as the -1
sentinel, whatever the rules then filled in). They are written to
`aggregates/date=/hour=/part-device-<id>.snappy.parquet`, replacing the previous version.

Why a view and not Spark's windowed streaming aggregation: a late reading or a replayed batch
then simply recomputes its hour (no watermark decides what is still counted), the figures always
equal a recomputation from the lake, and the write is idempotent by construction.
"""

from __future__ import annotations

import posixpath
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from fmslab.lake.layout import is_data_file, partition_path
from fmslab.lake.records import write_records
from fmslab.lake.storage import Entry, Lake
from fmslab.reading import MOTORS, SENSORS

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


def window_inputs(readings: pd.DataFrame) -> pd.DataFrame:
    """The per-reading columns the windows are computed from: DeviceId, isFail, every value as
    float64 with its `<field>_missing` flag, and `time` (UTC). Row by row, so the inputs of
    several frames are the inputs of their concatenation."""
    missing = _missing_columns(readings["reasons"])
    columns: dict[str, Any] = {
        "DeviceId": pd.to_numeric(readings["DeviceId"]).astype("int64").to_numpy(),
        "isFail": readings["isFail"].astype("boolean").fillna(False).astype(bool).to_numpy(),
    }
    for name in VALUE_FIELDS:
        values = pd.to_numeric(readings[name], errors="coerce").astype("float64")
        columns[name] = values.to_numpy()
        columns[f"{name}_missing"] = np.array(missing[name], dtype=bool)
    columns["time"] = pd.to_datetime(readings["time"], utc=True).array
    return pd.DataFrame(columns)


STATS = ("mean", "min", "max", "std", "count")


def windows_of(inputs: pd.DataFrame) -> pd.DataFrame:
    """One row per (DeviceId, window, window_start) from `window_inputs` rows."""
    if inputs.empty:
        return pd.DataFrame()
    base = inputs.drop(columns="time")
    frames = []
    for label, freq in WINDOWS.items():
        # The floored times stay a datetime array (to_numpy() of tz-aware times would make
        # one Timestamp object per reading).
        keyed = base.assign(window_start=inputs["time"].dt.floor(freq).array)
        groups = keyed.groupby(["DeviceId", "window_start"], sort=True)
        # One grouped kernel per statistic over all fields (std: sample, ddof 1, as Spark's).
        values = groups[list(VALUE_FIELDS)]
        stats = pd.concat(
            [
                groups.size().rename("readings"),
                groups["isFail"].sum().rename("failures"),
                *(
                    getattr(values, stat)().add_suffix(f"_{'stddev' if stat == 'std' else stat}")
                    for stat in STATS
                ),
                groups[[f"{n}_missing" for n in VALUE_FIELDS]].sum(),
            ],
            axis=1,
        )
        ordered = [f"{n}_{'stddev' if s == 'std' else s}" for n in VALUE_FIELDS for s in STATS]
        stats = stats[["readings", "failures", *ordered, *stats.columns[-len(VALUE_FIELDS) :]]]
        stats = stats.reset_index()
        for name in VALUE_FIELDS:
            stats[f"{name}_nulls"] = stats["readings"] - stats.pop(f"{name}_count")
        stats.insert(1, "window", label)
        stats.insert(3, "window_end", stats["window_start"] + pd.Timedelta(freq))
        frames.append(stats)
    frame = pd.concat(frames, ignore_index=True)
    frame["failures"] = frame["failures"].astype("int64")
    return frame


def window_aggregates(readings: pd.DataFrame) -> pd.DataFrame:
    """One row per (DeviceId, window, window_start) over accepted readings (time, DeviceId,
    sensors, motors, isFail, reasons)."""
    if readings.empty:
        return pd.DataFrame()
    return windows_of(window_inputs(readings))


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


def _hour_files(lake: Lake, device: int, hour: pd.Timestamp) -> list[tuple[str, list[Entry]]]:
    """(directory, its data files in name order) of each accepted zone holding the hour."""
    found = []
    for zone in ACCEPTED_ZONES:
        directory = partition_path(zone, device, hour)
        if lake.is_dir(directory):
            files = [e for e in lake.ls(directory) if e.is_file and is_data_file(e.path)]
            found.append((directory, files))
    return found


def hour_readings(lake: Lake, device: int, hour: pd.Timestamp) -> pd.DataFrame:
    """The accepted readings (processed and alerts) of one device in one hour, from the lake.

    Only the columns the windows need are read (INPUT_COLUMNS), not whole records."""
    tables = [
        _read_columns(lake, entry.path)
        for _, files in _hour_files(lake, device, hour)
        for entry in files
    ]
    if not tables:
        return pd.DataFrame()
    frame = _as_frame(tables)
    frame["DeviceId"] = device
    return frame


Columns = dict[str, np.ndarray]  # window inputs as plain arrays (time: naive UTC datetime64)


def _columns(inputs: pd.DataFrame) -> Columns:
    """`window_inputs` as plain arrays (time: naive UTC datetime64)."""
    columns = {name: inputs[name].to_numpy() for name in inputs.columns if name != "time"}
    columns["time"] = inputs["time"].dt.tz_localize(None).to_numpy()
    return columns


def _files_inputs(lake: Lake, paths: list[str], device: int) -> list[Columns]:
    """`window_inputs` of each lake file of `paths` (a column a file lacks counts as null), as
    arrays. The files are converted together, as `hour_readings` does (one conversion, not one
    per file), then split again: the inputs are computed row by row, so nothing changes."""
    tables = [_read_columns(lake, path) for path in paths]
    frame = _as_frame(tables)
    for name in INPUT_COLUMNS:
        if name not in frame.columns:
            frame[name] = None
    frame["DeviceId"] = device
    inputs = window_inputs(frame)
    columns = _columns(inputs)
    bounds = np.cumsum([table.num_rows for table in tables])[:-1]
    split = {name: np.split(values, bounds) for name, values in columns.items()}
    return [{name: split[name][i] for name in columns} for i in range(len(tables))]


def _joined(parts: list[Columns]) -> pd.DataFrame:
    """The window inputs of several files as one frame (as pandas' concat of their frames,
    without its per-frame cost: an hour can have hundreds of batch files)."""
    joined = {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}
    joined["time"] = pd.to_datetime(joined["time"], utc=True).array
    return pd.DataFrame(joined)


DEFAULT_CACHED_ROWS = 1_000_000  # about 90 MB of window inputs


class WindowInputCache:
    """The window inputs of each accepted-zone file the sink has read, kept in driver memory.

    A batch then reads only the files it has not seen: new ones, and the ones the sink has just
    (re)written (`forget`). Each use lists the hour's directories again, so a file another
    process added (reconcile), replaced (compaction) or deleted (retention) is read again or
    dropped: a file is known by its path and size, and the sink's own files, which a replayed
    batch rewrites under the same name, are forgotten before they are written. The inputs are those
    `window_aggregates` computes from the files, row for row in the same order, so the windows
    are the same. Whole directories beyond `max_rows` cached rows are evicted, least recently
    used first (read again when touched again)."""

    def __init__(self, max_rows: int = DEFAULT_CACHED_ROWS) -> None:
        self.max_rows = max_rows
        # directory -> {path: (size, inputs)}, least recently used first
        self._dirs: OrderedDict[str, dict[str, tuple[int, Columns]]] = OrderedDict()
        self.files_read = 0  # lake files read since the start (the rest came from memory)

    def forget(self, file_name: str) -> None:
        """Drop the inputs of every file named `file_name` (a batch's, about to be rewritten):
        they are read again when used."""
        for directory, files in self._dirs.items():
            files.pop(posixpath.join(directory, file_name), None)

    def remember(self, lake: Lake, zone: str, rows: pd.DataFrame, file_name: str) -> None:
        """Keep the window inputs of accepted `rows` the sink has just written to `zone` under
        `file_name` (one file per (device, hour) partition, rows in frame order, as
        `write_records` writes them), so the aggregates do not read them back. Each file is
        known by the size the lake reports for it now."""
        if rows.empty:
            return
        inputs = window_inputs(rows)
        hours = inputs["time"].dt.floor("h")
        columns = _columns(inputs)
        keys = pd.DataFrame({"device": columns["DeviceId"], "hour": hours})
        for (device, hour), positions in keys.groupby(
            ["device", "hour"], sort=True
        ).indices.items():
            directory = partition_path(zone, int(device), hour)
            path = posixpath.join(directory, file_name)
            entry = lake.stat(path)
            if entry is None:  # not where the sink writes it: read it when used
                continue
            files = self._dirs.setdefault(directory, {})
            files[path] = (
                entry.size,
                {name: values[positions] for name, values in columns.items()},
            )

    def hour_inputs(self, lake: Lake, device: int, hour: pd.Timestamp) -> list[Columns]:
        """The window inputs of every accepted file of (device, hour), in the lake's order."""
        listed = _hour_files(lake, device, hour)
        known = {d: self._dirs.pop(d, {}) for d, _ in listed}
        unread = [
            entry
            for directory, files in listed
            for entry in files
            if known[directory].get(entry.path, (None,))[0] != entry.size
        ]
        if unread:
            read = _files_inputs(lake, [entry.path for entry in unread], device)
            for entry, inputs in zip(unread, read, strict=True):
                known[posixpath.dirname(entry.path)][entry.path] = (entry.size, inputs)
            self.files_read += len(unread)
        frames = []
        for directory, files in listed:
            self._dirs[directory] = {e.path: known[directory][e.path] for e in files}  # MRU last
            frames += [self._dirs[directory][e.path][1] for e in files]
        self._evict()
        return frames

    def rows(self) -> int:
        """Rows of window inputs held."""
        return sum(len(f["time"]) for files in self._dirs.values() for _, f in files.values())

    def _evict(self) -> None:
        total = self.rows()
        while total > self.max_rows and len(self._dirs) > 1:
            _, files = self._dirs.popitem(last=False)
            total -= sum(len(f["time"]) for _, f in files.values())


def refresh_aggregates(
    lake: Lake, touched: Iterable[DeviceHour], cache: WindowInputCache | None = None
) -> list[str]:
    """Recompute and rewrite the windows of every (device, hour) in `touched`.

    `cache` keeps each file's window inputs between calls (a stream sink's); without one every
    file of the touched hours is read."""
    cache = cache or WindowInputCache()
    parts = [f for device, hour in sorted(touched) for f in cache.hour_inputs(lake, device, hour)]
    parts = [part for part in parts if len(part["time"])]
    if not parts:
        return []
    windows = windows_of(_joined(parts))
    # One file per device in each hour's partition, from one conversion of all the windows.
    names = [f"part-device-{device}.snappy.parquet" for device in windows["DeviceId"].tolist()]
    return write_records(lake, "aggregates", windows, names)


def aggregates_path(hour: pd.Timestamp) -> str:
    """The aggregates partition of an hour (for reading one back)."""
    return posixpath.join("aggregates", f"date={hour:%Y-%m-%d}", f"hour={hour:%H}")
