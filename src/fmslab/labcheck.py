"""Helpers for the labs' check cells: state of their own per attempt, and structural checks.

In Jupyter a student runs a wrong answer, then a right one, then the check again, all in one
kernel. A check therefore never reuses what an earlier attempt left behind: each run gets a new
topic, consumer group or folder (`fresh_topic`, `attempt_name`, `fresh_dir`) and reads exactly
what this attempt wrote. Some mistakes a hint names cannot be seen in the values an answer
returns (a Counter instead of Spark, a loop instead of whole columns, a constant instead of a
measurement): `derives_from`, `shuffles`, `is_pandas_udf` and `on_whole_columns` look at how the
answer computed them. `BatchRecorder` and `run_to_end` let a check drive a student's streaming
query and see every row of every micro-batch.
"""

from __future__ import annotations

import itertools
import re
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pandas as pd

_ATTEMPTS = itertools.count(1)


class RowLoopError(AssertionError):
    """An answer that should work on whole columns touched their values one by one."""


# --- state of its own per attempt --------------------------------------------------------------


def attempt_name(prefix: str) -> str:
    """A name no earlier attempt used (a topic, a consumer group): `<prefix>-<n>-<random>`."""
    # The counter keeps names readable and ordered; the random part keeps them unique across
    # kernels that share a broker (the stack's Kafka outlives a notebook).
    return f"{prefix}-{next(_ATTEMPTS)}-{uuid.uuid4().hex[:6]}"


def fresh_dir(parent: str | Path, prefix: str) -> Path:
    """A new, empty folder under `parent` (checkpoints, lake output) for one attempt."""
    Path(parent).mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f"{prefix}-", dir=parent))


def fresh_topic(
    bootstrap: str, prefix: str, *, partitions: int = 1, replication: int = 1, timeout: float = 10
) -> str:
    """Create a topic no earlier attempt used; returns its name once the broker serves it."""
    from kafka import KafkaAdminClient
    from kafka.admin import NewTopic

    from fmslab.broker.offsets import OffsetsError, end_offsets

    name = attempt_name(prefix)
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        admin.create_topics([NewTopic(name, partitions, replication)])
    finally:
        admin.close()
    deadline = time.monotonic() + timeout
    while True:  # metadata reaches every broker a moment after CreateTopics answers
        try:
            if len(end_offsets(bootstrap, name)) == partitions:
                return name
        except OffsetsError:
            pass
        if time.monotonic() > deadline:
            raise OffsetsError(f"topic {name!r} was created but is not served after {timeout}s")
        time.sleep(0.1)


def _key(item: Any) -> Any:
    return item.get("DeviceId") if isinstance(item, dict) else None  # a malformed body: no key


def produce_readings(bootstrap: str, topic: str, readings: Iterable[Any]) -> list[tuple[int, int]]:
    """Produce readings keyed by DeviceId (other items as they are); (partition, offset) of each.

    The check's own producer, so a check never depends on the student's producer being right.
    """
    from fmslab.broker.clients import make_producer

    producer = make_producer(bootstrap)
    try:
        futures = [producer.send(topic, key=_key(item), value=item) for item in readings]
        producer.flush()
        delivered = [future.get(timeout=30) for future in futures]
    finally:
        producer.close()
    return [(meta.partition, meta.offset) for meta in delivered]


def topic_records(bootstrap: str, topic: str) -> list[Any]:
    """Every record of `topic`, from its start to its end offsets now (exact on Tansu too)."""
    from fmslab.broker.consumers import read_topic

    return list(read_topic(bootstrap, topic))


# --- how an answer was computed ----------------------------------------------------------------


def is_spark_dataframe(value: object) -> bool:
    """Whether `value` is a Spark DataFrame (not pandas, not a list)."""
    from pyspark.sql import DataFrame

    return isinstance(value, DataFrame)


def lineage(rdd: Any) -> str:
    """The RDD's lineage as Spark prints it (`toDebugString`)."""
    text = rdd.toDebugString()
    return text.decode() if isinstance(text, bytes) else str(text)


def derives_from(rdd: Any, source: Any) -> bool:
    """Whether `rdd` is computed by Spark from `source` (source is in its lineage).

    An RDD made with `sc.parallelize(...)` from values collected to the driver does not derive
    from the RDD those values came from.
    """
    from pyspark import RDD

    if not isinstance(rdd, RDD):
        return False
    return re.search(rf"\[{source.id()}\]", lineage(rdd)) is not None


