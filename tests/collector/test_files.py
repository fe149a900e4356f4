"""Spool, landing archive and quarantine files: durable, ordered, nothing dropped silently."""

from __future__ import annotations

import json
from pathlib import Path

from fmslab.collector.archive import LandingArchive, archive_path, iter_archive
from fmslab.collector.poller import parse_retry_after
from fmslab.collector.quarantine import QuarantineFile
from fmslab.collector.spool import Spool


def _reading(n: int, hour: str = "14") -> dict:
    return {
        "DeviceId": n % 5 + 1,
        "reading_id": f"r{n}",
        "collected_at": f"2024-01-15T{hour}:00:0{n % 10}.000Z",
    }


def test_spool_keeps_order_and_survives_reopening(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    spool.append([_reading(i) for i in range(3)])
    spool.append([_reading(3)])
    reopened = Spool(tmp_path)
    assert reopened.depth == 4
    assert [r["reading_id"] for r in reopened.read()] == ["r0", "r1", "r2", "r3"]


def test_spool_keeps_unacknowledged_readings_ahead_of_later_ones(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    spool.append([_reading(i) for i in range(4)])
    replayed = spool.read()
    spool.append([_reading(9)])  # arrived during the replay
    spool.keep_only([replayed[2]], replayed=len(replayed))
    assert [r["reading_id"] for r in spool.read()] == ["r2", "r9"]
    assert spool.depth == 2
    spool.keep_only([], replayed=2)
    assert spool.depth == 0 and spool.read() == []


def test_spool_moves_torn_lines_aside(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    spool.append([_reading(1)])
    with open(spool.path, "a") as handle:
        handle.write('{"reading_id": "r2", "Devi')  # a crash mid-write
    assert [r["reading_id"] for r in Spool(tmp_path).read()] == ["r1"]
    aside = [json.loads(line) for line in spool.corrupt_path.read_text().splitlines()]
    assert aside[0]["raw"].startswith('{"reading_id": "r2"') and aside[0]["reason"]


def test_archive_writes_hour_files_by_collection_time(tmp_path: Path) -> None:
    archive = LandingArchive(tmp_path)
    archive.append([_reading(1, "14"), _reading(2, "15"), _reading(3, "14")])
    assert archive_path(tmp_path, "2024-01-15T14:00:01.000Z") == (
        tmp_path / "date=2024-01-15" / "hour=14.jsonl"
    )
    assert len((tmp_path / "date=2024-01-15" / "hour=14.jsonl").read_text().splitlines()) == 2
    assert sorted(r["reading_id"] for r in iter_archive(tmp_path)) == ["r1", "r2", "r3"]
    assert archive.written == 3


def test_quarantine_records_raw_payload_and_reason(tmp_path: Path) -> None:
    path = tmp_path / "q" / "quarantine.jsonl"
    QuarantineFile(path).put(device=2, url="http://x/2/", reason="missing time", raw='{"a":1}')
    record = json.loads(path.read_text())
    assert record["device"] == 2 and record["reason"] == "missing time"
    assert record["raw"] == '{"a":1}' and record["quarantined_at"].endswith("Z")


def test_retry_after_in_seconds_or_as_a_date_is_capped() -> None:
    assert parse_retry_after("1", cap=30) == 1.0
    assert parse_retry_after("120", cap=30) == 30
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", cap=30) == 0.0  # in the past
    assert parse_retry_after("soon", cap=30) is None
    assert parse_retry_after(None, cap=30) is None
