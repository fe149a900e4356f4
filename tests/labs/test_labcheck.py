"""The labs' check helpers (the Spark ones run in the lab test, tests/notebooks)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from fmslab.labcheck import (
    RowLoopError,
    attempt_name,
    fresh_dir,
    fresh_topic,
    on_whole_columns,
    produce_readings,
    topic_records,
)

COLUMNS = (pd.Series([80.0, None, 95.0]), pd.Series([90.0, 10.0, None]))


def test_every_attempt_gets_a_name_and_a_folder_of_its_own(tmp_path: Path):
    names = {attempt_name("lab07-group") for _ in range(50)}
    assert len(names) == 50 and all(n.startswith("lab07-group-") for n in names)
    first, second = fresh_dir(tmp_path / "attempts", "checkpoint"), fresh_dir(tmp_path, "x")
    assert first != second and first.is_dir() and not any(first.iterdir())
    assert first.parent == tmp_path / "attempts" and first.name.startswith("checkpoint-")


def test_a_vectorised_function_runs_on_whole_columns():
    def near(a: pd.Series, b: pd.Series) -> pd.Series:
        return (a.astype(float) > 85).astype(int) + (pd.concat([a, b], axis=1) > 85).sum(axis=1)

    assert on_whole_columns(near, *COLUMNS).tolist() == [1, 0, 2]


@pytest.mark.parametrize(
    "loop",
    [
        lambda a, b: pd.Series([int(v > 85) for v in a]),
        lambda a, b: pd.Series([int(x > y) for x, y in zip(a, b, strict=True)]),
        lambda a, b: a.apply(lambda v: int(v > 85)),
        lambda a, b: a.map(lambda v: int(v > 85)),
        lambda a, b: pd.Series([int(v > 85) for v in a.tolist()]),
        lambda a, b: pd.concat([a, b], axis=1).apply(lambda row: int(row.iloc[0] > 85), axis=1),
        lambda a, b: pd.Series(
            [int(r.iloc[0] > 85) for _, r in pd.concat([a, b], axis=1).iterrows()]
        ),
    ],
)
def test_a_loop_over_values_fails_with_the_vectorise_hint(loop):
    with pytest.raises(RowLoopError, match="Hint: vectorise it"):
        on_whole_columns(loop, *COLUMNS)


def test_each_attempt_reads_exactly_its_own_topic(broker: str):
    readings = [{"DeviceId": d, "time": f"t{i}"} for i in range(30) for d in (1, 2, 3)]
    first = fresh_topic(broker, "lab-check", partitions=3)
    positions = produce_readings(broker, first, [*readings, "not json"])
    second = fresh_topic(broker, "lab-check", partitions=3)  # a re-run of the same check
    produce_readings(broker, second, readings[:5])
    assert first != second and len(set(positions)) == len(readings) + 1
    records = topic_records(broker, first)
    assert sorted((r.partition, r.offset) for r in records) == sorted(positions)
    assert len(topic_records(broker, second)) == 5
    assert {r.key for r in records} == {b"1", b"2", b"3", None}  # keyed by DeviceId
