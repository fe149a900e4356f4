"""A small WebHDFS stand-in over a local directory, for testing the HDFS lake without Hadoop.

It serves the REST operations the `hdfs` client uses, with the status codes and JSON bodies of
the WebHDFS REST API documentation: MKDIRS, CREATE (two steps: the namenode answers 307 with a
datanode Location, the data goes to the datanode, which answers 201), OPEN (redirected to the
datanode, with offset/length), GETFILESTATUS, LISTSTATUS, GETCONTENTSUMMARY, GETHOMEDIRECTORY,
DELETE and RENAME. Errors are RemoteException objects. The "namenode" and the "datanode" listen
on two ports of one process, so a client that ignored the redirect would fail.

`--datanode-host NAME` makes the namenode redirect to `http://NAME:DN_PORT`, as a real namenode
names its datanode by host name: with a name the client cannot resolve (the stack's `datanode`,
seen from outside the Compose network) it reproduces the failure students hit.

Run: python webhdfs_standin.py --root DIR --port NN_PORT --datanode-port DN_PORT [--datanode-host H]
"""

from __future__ import annotations

import argparse
import os
import shutil
import threading
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import uvicorn
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

BLOCK_SIZE = 128 * 1024 * 1024
EXCEPTIONS = {
    "FileNotFoundException": ("java.io.FileNotFoundException", 404),
    "FileAlreadyExistsException": ("org.apache.hadoop.fs.FileAlreadyExistsException", 403),
    "PathIsNotEmptyDirectoryException": (
        "org.apache.hadoop.fs.PathIsNotEmptyDirectoryException",
        403,
    ),
    "ParentNotDirectoryException": ("org.apache.hadoop.fs.ParentNotDirectoryException", 403),
    "IllegalArgumentException": ("java.lang.IllegalArgumentException", 400),
    "UnsupportedOperationException": ("java.lang.UnsupportedOperationException", 400),
}


class RemoteError(Exception):
    """An error answered as a WebHDFS RemoteException."""

    def __init__(self, exception: str, message: str) -> None:
        super().__init__(message)
        self.exception = exception
        self.message = message


def remote_exception(err: RemoteError) -> JSONResponse:
    java_class, status = EXCEPTIONS[err.exception]
    body = {
        "RemoteException": {
            "exception": err.exception,
            "javaClassName": java_class,
            "message": err.message,
        }
    }
    return JSONResponse(body, status_code=status)


