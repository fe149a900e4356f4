"""A faulty API: retries, Retry-After, quarantine, and the breaker opening and closing again."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from fmslab.collector import RAW_TOPIC, Collector
from fmslab.collector.breaker import CircuitState
from fmslab.services import (
    Service,
    fmslab_command,
    free_port,
    http_ok,
    start_service,
    stop_service,
    wait_until,
)

from .conftest import MakeConfig, read_topic


def test_errors_and_malformed_payloads_are_retried_or_quarantined(
    start_simulator: Callable[..., str], broker: str, make_config: MakeConfig
) -> None:
    api = start_simulator(devices=20, interval=0.5, clock="realtime", faults="errors,malformed")
    config = make_config(api, broker, devices=20, backoff_initial=0.05, retry_after_max=0.2)
    stats = Collector(config).run(4.0)

    assert stats.errors["http_429"] > 0 and stats.errors["http_500"] > 0
    assert stats.retries >= stats.errors["http_429"] + stats.errors["http_500"] - stats.polls
    assert stats.retries > 0
    quarantined = [json.loads(line) for line in config.quarantine_file.read_text().splitlines()]
    assert len(quarantined) == stats.quarantined == stats.errors["malformed"] > 0
    assert all(q["reason"].startswith("not JSON") and q["raw"] for q in quarantined)
    # The collector kept going: good readings still arrived, exactly once.
    ids = [r["value"]["reading_id"] for r in read_topic(broker, RAW_TOPIC)]
    assert len(ids) == len(set(ids)) == stats.collected > 100


def test_requests_slower_than_the_timeout_count_as_timeouts(
    start_simulator: Callable[..., str], broker: str, make_config: MakeConfig
) -> None:
    api = start_simulator(devices=20, interval=0.5, clock="realtime", faults="latency")
    # The latency fault adds 0.2 to 1.0 s, beyond a 0.15 s timeout.
    config = make_config(api, broker, devices=20, timeout=0.15, backoff_initial=0.02)
    stats = Collector(config).run(3.0)
    assert stats.errors["timeout"] > 0
    assert stats.retries > 0
    assert stats.collected > 0
    assert len(read_topic(broker, RAW_TOPIC)) == stats.collected


def _start_api(services_dir: Path, port: int, log_dir: Path) -> Service:
    cmd = fmslab_command(
        "api", "--port", str(port), "--devices", "3", "--interval", "0.3",
        "--clock", "realtime", "--log-dir", str(log_dir),
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    return start_service(
        f"api-{port}", cmd, state_dir=services_dir, port=port, ready=http_ok(f"{url}/healthz")
    )


@pytest.mark.slow
def test_breaker_opens_while_the_api_is_down_and_closes_when_it_returns(
    state_dir: Path, broker: str, make_config: MakeConfig, tmp_path: Path
) -> None:
    port = free_port()
    api = _start_api(state_dir, port, tmp_path / "api-log")
    config = make_config(
        f"http://127.0.0.1:{port}", broker, devices=3, interval=0.3, timeout=0.3,
        retries=1, backoff_initial=0.02, breaker_threshold=2, breaker_cooldown=1.0,
    )  # fmt: skip
    collector = Collector(config)
    runner = threading.Thread(target=collector.run, kwargs={"duration": 60})
    runner.start()
    try:
        assert wait_until(lambda: collector.stats.collected >= 6, 15)
        stop_service(api, state_dir)
        all_open = wait_until(
            lambda: set(collector.circuit_states.values()) == {CircuitState.OPEN}, 15, 0.02
        )
        assert all_open, collector.circuit_states
        skipped = collector.stats.skipped_open
        time.sleep(0.5)
        assert collector.stats.skipped_open > skipped  # open: polls are skipped, not sent
        collected_while_down = collector.stats.collected
        api = _start_api(state_dir, port, tmp_path / "api-log")
        all_closed = wait_until(
            lambda: set(collector.circuit_states.values()) == {CircuitState.CLOSED}, 20, 0.02
        )
        assert all_closed, collector.circuit_states
        assert wait_until(lambda: collector.stats.collected >= collected_while_down + 6, 10)
    finally:
        collector.stop()
        runner.join(30)
        stop_service(api, state_dir)
    stats = collector.stats
    assert stats.breaker_opened >= 3
    assert stats.errors["connection"] > 0
    assert len(read_topic(broker, RAW_TOPIC)) == stats.collected
