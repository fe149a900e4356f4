"""A lean HTTP/1.1 GET client for polling: h11 over asyncio streams, keep-alive connections.

httpx costs about 1 ms of CPU per request on the course's 2-core machine (request models, URL
merging, connection-pool scans), which caps one core below the 1,000 polls/s the collector must
sustain; h11 (the protocol engine under httpx) driven directly costs about 0.2 ms. Connections
live in a queue: a poll borrows one for one request, which also bounds the requests in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

import h11

READ_SIZE = 65536


class HttpError(Exception):
    """A request got no HTTP response; `kind` is "timeout" or "connection"."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind


@dataclass(frozen=True)
class HttpResponse:
    """Status, headers (lower-case names) and body of a response."""

    status: int
    reason: str
    headers: dict[str, str]
    body: bytes


class _Stale(Exception):
    """A reused keep-alive connection was closed by the server before it answered."""


class Connection:
    """One keep-alive connection to the API, opened on first use and after the server closes it."""

    def __init__(self, host: str, port: int, context: ssl.SSLContext | None) -> None:
        self.host, self.port, self.context = host, port, context
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._h11: h11.Connection | None = None

    def _usable(self) -> bool:
        return (
            self._reader is not None
            and not self._reader.at_eof()
            and self._h11 is not None
            and self._h11.our_state is h11.IDLE
        )

    async def _open(self) -> None:
        self.close()
        self._reader, self._writer = await asyncio.open_connection(
            self.host, self.port, ssl=self.context
        )
        self._h11 = h11.Connection(h11.CLIENT)

    def close(self) -> None:
        """Drop the socket (the next request reconnects)."""
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = self._h11 = None

    async def aclose(self) -> None:
        """Close the socket and wait for it."""
        writer = self._writer
        self.close()
        if writer is not None:
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def get(self, target: str, host_header: str) -> HttpResponse:
        """GET `target`; a keep-alive connection the server has closed is reopened once."""
        reused = self._usable()
        if not reused:
            await self._open()
        try:
            return await self._exchange(target, host_header, reused)
        except _Stale:
            await self._open()
            return await self._exchange(target, host_header, reused=False)

    async def _exchange(self, target: str, host_header: str, reused: bool) -> HttpResponse:
        conn, reader, writer = self._h11, self._reader, self._writer
        assert conn is not None and reader is not None and writer is not None
        request = h11.Request(
            method="GET", target=target, headers=[("Host", host_header), ("Accept", "*/*")]
        )
        writer.write(conn.send(request) + conn.send(h11.EndOfMessage()))
        response: h11.Response | None = None
        body = bytearray()
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                data = await reader.read(READ_SIZE)
                if not data and response is None and reused:
                    raise _Stale()
                conn.receive_data(data)
            elif isinstance(event, h11.Response):
                response = event
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
                break
        assert response is not None
        if conn.our_state is h11.DONE and conn.their_state is h11.DONE:
            conn.start_next_cycle()
        else:
            self.close()
        return HttpResponse(
            response.status_code,
            response.reason.decode("latin-1"),
            {k.decode("latin-1"): v.decode("latin-1") for k, v in response.headers},
            bytes(body),
        )


class ClientPool:
    """`size` keep-alive connections to one base URL; `get(path)` borrows one per request."""

    def __init__(self, base_url: str, size: int, timeout: float) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"API URL must be http(s)://HOST[:PORT][/PATH], not {base_url!r}")
        https = parts.scheme == "https"
        port = parts.port or (443 if https else 80)
        context = ssl.create_default_context() if https else None
        self.prefix = parts.path.rstrip("/")
        self.host_header = parts.netloc
        self.timeout = timeout
        self._connections = [Connection(parts.hostname, port, context) for _ in range(size)]
        self._idle: asyncio.Queue[Connection] = asyncio.Queue()
        for connection in self._connections:
            self._idle.put_nowait(connection)

    async def get(self, path: str) -> HttpResponse:
        """GET base URL + `path` within the timeout; raises `HttpError` when no response came."""
        connection = await self._idle.get()
        try:
            async with asyncio.timeout(self.timeout):
                return await connection.get(self.prefix + path, self.host_header)
        except TimeoutError as exc:
            connection.close()  # a late answer would otherwise be read as the next one's
            raise HttpError("timeout", f"no response within {self.timeout} s") from exc
        except (OSError, EOFError, h11.ProtocolError) as exc:
            connection.close()
            raise HttpError("connection", f"{type(exc).__name__}: {exc}") from exc
        finally:
            self._idle.put_nowait(connection)

    async def aclose(self) -> None:
        """Close every connection and wait until the sockets are closed."""
        await asyncio.gather(*(c.aclose() for c in self._connections), return_exceptions=True)

    async def __aenter__(self) -> ClientPool:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