class Namespace:
    """The HDFS namespace, kept as a local directory tree."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def local(self, hdfs_path: str) -> Path:
        norm = os.path.normpath("/" + hdfs_path.lstrip("/"))
        return self.root / norm.lstrip("/")

    def require(self, hdfs_path: str) -> Path:
        local = self.local(hdfs_path)
        if not local.exists():
            raise RemoteError("FileNotFoundException", f"File does not exist: {hdfs_path}")
        return local

    @staticmethod
    def status(local: Path, suffix: str) -> dict[str, Any]:
        info = local.stat()
        is_dir = local.is_dir()
        return {
            "accessTime": 0 if is_dir else int(info.st_atime * 1000),
            "blockSize": 0 if is_dir else BLOCK_SIZE,
            "childrenNum": len(os.listdir(local)) if is_dir else 0,
            "fileId": info.st_ino,
            "group": "supergroup",
            "length": 0 if is_dir else info.st_size,
            "modificationTime": int(info.st_mtime * 1000),
            "owner": "hdfs",
            "pathSuffix": suffix,
            "permission": "755" if is_dir else "644",
            "replication": 0 if is_dir else 1,
            "storagePolicy": 0,
            "type": "DIRECTORY" if is_dir else "FILE",
        }

    def mkdirs(self, hdfs_path: str) -> bool:
        local = self.local(hdfs_path)
        for parent in [local, *local.parents]:
            if parent.is_file():
                raise RemoteError(
                    "ParentNotDirectoryException", f"Parent path is not a directory: {parent}"
                )
            if parent == self.root:
                break
        local.mkdir(parents=True, exist_ok=True)
        return True

    def content_summary(self, hdfs_path: str) -> dict[str, int]:
        local = self.require(hdfs_path)
        if local.is_file():
            size, files, dirs = local.stat().st_size, 1, 0
        else:
            size, files, dirs = 0, 0, 1  # the directory itself counts, as in HDFS
            for here, subdirs, names in os.walk(local):
                dirs += len(subdirs)
                files += len(names)
                size += sum((Path(here) / name).stat().st_size for name in names)
        return {
            "directoryCount": dirs,
            "fileCount": files,
            "length": size,
            "quota": -1,
            "spaceConsumed": size,
            "spaceQuota": -1,
        }

    def delete(self, hdfs_path: str, recursive: bool) -> bool:
        local = self.local(hdfs_path)
        if local == self.root or not local.exists():
            return False  # HDFS refuses to delete the root, and reports a missing path as false
        if local.is_file():
            local.unlink()
        elif any(local.iterdir()) and not recursive:
            raise RemoteError(
                "PathIsNotEmptyDirectoryException",
                f"`{hdfs_path} is non empty': Directory is not empty",
            )
        else:
            shutil.rmtree(local)
        return True

    def rename(self, source: str, destination: str) -> bool:
        src, dst = self.local(source), self.local(destination)
        if not src.exists() or src == self.root:
            return False
        if dst.is_dir():
            dst = dst / src.name  # HDFS moves a source into an existing directory
        if dst.exists() or not dst.parent.is_dir():
            return False
        os.rename(src, dst)
        return True

    def create(self, hdfs_path: str, data: bytes, overwrite: bool) -> None:
        local = self.local(hdfs_path)
        if local.is_dir():
            raise RemoteError(
                "FileAlreadyExistsException", f"{hdfs_path} already exists as a directory"
            )
        if local.exists() and not overwrite:
            raise RemoteError(
                "FileAlreadyExistsException", f"{hdfs_path} for client already exists"
            )
        self.mkdirs(str(Path(hdfs_path).parent))
        local.write_bytes(data)


def truthy(value: str | None) -> bool:
    return str(value).lower() == "true"


class Namenode:
    """The namenode's operations: metadata here, data redirected to the datanode."""

    def __init__(self, space: Namespace, datanode: str) -> None:
        self.space = space
        self.datanode = datanode
        self.operations = {
            ("GET", "GETFILESTATUS"): self.get_file_status,
            ("GET", "LISTSTATUS"): self.list_status,
            ("GET", "GETCONTENTSUMMARY"): self.content_summary,
            ("GET", "GETHOMEDIRECTORY"): self.home_directory,
            ("GET", "OPEN"): self.open,
            ("PUT", "MKDIRS"): self.mkdirs,
            ("PUT", "CREATE"): self.redirect,  # step 1: no data here, only where to send it
            ("PUT", "RENAME"): self.rename,
            ("DELETE", "DELETE"): self.delete,
        }

    def redirect(self, path: str, params: dict[str, str]) -> Response:
        query = urlencode({**params, "namenoderpcaddress": "standin:8020"})
        location = f"{self.datanode}/webhdfs/v1{quote(path)}?{query}"
        return Response(status_code=307, headers={"Location": location})

    def get_file_status(self, path: str, params: dict[str, str]) -> Response:
        return JSONResponse({"FileStatus": self.space.status(self.space.require(path), "")})

    def list_status(self, path: str, params: dict[str, str]) -> Response:
        local = self.space.require(path)
        if local.is_file():
            statuses = [self.space.status(local, "")]
        else:
            statuses = [self.space.status(child, child.name) for child in sorted(local.iterdir())]
        return JSONResponse({"FileStatuses": {"FileStatus": statuses}})

    def content_summary(self, path: str, params: dict[str, str]) -> Response:
        return JSONResponse({"ContentSummary": self.space.content_summary(path)})

    def home_directory(self, path: str, params: dict[str, str]) -> Response:
        return JSONResponse({"Path": f"/user/{params.get('user.name', 'hdfs')}"})

    def open(self, path: str, params: dict[str, str]) -> Response:
        if not self.space.require(path).is_file():
            raise RemoteError("FileNotFoundException", f"Path is not a file: {path}")
        return self.redirect(path, params)

    def mkdirs(self, path: str, params: dict[str, str]) -> Response:
        return JSONResponse({"boolean": self.space.mkdirs(path)})

    def rename(self, path: str, params: dict[str, str]) -> Response:
        destination = params.get("destination", "")
        if not destination.startswith("/"):
            raise RemoteError(
                "IllegalArgumentException",
                f'Invalid value for webhdfs parameter "destination": {destination!r}',
            )
        return JSONResponse({"boolean": self.space.rename(path, destination)})

    def delete(self, path: str, params: dict[str, str]) -> Response:
        return JSONResponse({"boolean": self.space.delete(path, truthy(params.get("recursive")))})


