"""free_port gives ports outside the range the system hands to sockets bound to port 0."""

from __future__ import annotations

import socket
from pathlib import Path

from fmslab.services import EPHEMERAL_RANGE, free_port


def test_free_ports_are_below_the_ephemeral_range_and_bindable() -> None:
    low = int(EPHEMERAL_RANGE.read_text().split()[0]) if Path(EPHEMERAL_RANGE).exists() else 49_152
    ports = [free_port() for _ in range(100)]
    assert all(port < low for port in ports), [p for p in ports if p >= low]
    # An ephemeral socket (as Spark's JVM opens them) never lands on a port handed out here.
    with socket.socket() as ephemeral:
        ephemeral.bind(("127.0.0.1", 0))
        assert ephemeral.getsockname()[1] >= low
    for port in ports[:5]:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))
