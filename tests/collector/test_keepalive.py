"""Kept-alive connections the API closes while idle are reopened without counting an error."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from fmslab.collector import Collector

from .conftest import MakeConfig


@pytest.mark.slow
def test_polls_after_the_servers_keepalive_timeout_still_succeed(
    start_simulator: Callable[..., str], broker: str, make_config: MakeConfig
) -> None:
    api = start_simulator(devices=2, interval=0.5, clock="virtual")
    # retries=0: a stale connection may not hide behind a retry.
    with Collector(make_config(api, broker, devices=2, retries=0, max_connections=2)) as c:
        assert len(c.collect_once()) == 2
        time.sleep(6.5)  # uvicorn closes idle keep-alive connections after 5 s
        assert len(c.collect_once()) == 2
        assert len(c.collect_once()) == 2
    assert c.stats.errors == {}
    assert c.stats.produced == 6
