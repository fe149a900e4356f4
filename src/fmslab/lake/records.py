"""Writing pandas frames into a zone's partitions and reading a zone back."""

from __future__ import annotations

import operator
import posixpath
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from fmslab.lake.layout import DEFAULT_PARTITION, is_data_file, new_file_name, zone_of
from fmslab.lake.partitions import PartitionFiles, list_partitions
from fmslab.lake.storage import Lake, LakeError
from fmslab.lake.zones import Zone

DEVICE_COLUMNS = ("DeviceId", "device_id")
TIME_COLUMNS = ("time", "window_start")

Filters = Mapping[str, Any] | Sequence[tuple[str, str, Any]]


def _column(frame: pd.DataFrame, preferred: Iterable[str], what: str, zone: Zone) -> str:
    for name in preferred:
        if name in frame.columns:
            return name
    wanted = " or ".join(dict.fromkeys(preferred))
    raise LakeError(f"zone {zone.name}: the frame has no {what} column ({wanted})")


def _texts(hours: Any, pattern: str) -> np.ndarray:
    """Each hour formatted with `pattern`, then the default partition (for missing times)."""
    return np.array([*(hour.strftime(pattern) for hour in hours), DEFAULT_PARTITION], dtype=object)


def _partition_keys(frame: pd.DataFrame, zone: Zone) -> pd.DataFrame:
    """date, hour (and device_id) of every row as text; unusable values: the default partition."""
    time_col = _column(frame, (zone.time_column, *TIME_COLUMNS), "time", zone)
    raw_time = frame[time_col]
    if pd.api.types.is_datetime64_any_dtype(raw_time):
        when = raw_time.dt.tz_localize("UTC") if raw_time.dt.tz is None else raw_time
        when = when.dt.tz_convert("UTC")
    else:
        when = pd.to_datetime(raw_time, utc=True, errors="coerce", format="ISO8601")
    keys = pd.DataFrame(index=frame.index)
    # Format each distinct hour once, not every row (a micro-batch has thousands of rows and a
    # few hours); code -1 (no time) takes the last entry, the default partition.
    codes, hours = pd.factorize(when.dt.floor("h"))
    keys["date"] = _texts(hours, "%Y-%m-%d")[codes]
    keys["hour"] = _texts(hours, "%H")[codes]
    unkeyed = when.isna()
    if zone.per_device:
        device_col = _column(frame, DEVICE_COLUMNS, "device id", zone)
        number = pd.to_numeric(frame[device_col], errors="coerce")
        valid = number.notna() & (number == number.round())
        keys["device_id"] = number.where(valid).astype("Int64").astype("string")
        keys["device_id"] = keys["device_id"].fillna(DEFAULT_PARTITION)
        unkeyed |= ~valid
    if unkeyed.any() and not zone.accept_unkeyed:
        rows = list(frame.index[unkeyed][:5])
        raise LakeError(
            f"zone {zone.name}: {int(unkeyed.sum())} record(s) have no usable device id or "
            f"{time_col} (rows {rows}); route them to quarantine instead"
        )
    return keys


def _data_columns(group: pd.DataFrame, keys: pd.DataFrame, zone: Zone) -> pd.DataFrame:
    # A column named like a partition key lives in the path (Hive style): drop it if it agrees.
    drop = []
    for key in zone.partition_by:
        if key in group.columns:
            stored = group[key].astype("string").str.zfill(2 if key == "hour" else 0)
            if not (stored.fillna(DEFAULT_PARTITION) == keys.loc[group.index, key]).all():
                raise LakeError(
                    f"zone {zone.name}: column {key!r} disagrees with the partition derived from "
                    "the time and device columns; rename or drop it"
                )
            drop.append(key)
    return group.drop(columns=drop)


def _directory(zone: Zone, values: dict[str, str]) -> str:
    return "/".join([zone.name, *(f"{key}={values[key]}" for key in zone.partition_by)])


