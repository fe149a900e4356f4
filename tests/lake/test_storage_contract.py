"""The storage contract, run on both backends: local directory and HDFS over WebHDFS."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from fmslab.lake.storage import Lake, LakeError


def test_mkdir_put_ls_cat(lake: Lake, tmp_path: Path) -> None:
    local = tmp_path / "reading.json"
    local.write_text('{"DeviceId": 1, "sensor1": 80.5}\n', encoding="utf-8")
    lake.mkdir("raw/samples")
    lake.mkdir("raw/samples")  # again: no error
    stored = lake.put(local, "raw/samples")  # into a directory: keeps the file name
    assert stored == "raw/samples/reading.json"
    entries = lake.ls("raw/samples")
    assert [(e.path, e.kind, e.size) for e in entries] == [
        ("raw/samples/reading.json", "file", local.stat().st_size)
    ]
    assert lake.cat(stored) == local.read_bytes()
    assert lake.cat_text(stored) == local.read_text(encoding="utf-8")
    assert [e.name for e in lake.ls("")] == ["raw"]
    assert lake.ls(stored)[0].path == stored  # a file lists itself


def test_put_refuses_to_overwrite_unless_asked(lake: Lake, tmp_path: Path) -> None:
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_bytes(b"first")
    second.write_bytes(b"second, longer")
    lake.put(first, "docs/note.txt")
    with pytest.raises(LakeError, match="already exists"):
        lake.put(second, "docs/note.txt")
    assert lake.cat("docs/note.txt") == b"first"
    lake.put(second, "docs/note.txt", overwrite=True)
    assert lake.cat("docs/note.txt") == b"second, longer"
    # no staging file is left behind by the atomic upload
    assert [e.name for e in lake.ls("docs")] == ["note.txt"]


def test_du_counts_bytes_files_and_directories(lake: Lake) -> None:
    lake.write_bytes("zone/a/one.bin", b"x" * 100)
    lake.write_bytes("zone/a/two.bin", b"y" * 50)
    lake.write_bytes("zone/b/three.bin", b"z" * 7)
    usage = lake.du("zone")
    assert (usage.bytes, usage.files, usage.directories) == (157, 3, 3)  # zone, a, b
    assert lake.du("zone/a/one.bin").bytes == 100
    assert lake.du("").bytes == 157


def test_exists_delete_and_rename(lake: Lake) -> None:
    lake.write_bytes("d/sub/f.txt", b"data")
    assert lake.exists("d/sub/f.txt") and lake.is_dir("d/sub") and not lake.is_dir("d/sub/f.txt")
    assert not lake.exists("d/nothing")
    lake.rename("d/sub/f.txt", "d/g.txt")
    assert not lake.exists("d/sub/f.txt") and lake.cat("d/g.txt") == b"data"
    with pytest.raises(LakeError):
        lake.rename("d/g.txt", "d/sub")  # target exists
    with pytest.raises(LakeError, match="non.empty|not empty"):
        lake.delete("d")
    assert lake.delete("d/g.txt") is True
    assert lake.delete("d/g.txt") is False
    assert lake.delete("d", recursive=True) is True
    assert not lake.exists("d")


def test_missing_paths_and_bad_paths_give_clear_errors(lake: Lake, tmp_path: Path) -> None:
    with pytest.raises(LakeError):
        lake.cat("no/such/file")
    with pytest.raises(LakeError):
        lake.ls("no/such/dir")
    with pytest.raises(LakeError, match="absolute"):
        lake.cat("/etc/passwd")
    with pytest.raises(LakeError, match="leaves the lake root"):
        lake.ls("../outside")
    with pytest.raises(LakeError, match="no such local file"):
        lake.put(tmp_path / "missing.txt", "x")
    with pytest.raises(LakeError, match="root"):
        lake.delete("", recursive=True)
    lake.write_bytes("plain", b"a file")
    with pytest.raises(LakeError):
        lake.write_bytes("plain/below", b"a file cannot hold files")


def test_pyarrow_writes_and_reads_parquet_through_open(lake: Lake) -> None:
    table = pa.table({"DeviceId": [1, 2, 3], "sensor1": [80.5, 81.25, 79.0]})
    with lake.open("t/readings.snappy.parquet", "wb") as handle:
        pq.write_table(table, handle, compression="snappy")
    with lake.open("t/readings.snappy.parquet") as handle:
        back = pq.read_table(handle)
        meta = pq.ParquetFile(handle).metadata
    assert back.equals(table)
    assert meta.row_group(0).column(0).compression == "SNAPPY"
    # a failed write leaves nothing behind: readers never see half a file
    with pytest.raises(RuntimeError), lake.open("t/broken.parquet", "wb") as handle:
        handle.write(b"PAR1 half a file")
        raise RuntimeError("writer crashed")
    assert [e.name for e in lake.ls("t")] == ["readings.snappy.parquet"]
    # pandas through the same file object
    with lake.open("t/frame.parquet", "wb") as handle:
        pd.DataFrame({"a": [1, 2]}).to_parquet(handle)
    with lake.open("t/frame.parquet") as handle:
        assert pd.read_parquet(handle)["a"].tolist() == [1, 2]


def test_create_new_is_create_if_absent(lake: Lake) -> None:
    assert lake.create_new("locks/one.lock", b"first") is True
    assert lake.create_new("locks/one.lock", b"second") is False
    assert lake.cat("locks/one.lock") == b"first"
