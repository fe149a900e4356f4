"""Local stand-ins for Slack and an SMTP server that record what Alertmanager sends them.

Slack and a mail server cannot run here; these are faithful local ones (docs/architecture.md §7):

- `SlackReceiver`: an HTTP server that answers a Slack incoming webhook's `POST` with `200 ok`
  and keeps every JSON payload (Alertmanager's `slack_configs` posts exactly that);
- `MailReceiver`: aiosmtpd's SMTP server, keeping every message (Alertmanager's
  `email_configs`, `smtp_require_tls: false`).

Both bind to 127.0.0.1 on a free port, record the arrival time, and stop in `close()`.

    with SlackReceiver() as slack, MailReceiver() as mail:
        ... slack.url, mail.smarthost ...
        slack.messages, mail.messages
"""

from __future__ import annotations

import email
import email.policy
import json
import threading
import time
from dataclasses import dataclass
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from fmslab.services import free_port


@dataclass
class Received:
    """One notification: when it arrived and what it carried."""

    at: float  # Unix time of arrival
    payload: Any  # Slack: the JSON object; e-mail: the parsed EmailMessage


class SlackReceiver:
    """A Slack-compatible incoming-webhook endpoint that records every payload."""

    def __init__(self, port: int = 0) -> None:
        self.messages: list[Received] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's interface
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                try:
                    payload = json.loads(body)
                except ValueError:
                    self.send_response(400)  # Slack answers invalid_payload
                    self.end_headers()
                    self.wfile.write(b"invalid_payload")
                    return
                with receiver._lock:
                    receiver.messages.append(Received(time.time(), payload))
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", port or free_port()), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        """The webhook URL to give Alertmanager."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/services/fmslab"

    def payloads(self) -> list[dict[str, Any]]:
        """The JSON payloads received so far."""
        with self._lock:
            return [m.payload for m in self.messages]

    def close(self) -> None:
        """Stop the server."""
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> SlackReceiver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Keeper:
    """aiosmtpd handler: parse and keep every message."""

    def __init__(self, box: MailReceiver) -> None:
        self.box = box

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.box._lock:
            self.box.messages.append(Received(time.time(), message))
        return "250 Message accepted for delivery"


class MailReceiver:
    """A local SMTP server (aiosmtpd) that keeps every message it is sent."""

    def __init__(self, port: int = 0) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[Received] = []
        self._lock = threading.Lock()
        self.port = port or free_port()
        self._controller = Controller(_Keeper(self), hostname="127.0.0.1", port=self.port)
        self._controller.start()

    @property
    def smarthost(self) -> str:
        """`host:port` for Alertmanager's smtp_smarthost."""
        return f"127.0.0.1:{self.port}"

    def emails(self) -> list[EmailMessage]:
        """The messages received so far."""
        with self._lock:
            return [m.payload for m in self.messages]

    def close(self) -> None:
        """Stop the server."""
        self._controller.stop()

    def __enter__(self) -> MailReceiver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def email_text(message: EmailMessage) -> str:
    """The plain text (or, failing that, the HTML) body of an e-mail."""
    part = message.get_body(preferencelist=("plain", "html"))
    return part.get_content() if part is not None else ""
