"""A stand-in Docker engine and `docker` CLI for the failure that needs Docker (no engine here).

The engine half answers the Engine API calls `fmslab stack up` makes through the Docker SDK before
it starts anything (GET /version, /_ping, /info) with the fields a real engine returns, its
`MemTotal` set by `--memory-mib` (as on a Docker Desktop left at its 2 GB default). The CLI half
(`write_cli`) answers `docker compose version --short` and `docker info --format '{{...}}'`
like the real CLI.

Run: python docker_standin.py --port PORT --memory-mib MIB
"""

from __future__ import annotations

import argparse
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

API_VERSION = "1.47"
ENGINE_VERSION = "27.5.1"
MIB = 1024 * 1024
COMPOSE_VERSION = "2.32.4"


def _handler(memory_bytes: int) -> type[BaseHTTPRequestHandler]:
    info = {"ServerVersion": ENGINE_VERSION, "MemTotal": memory_bytes, "NCPU": 2, "OSType": "linux"}
    version = {"Version": ENGINE_VERSION, "ApiVersion": API_VERSION, "MinAPIVersion": "1.24"}

    class Engine(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            path = self.path.split("?")[0].rstrip("/")
            if path.endswith("/_ping"):
                self._send(200, b"OK", "text/plain")
            elif path.endswith("/version"):
                self._send(200, json.dumps(version).encode(), "application/json")
            elif path.endswith("/info"):
                self._send(200, json.dumps(info).encode(), "application/json")
            else:
                self._send(404, b'{"message":"page not found"}', "application/json")

        do_HEAD = do_GET  # noqa: N815

        def _send(self, status: int, body: bytes, kind: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Api-Version", API_VERSION)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    return Engine


CLI = r"""#!PYTHON
# Stand-in `docker` CLI: `compose version --short` and `info --format` (see docker_standin.py).
import re, sys
args = sys.argv[1:]
fields = {"ServerVersion": "ENGINE", "MemTotal": "MEMORY", "NCPU": "2"}
if args[:3] == ["compose", "version", "--short"]:
    print("COMPOSE")
elif args[:2] == ["info", "--format"]:
    print(re.sub(r"\{\{\s*\.(\w+)\s*\}\}", lambda m: fields.get(m.group(1), "<no value>"), args[2]))
else:
    print("docker stand-in: unsupported command: " + " ".join(args), file=sys.stderr)
    sys.exit(125)
"""


def write_cli(folder: Path, memory_mib: int) -> Path:
    """Write the stand-in `docker` executable into `folder` (put it first on PATH)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "docker"
    text = CLI.replace("PYTHON", sys.executable, 1).replace("COMPOSE", COMPOSE_VERSION)
    path.write_text(text.replace("ENGINE", ENGINE_VERSION).replace("MEMORY", str(memory_mib * MIB)))
    path.chmod(0o755)
    return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--memory-mib", type=int, required=True)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), _handler(args.memory_mib * MIB))
    server.serve_forever()


if __name__ == "__main__":
    main()