def _tables(
    frame: pd.DataFrame, spec: Zone, names: np.ndarray | None = None
) -> list[tuple[str, str | None, pa.Table]]:
    """(partition directory, file name, Arrow table) per partition (and per name, when each row
    has one in `names`); raises before anything is written.

    The frame is converted to Arrow once (one schema for every file, and one conversion instead
    of one per partition: a micro-batch touches hundreds), then each file takes its rows."""
    keys = _partition_keys(frame, spec)
    data = _data_columns(frame, keys, spec)
    try:
        whole = pa.Table.from_pandas(data, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as err:
        message = f"zone {spec.name}: cannot store these records as Parquet: {err}"
        raise LakeError(message) from err
    by = list(spec.partition_by)
    keys = keys.reset_index(drop=True)
    if names is not None:
        keys["file_name"] = names
        by.append("file_name")
    tables = []
    for values, positions in keys.groupby(by, sort=True).indices.items():
        values = values if isinstance(values, tuple) else (values,)
        directory = _directory(spec, dict(zip(spec.partition_by, values, strict=False)))
        name = values[-1] if names is not None else None
        tables.append((directory, name, whole.take(positions)))
    return tables


def _check_name(name: Any) -> None:
    if not isinstance(name, str) or not is_data_file(name) or "/" in name:
        raise LakeError(f"file_name must be a plain visible *.parquet name, not {name!r}")


def _row_names(file_name: str | Sequence[str] | None, rows: int) -> np.ndarray | None:
    """One file name per row when `file_name` is a sequence, else None; raises on a bad name."""
    if file_name is None or isinstance(file_name, str):
        if file_name is not None:
            _check_name(file_name)
        return None
    names = np.asarray(list(file_name), dtype=object)
    if len(names) != rows:
        raise LakeError(f"file_name: one name, or one per row ({rows}), not {len(names)}")
    for name in set(names.tolist()):
        _check_name(name)
    return names


def write_records(
    lake: Lake,
    zone: str | Zone,
    frame: pd.DataFrame,
    file_name: str | Sequence[str] | None = None,
) -> list[str]:
    """Write a frame into a zone: one new part-<uuid>.snappy.parquet per partition it touches.

    Rows are partitioned by device (where the zone has device partitions), UTC date and hour of
    the `time` (or `window_start`) column. Returns the paths written, in partition order.

    `file_name` (e.g. one per streaming micro-batch) replaces the uuid name and makes the write
    idempotent: writing the same batch again replaces its files instead of adding copies, and
    once compaction has merged them, a replayed file is recognised and dropped by the next
    compaction (see fmslab.lake.compaction). A sequence gives each row its file name: a
    partition then gets one file per name (e.g. the aggregates' one file per device), all from
    one conversion of the frame.
    """
    spec = zone_of(zone)
    if frame.empty:
        return []
    names = _row_names(file_name, len(frame))
    single = file_name if isinstance(file_name, str) else None
    written = []
    for directory, name, table in _tables(frame, spec, names):
        chosen = name or single
        path = posixpath.join(directory, chosen or new_file_name())
        with lake.open(path, "wb", overwrite=chosen is not None) as handle:
            pq.write_table(table, handle, compression="snappy")
        written.append(path)
    return written


_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "in": lambda value, allowed: value in allowed,
    "not in": lambda value, allowed: value not in allowed,
}


def normalise_filters(filters: Filters | None) -> list[tuple[str, str, Any]]:
    """Filters as (column, op, value) triples; a mapping means equality (or `in` for a list)."""
    if not filters:
        return []
    if isinstance(filters, Mapping):
        return [
            (col, "in", list(v)) if isinstance(v, list | tuple | set | frozenset) else (col, "=", v)
            for col, v in filters.items()
        ]
    triples = []
    for item in filters:
        if len(item) != 3 or item[1] not in _OPS:
            ops = ", ".join(_OPS)
            raise LakeError(f"bad filter {item!r}: use (column, op, value) with op one of {ops}")
        triples.append(tuple(item))
    return triples


def _partition_matches(pf: PartitionFiles, zone: Zone, filters: list[tuple[str, str, Any]]) -> bool:
    for col, op, wanted in filters:
        if col in zone.partition_by:
            value = getattr(pf.partition, col)
            if value == DEFAULT_PARTITION or value is None:
                return False
            if not _OPS[op](value, wanted):
                return False
    return True


def _read_partition(lake: Lake, pf: PartitionFiles, zone: Zone) -> list[pd.DataFrame]:
    frames = []
    for entry in pf.files:
        with lake.open(entry.path) as handle:
            frame = pq.read_table(handle).to_pandas()
        for key in zone.partition_by:
            value = getattr(pf.partition, key)
            frame[key] = pd.NA if value == DEFAULT_PARTITION else value
        frames.append(frame)
    return frames


def _typed_partition_columns(frame: pd.DataFrame, zone: Zone) -> pd.DataFrame:
    for key in zone.partition_by:
        frame[key] = frame[key].astype("string" if key == "date" else "Int64")
    return frame


def read_zone(lake: Lake, zone: str | Zone, filters: Filters | None = None) -> pd.DataFrame:
    """Every record of a zone, with the partition columns (device_id, date, hour) restored.

    `filters` is a mapping (`{"device_id": 1, "hour": [13, 14]}`) or (column, op, value)
    triples (`[("date", ">=", "2024-01-15")]`). Filters on partition columns skip whole
    partitions before any file is read; other columns are filtered after reading.
    """
    spec = zone_of(zone)
    triples = normalise_filters(filters)
    frames: list[pd.DataFrame] = []
    for pf in list_partitions(lake, spec):
        if _partition_matches(pf, spec, triples):
            frames.extend(_read_partition(lake, pf, spec))
    if not frames:
        return pd.DataFrame({key: pd.Series(dtype="object") for key in spec.partition_by}).pipe(
            _typed_partition_columns, spec
        )
    frame = _typed_partition_columns(pd.concat(frames, ignore_index=True), spec)
    for col, op, wanted in triples:
        if col not in frame.columns:
            raise LakeError(f"zone {spec.name}: cannot filter on unknown column {col!r}")
        if col not in spec.partition_by:
            mask = frame[col].map(lambda value, o=op, w=wanted: bool(_OPS[o](value, w)))
            frame = frame[mask.astype(bool)]
    return frame.reset_index(drop=True)
