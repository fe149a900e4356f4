"""The embedded lake: a local directory with the same layout as HDFS."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from fmslab.lake.interface import Entry, Lake, LakeError, Usage, clean_path


class LocalLake(Lake):
    """A lake in a local directory (created on first use)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self.location = str(self.root)

    def __repr__(self) -> str:
        return f"LocalLake({self.location!r})"

    def _local(self, path: str) -> Path:
        return self.root / clean_path(path) if clean_path(path) else self.root

    def _entry(self, local: Path) -> Entry:
        rel = local.relative_to(self.root).as_posix()
        if local.is_dir():
            return Entry("" if rel == "." else rel, "directory", 0)
        return Entry(rel, "file", local.stat().st_size)

    def mkdir(self, path: str) -> None:
        """Create a directory and its parents (no error when it exists)."""
        local = self._local(path)
        if local.is_file():
            raise LakeError(f"{clean_path(path)} is a file, not a directory")
        local.mkdir(parents=True, exist_ok=True)

    def stat(self, path: str) -> Entry | None:
        """The file or directory at `path`, or None when nothing is there."""
        local = self._local(path)
        return self._entry(local) if local.exists() else None

    def ls(self, path: str = "") -> list[Entry]:
        """The entries of a directory, sorted by name, with sizes; a file lists itself."""
        local = self._local(path)
        if not local.exists():
            raise LakeError(f"no such file or directory in the lake: {clean_path(path) or '/'}")
        if local.is_file():
            return [self._entry(local)]
        return [self._entry(child) for child in sorted(local.iterdir())]

    def delete(self, path: str, recursive: bool = False) -> bool:
        """Delete a file or directory; False when nothing was there."""
        local = self._local(path)
        if local == self.root:
            raise LakeError("refusing to delete the lake root")
        if not local.exists():
            return False
        if local.is_file():
            local.unlink()
        elif recursive:
            shutil.rmtree(local)
        elif any(local.iterdir()):
            raise LakeError(f"{clean_path(path)} is a non-empty directory (use recursive=True)")
        else:
            local.rmdir()
        return True

    def _move(self, source: str, target: str) -> None:
        src, dst = self._local(source), self._local(target)
        if not src.exists():
            raise LakeError(f"cannot rename {source}: it does not exist")
        if not dst.parent.is_dir():
            raise LakeError(f"cannot rename to {target}: no parent directory")
        os.rename(src, dst)  # atomic within one file system

    def du(self, path: str = "") -> Usage:
        """Bytes, files and directories under a path."""
        local = self._local(path)
        if not local.exists():
            raise LakeError(f"no such file or directory in the lake: {clean_path(path) or '/'}")
        if local.is_file():
            return Usage(local.stat().st_size, 1, 0)
        size = files = 0
        directories = 1
        for _dir, dirs, names in os.walk(local):
            directories += len(dirs)
            files += len(names)
            size += sum((Path(_dir) / name).stat().st_size for name in names)
        return Usage(size, files, directories)

    def create_new(self, path: str, data: bytes) -> bool:
        """Create a file only if nothing is at `path` (O_EXCL); False when it already exists."""
        target = self._local(path)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return False
        except OSError as err:
            raise LakeError(f"cannot create {clean_path(path)}: {err}") from err
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        return True

    def _read(self, path: str) -> bytes:
        local = self._local(path)
        if not local.is_file():
            raise LakeError(f"no such file in the lake: {path or '/'}")
        return local.read_bytes()

    def _upload(self, local: Path, path: str) -> None:
        target = self._local(path)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(local, target)
        except OSError as err:  # e.g. a parent that is a file
            raise LakeError(f"cannot write {path}: {err}") from err
