"""The broker goes away for 20 s mid-run: readings are spooled, replayed, and none is lost."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from fmslab.broker.embedded import start_broker, stop_broker
from fmslab.collector import RAW_TOPIC, Collector
from fmslab.collector.archive import iter_archive
from fmslab.collector.delivery import Mode
from fmslab.services import free_port, wait_until

from .conftest import MakeConfig, read_topic


@pytest.mark.slow
def test_broker_outage_is_bridged_by_the_spool(
    start_simulator: Callable[..., str], make_config: MakeConfig, tmp_path: Path
) -> None:
    api = start_simulator(devices=5, interval=0.5, clock="realtime")
    state = tmp_path / "broker-state"
    port = free_port()
    start_broker(port, state_dir=state)
    bootstrap = f"127.0.0.1:{port}"
    config = make_config(api, bootstrap, delivery_timeout=5.0, probe_interval=0.5)
    collector = Collector(config)
    runner = threading.Thread(target=collector.run, kwargs={"duration": 120})
    runner.start()
    try:
        assert wait_until(lambda: collector.stats.produced >= 10, 20)
        stop_broker(state)
        time.sleep(1.0)  # acks already on the wire are read; after this none can arrive
        acked_before = collector.stats.produced
        assert wait_until(lambda: collector.delivery.mode is Mode.SPOOLING, 15)
        time.sleep(20 - 1.0)
        assert collector.stats.spool_depth > 0
        start_broker(port, state_dir=state)  # memory storage: no topics, no records
        drained = wait_until(
            lambda: collector.delivery.mode is Mode.LIVE and collector.stats.spool_depth == 0, 30
        )
        assert drained, collector.stats.as_dict()
        assert wait_until(lambda: collector.stats.produced >= acked_before + 20, 15)
    finally:
        collector.stop()
        runner.join(60)
    stats = collector.stats
    try:
        on_topic = [r["value"]["reading_id"] for r in read_topic(bootstrap, RAW_TOPIC)]
    finally:
        stop_broker(state)
    archived = [r["reading_id"] for r in iter_archive(config.archive_dir)]

    assert stats.spooled > 0 and stats.replayed > 0
    assert stats.spool_depth == 0 and not config.spool_dir.joinpath("spool.jsonl").read_text()
    assert len(archived) == stats.collected  # every accepted reading is archived ...
    assert not [i for i, n in Counter(archived).items() if n > 1]  # ... once
    assert len(on_topic) == len(set(on_topic))
    assert set(on_topic) <= set(archived)
    # Each archived reading is on the restarted broker, or was acknowledged before the outage.
    assert len(on_topic) + acked_before == len(archived)
    assert stats.produced == len(archived)
