"""The lake's storage interface, which both backends implement (`local`, `webhdfs`).

Paths are POSIX-style and relative to the lake root (`processed/device_id=1/date=2024-01-15`);
an absolute path or one that climbs out of the root (`..`) is refused with a `LakeError`.
"""

from __future__ import annotations

import posixpath
import tempfile
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal


class LakeError(RuntimeError):
    """A lake operation failed: missing path, bad path, refused write, unreachable backend."""


@dataclass(frozen=True)
class Entry:
    """One file or directory of the lake."""

    path: str  # relative to the lake root
    kind: Literal["file", "directory"]
    size: int  # bytes (0 for directories)

    @property
    def name(self) -> str:
        """The last component of the path."""
        return posixpath.basename(self.path)

    @property
    def is_file(self) -> bool:
        """Whether this is a file."""
        return self.kind == "file"


@dataclass(frozen=True)
class Usage:
    """Space used under a path: bytes, files and directories (the directory itself included)."""

    bytes: int
    files: int
    directories: int


def clean_path(path: str) -> str:
    """Normalise a lake path; refuse absolute paths and paths outside the root."""
    text = str(path).replace("\\", "/").strip()
    if text.startswith("/"):
        raise LakeError(f"lake paths are relative to the lake root, not absolute: {path!r}")
    norm = posixpath.normpath(text) if text else "."
    if norm == ".." or norm.startswith("../"):
        raise LakeError(f"path leaves the lake root: {path!r}")
    return "" if norm == "." else norm


def hidden(name: str) -> bool:
    """Whether a file is bookkeeping, not data (Hive/Spark skip names starting with _ or .)."""
    return name.startswith(("_", "."))


class Lake(ABC):
    """The operations the course needs on the lake, the same on every backend."""

    #: where the root lives, for display (`/abs/lake` or `hdfs://namenode:9870/fms`)
    location: str

    @abstractmethod
    def mkdir(self, path: str) -> None:
        """Create a directory and its parents (no error when it exists)."""

    @abstractmethod
    def ls(self, path: str = "") -> list[Entry]:
        """The entries of a directory, sorted by name, with sizes; a file lists itself."""

    @abstractmethod
    def stat(self, path: str) -> Entry | None:
        """The file or directory at `path`, or None when nothing is there."""

    @abstractmethod
    def delete(self, path: str, recursive: bool = False) -> bool:
        """Delete a file or directory; False when nothing was there."""

    def rename(self, source: str, target: str) -> None:
        """Move a file atomically; the target must not exist and its parent must."""
        source, target = clean_path(source), clean_path(target)
        # HDFS would move the source *into* an existing directory; the interface refuses instead.
        if self.exists(target):
            raise LakeError(f"cannot rename to {target}: it exists")
        self._move(source, target)

    @abstractmethod
    def _move(self, source: str, target: str) -> None:
        """Rename `source` to `target` (which does not exist)."""

    @abstractmethod
    def du(self, path: str = "") -> Usage:
        """Bytes, files and directories under a path."""

    @abstractmethod
    def _read(self, path: str) -> bytes: ...

    @abstractmethod
    def _upload(self, local: Path, path: str) -> None:
        """Copy a local file to `path` (which does not exist yet), creating its parents."""

    @abstractmethod
    def create_new(self, path: str, data: bytes) -> bool:
        """Create a file only if nothing is at `path`, atomically; False when it already exists.

        Two processes racing to create the same path: exactly one gets True (used as a lock).
        """

    def cat(self, path: str) -> bytes:
        """The bytes of a file."""
        return self._read(clean_path(path))

    def cat_text(self, path: str, encoding: str = "utf-8") -> str:
        """The text of a file."""
        return self.cat(path).decode(encoding)

    def put(self, local: str | Path, path: str, overwrite: bool = False) -> str:
        """Upload a local file to `path` (into it when `path` is a directory); returns the path."""
        local = Path(local)
        if not local.is_file():
            raise LakeError(f"no such local file: {local}")
        path = clean_path(path)
        if self.is_dir(path):
            path = posixpath.join(path, local.name)
        self._commit(local, path, overwrite)
        return path

    def write_bytes(self, path: str, data: bytes, overwrite: bool = False) -> str:
        """Write `data` to a file atomically (readers see all of it or nothing)."""
        with self.open(path, "wb", overwrite=overwrite) as handle:
            handle.write(data)
        return clean_path(path)

    def exists(self, path: str) -> bool:
        """Whether a file or directory exists."""
        return self.stat(path) is not None

    def is_dir(self, path: str) -> bool:
        """Whether `path` is a directory."""
        entry = self.stat(path)
        return entry is not None and not entry.is_file

    def walk(self, path: str = "") -> Iterator[Entry]:
        """Every file under `path`, depth first, in name order."""
        for entry in self.ls(path):
            if entry.is_file:
                yield entry
            else:
                yield from self.walk(entry.path)

    @contextmanager
    def open(
        self, path: str, mode: Literal["rb", "wb"] = "rb", overwrite: bool = False
    ) -> Iterator[IO[bytes]]:
        """A binary file object for pyarrow or pandas (`pq.write_table(t, f)`, `pq.read_table(f)`).

        Reading gives a seekable in-memory copy. Writing goes to a local spool file that is
        uploaded under a hidden name and renamed into place when the block ends without error,
        so a reader never sees a half-written file, on either backend.
        """
        path = clean_path(path)
        if mode == "rb":
            import io

            with io.BytesIO(self._read(path)) as handle:
                yield handle
            return
        if mode != "wb":
            raise LakeError(f"open() mode must be 'rb' or 'wb', not {mode!r}")
        with tempfile.NamedTemporaryFile(prefix="fmslab-lake-", delete=False) as spool:
            spool_path = Path(spool.name)
            try:
                yield spool
            except BaseException:
                spool.close()
                spool_path.unlink(missing_ok=True)
                raise
        try:
            self._commit(spool_path, path, overwrite)
        finally:
            spool_path.unlink(missing_ok=True)

    def _commit(self, local: Path, path: str, overwrite: bool) -> None:
        # Upload under a hidden name, then rename: the rename is atomic on both backends.
        existing = self.stat(path)
        if existing is not None:
            if not existing.is_file:
                raise LakeError(f"{path} is a directory, not a file")
            if not overwrite:
                raise LakeError(f"{path} already exists (pass overwrite=True to replace it)")
        parent = posixpath.dirname(path)
        staging = posixpath.join(parent, f".{posixpath.basename(path)}.{uuid.uuid4().hex}.tmp")
        self._upload(local, staging)
        try:
            if existing is not None:
                self.delete(path)
            self._move(staging, path)
        except BaseException:
            self.delete(staging)
            raise
