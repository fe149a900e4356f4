"""The stack's lake: HDFS through its WebHDFS REST API (the `hdfs` package's client)."""

from __future__ import annotations

import posixpath
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import requests
from hdfs import HdfsError, InsecureClient

from fmslab.lake.interface import Entry, Lake, LakeError, Usage, clean_path


class HdfsLake(Lake):
    """A lake under `root` on HDFS, reached at the namenode's WebHDFS `url`."""

    def __init__(
        self, url: str, root: str = "/fms", user: str | None = None, timeout: float = 30.0
    ) -> None:
        if not root.startswith("/"):
            raise LakeError(f"the HDFS lake root must be absolute, not {root!r}")
        self.url = url.rstrip("/")
        self.root = posixpath.normpath(root)
        self.location = f"{self.url}/webhdfs/v1{self.root}"
        # The client resolves relative paths against `root`, so lake paths pass through as they are.
        self.client = InsecureClient(self.url, user=user, root=self.root, timeout=timeout)

    def __repr__(self) -> str:
        return f"HdfsLake({self.url!r}, {self.root!r})"

    @contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        # The client raises HdfsError (a RemoteException) or requests' errors; callers get one type.
        try:
            yield
        except HdfsError as err:
            raise LakeError(f"{what}: {err}") from err
        except requests.RequestException as err:
            raise self._unreachable(what, err) from err

    def _unreachable(self, what: str, err: requests.RequestException) -> LakeError:
        # CREATE and OPEN are redirected to the datanode by its host name; outside the stack's
        # network that name does not resolve: the classic failure, which deserves its fix.
        host = _unresolved_redirect(err, urlparse(self.url).hostname)
        if host is None:
            return LakeError(f"{what}: cannot reach WebHDFS at {self.url} ({err})")
        return LakeError(
            f"{what}: the namenode redirected the data to datanode host {host!r}, which this "
            f"machine cannot resolve. Run this inside the stack's network (the jupyter container, "
            f"FMSLAB_HDFS_URL=http://namenode:9870), or on the host add `127.0.0.1 {host}` to "
            "/etc/hosts (the stack publishes the datanode's port 9864 on 127.0.0.1)"
        )

    @staticmethod
    def _entry(path: str, status: dict) -> Entry:
        if status["type"] == "DIRECTORY":
            return Entry(path, "directory", 0)
        return Entry(path, "file", int(status["length"]))

    def mkdir(self, path: str) -> None:
        """Create a directory and its parents (no error when it exists)."""
        path = clean_path(path)
        with self._errors(f"mkdir {path or '/'}"):
            self.client.makedirs(path or ".")

    def stat(self, path: str) -> Entry | None:
        """The file or directory at `path`, or None when nothing is there."""
        path = clean_path(path)
        with self._errors(f"stat {path or '/'}"):
            status = self.client.status(path or ".", strict=False)
        return None if status is None else self._entry(path, status)

    def ls(self, path: str = "") -> list[Entry]:
        """The entries of a directory, sorted by name, with sizes; a file lists itself."""
        path = clean_path(path)
        entry = self.stat(path)
        if entry is None:
            if not path:
                return []  # the root is created by the first write
            raise LakeError(f"no such file or directory in the lake: {path}")
        if entry.is_file:
            return [entry]
        with self._errors(f"ls {path or '/'}"):
            listing = self.client.list(path or ".", status=True)
        return sorted(
            (self._entry(posixpath.join(path, name), status) for name, status in listing),
            key=lambda e: e.path,
        )

    def delete(self, path: str, recursive: bool = False) -> bool:
        """Delete a file or directory; False when nothing was there."""
        path = clean_path(path)
        if not path:
            raise LakeError("refusing to delete the lake root")
        with self._errors(f"delete {path}"):
            return bool(self.client.delete(path, recursive=recursive))

    def _move(self, source: str, target: str) -> None:
        with self._errors(f"rename {source} -> {target}"):
            self.client.rename(source, target)

    def du(self, path: str = "") -> Usage:
        """Bytes, files and directories under a path (GETCONTENTSUMMARY)."""
        path = clean_path(path)
        with self._errors(f"du {path or '/'}"):
            summary = self.client.content(path or ".")
        return Usage(int(summary["length"]), summary["fileCount"], summary["directoryCount"])

    def create_new(self, path: str, data: bytes) -> bool:
        """Create a file only if nothing is at `path` (CREATE overwrite=false); False if it is."""
        path = clean_path(path)
        try:
            self.client.write(path, data=data, overwrite=False)
        except HdfsError as err:
            if err.exception == "FileAlreadyExistsException":
                return False
            raise LakeError(f"create {path}: {err}") from err
        except requests.RequestException as err:
            raise self._unreachable(f"create {path}", err) from err
        return True

    def _read(self, path: str) -> bytes:
        with self._errors(f"cat {path}"), self.client.read(path) as reader:
            return reader.read()

    def _upload(self, local: Path, path: str) -> None:
        # CREATE makes the missing parent directories, as HDFS does.
        with self._errors(f"put {path}"), open(local, "rb") as data:
            self.client.write(path, data=data, overwrite=False)


def _unresolved_redirect(err: requests.RequestException, namenode: str | None) -> str | None:
    """The host a redirect sent the client to, when it is not the namenode and does not resolve."""
    url = getattr(err.request, "url", None) if err.request is not None else None
    host = urlparse(url).hostname if url else None
    if not isinstance(err, requests.ConnectionError) or host in (None, namenode):
        return None
    try:
        socket.getaddrinfo(host, None)
    except socket.gaierror:
        return host
    return None