def namenode_app(space: Namespace, datanode: str) -> FastAPI:
    app = FastAPI()
    namenode = Namenode(space, datanode)

    @app.api_route("/webhdfs/v1{path:path}", methods=["GET", "PUT", "POST", "DELETE"])
    async def webhdfs(path: str, request: Request) -> Response:
        params = dict(request.query_params)
        op = params.get("op", "").upper()
        handler = namenode.operations.get((request.method, op))
        try:
            if handler is None:
                raise unsupported(op, request.method)
            return handler(path or "/", params)
        except RemoteError as err:
            return remote_exception(err)

    return app


def unsupported(op: str, method: str) -> RemoteError:
    return RemoteError(
        "IllegalArgumentException",
        f'Invalid value for webhdfs parameter "op": {op!r} is not a supported {method} operation',
    )


def datanode_app(space: Namespace, namenode_port: int) -> FastAPI:
    app = FastAPI()

    @app.api_route("/webhdfs/v1{path:path}", methods=["GET", "PUT"])
    async def webhdfs(path: str, request: Request) -> Response:
        params = dict(request.query_params)
        op = params.get("op", "").upper()
        try:
            if request.method == "PUT" and op == "CREATE":
                data = await request.body()  # chunked or sized, as the client sends it
                space.create(path, data, truthy(params.get("overwrite")))
                location = f"webhdfs://127.0.0.1:{namenode_port}{quote(path)}"
                return Response(status_code=201, headers={"Location": location})
            if request.method == "GET" and op == "OPEN":
                local = space.require(path)
                data = local.read_bytes()
                offset = int(params.get("offset") or 0)
                length = params.get("length")
                end = len(data) if length in (None, "", "None") else offset + int(length)
                return Response(data[offset:end], media_type="application/octet-stream")
            raise unsupported(op, request.method)
        except RemoteError as err:
            return remote_exception(err)

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--datanode-port", type=int, required=True)
    parser.add_argument("--datanode-host", default="127.0.0.1", help="Name in the redirects.")
    args = parser.parse_args()
    space = Namespace(args.root)
    datanode = f"http://{args.datanode_host}:{args.datanode_port}"
    dn = uvicorn.Server(
        uvicorn.Config(
            datanode_app(space, args.port), host="127.0.0.1", port=args.datanode_port,
            log_level="warning",
        )
    )  # fmt: skip
    # The datanode runs in a daemon thread; the namenode in the main thread owns the signals, so
    # SIGTERM stops the namenode and the process exits with the datanode.
    threading.Thread(target=dn.run, daemon=True).start()
    uvicorn.run(
        namenode_app(space, datanode), host="127.0.0.1", port=args.port, log_level="warning"
    )


if __name__ == "__main__":
    main()
