"""Durable JSON-lines files: append with fsync, read back, replace atomically."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any


def dumps(record: dict[str, Any]) -> str:
    """One record as a compact JSON line (no trailing newline)."""
    return json.dumps(record, separators=(",", ":"), ensure_ascii=False, default=str)


def append_lines(path: Path, lines: Iterable[str]) -> int:
    """Append lines to `path` and fsync, so they survive a crash once this returns."""
    text = "".join(line + "\n" for line in lines)
    if not text:
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    return text.count("\n")


def replace_lines(path: Path, lines: Iterable[str]) -> None:
    """Replace the file's content atomically (write aside, fsync, rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.writelines(line + "\n" for line in lines)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def read_records(path: Path) -> Iterator[dict[str, Any] | str]:
    """Each line of `path` as a dict, or as the raw text when it is not a JSON object."""
    if not path.is_file():
        return
    with open(path, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            line = line.rstrip("\n")
            if not line:
                continue
            try:
                record = json.loads(line)
            except ValueError:
                yield line
                continue
            yield record if isinstance(record, dict) else line
