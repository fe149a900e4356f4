"""`GET /` answers the server's status, as the original course's API check expects."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

pytestmark = pytest.mark.slow  # starts a server process


def test_root_answers_the_status_of_the_server(start_simulator: Callable[..., str]) -> None:
    url = start_simulator(devices=3)
    with httpx.Client(base_url=url, timeout=5) as client:
        first = client.get("/")
        assert first.status_code == 200
        assert first.headers["content-type"] == "application/json"
        second = client.get("/").json()
    status = first.json()
    assert status["service"] == "FMS API (simulator)"
    assert status["status"] == "running"
    assert status["devices"] == 3  # the configured fleet, not a constant
    assert 0 <= status["uptime_seconds"] <= second["uptime_seconds"]
    assert status["readings"] == "GET /{DeviceId}/"