def shuffles(rdd: Any) -> bool:
    """Whether computing `rdd` shuffles (reduceByKey, groupByKey, partitionBy ...)."""
    return "ShuffledRDD" in lineage(rdd)


def is_pandas_udf(udf: object) -> bool:
    """Whether `udf` is a scalar pandas UDF (whole Arrow batches), not a row-at-a-time `udf`."""
    from pyspark.util import PythonEvalType

    return getattr(udf, "evalType", None) == PythonEvalType.SQL_SCALAR_PANDAS_UDF


def _refuse(name: str) -> Callable[..., Any]:
    def refused(self: pd.Series, *args: Any, **kwargs: Any) -> Any:
        raise RowLoopError(
            f"Hint: vectorise it: `{name}` goes through the values one by one; compare and add "
            "whole Series instead (s > limit, .astype(int), a + b)."
        )

    return refused


class WholeColumn(pd.Series):
    """A pandas Series that refuses element-by-element access (iteration, apply, map, tolist).

    Arithmetic, comparisons and `astype` on it work as usual and give a WholeColumn again, so a
    vectorised function runs unchanged, and a loop over rows fails with a hint.
    """

    @property
    def _constructor(self) -> type[WholeColumn]:
        return WholeColumn

    @property
    def _constructor_expanddim(self) -> type[WholeFrame]:
        return WholeFrame

    __iter__ = _refuse("for value in series")
    items = _refuse("series.items()")
    apply = _refuse("series.apply")
    map = _refuse("series.map")
    tolist = _refuse("series.tolist()")
    to_list = _refuse("series.to_list()")


class WholeFrame(pd.DataFrame):
    """The DataFrame of WholeColumns (pd.concat of them): refuses row loops too."""

    @property
    def _constructor(self) -> type[WholeFrame]:
        return WholeFrame

    @property
    def _constructor_sliced(self) -> type[WholeColumn]:
        return WholeColumn

    apply = _refuse("frame.apply")
    iterrows = _refuse("frame.iterrows()")
    itertuples = _refuse("frame.itertuples()")


def on_whole_columns(func: Callable[..., Any], *columns: pd.Series) -> pd.Series:
    """Call `func` once on whole columns that refuse row loops; returns its result as a Series.

    Raises RowLoopError (an AssertionError with a hint) when `func` loops over values.
    """
    result = func(*(WholeColumn(c) for c in columns))
    return pd.Series(result)


# --- driving a student's streaming query -------------------------------------------------------


class BatchRecorder:
    """A `foreachBatch` function that keeps `columns` of every row of every micro-batch."""

    def __init__(self, *columns: str) -> None:
        self.columns = columns
        self.batches: list[tuple[int, list[tuple]]] = []
        self.seen_columns: list[str] = []

    def __call__(self, batch: Any, batch_id: int) -> None:
        self.seen_columns = list(batch.columns)
        if set(self.columns) <= set(batch.columns):
            rows = [tuple(row) for row in batch.select(*self.columns).collect()]
        else:  # the check reports the missing columns with a hint
            rows = [()] * batch.count()
        self.batches.append((batch_id, rows))

    @property
    def rows(self) -> list[tuple]:
        """Every recorded row, batch after batch."""
        return [row for _, rows in self.batches for row in rows]

    @property
    def missing(self) -> list[str]:
        """The asked-for columns the query's rows lacked."""
        return [c for c in self.columns if self.seen_columns and c not in self.seen_columns]


def run_to_end(
    query: Any, recorder: BatchRecorder, expected: int, *, timeout: float = 120, grace: float = 10
) -> bool:
    """Wait for `query` to end by itself; True if it did, False if it had to be stopped.

    A query started with `trigger(availableNow=True)` ends once it has read what the topic held.
    One that keeps running is stopped `grace` seconds after `recorder` has seen `expected` rows
    (or after `timeout`), so a wrong trigger costs seconds, not a hung cell. A failed query
    raises its error.
    """
    deadline = time.monotonic() + timeout
    complete_at: float | None = None
    try:
        while time.monotonic() < deadline:
            if query.awaitTermination(0.5):
                return True
            if complete_at is None and len(recorder.rows) >= expected:
                complete_at = time.monotonic()
            if complete_at is not None and time.monotonic() - complete_at > grace:
                break
        return False
    finally:
        if query.isActive:
            query.stop()
