"""Readings from a real simulator reach a real broker exactly once, keyed by DeviceId."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families

from fmslab.broker.offsets import end_offsets
from fmslab.collector import METRIC_NAMES, RAW_TOPIC, Collector
from fmslab.collector.archive import iter_archive
from fmslab.services import free_port

from .conftest import MakeConfig, read_topic


def test_every_collected_reading_is_on_the_topic_once(
    shared_api: str, broker: str, make_config: MakeConfig
) -> None:
    api = shared_api
    config = make_config(api, broker)
    stats = Collector(config).run(3.0)

    assert stats.collected >= 15  # 5 devices, about 6 polls each
    records = read_topic(broker, RAW_TOPIC)
    ids = [r["value"]["reading_id"] for r in records]
    assert len(ids) == len(set(ids)) == stats.collected == stats.produced
    assert sum(end_offsets(broker, RAW_TOPIC).values()) == stats.collected
    assert all(r["key"] == str(r["value"]["DeviceId"]) for r in records)
    assert {r["key"] for r in records} == {"1", "2", "3", "4", "5"}
    partition_of = {}
    for r in records:  # one key, one partition: per-device order is kept
        assert partition_of.setdefault(r["key"], r["partition"]) == r["partition"]
    assert all(r["value"]["collected_at"].endswith("Z") for r in records)
    assert sorted(r["reading_id"] for r in iter_archive(config.archive_dir)) == sorted(ids)
    assert stats.spool_depth == 0 and stats.spooled == 0
    p95 = stats.latency_summary()["p95"]
    assert p95 is not None and p95 > 0


def test_collect_once_polls_each_device_once(
    shared_api: str, broker: str, make_config: MakeConfig
) -> None:
    api = shared_api
    with Collector(make_config(api, broker, devices=3)) as collector:
        readings = collector.collect_once()
        assert sorted(r["DeviceId"] for r in readings) == [1, 2, 3]
        assert collector.stats.produced == 3
    on_topic = read_topic(broker, RAW_TOPIC)
    assert sorted(r["value"]["reading_id"] for r in on_topic) == sorted(
        r["reading_id"] for r in readings
    )


def test_metrics_endpoint_exports_the_listed_metrics(
    shared_api: str, broker: str, make_config: MakeConfig
) -> None:
    api = shared_api
    port = free_port()
    with Collector(make_config(api, broker, devices=2, metrics_port=port)) as collector:
        stats = collector.run(1.5)
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    families = {
        family.name
        for family in text_string_to_metric_families(text)
        if family.name.startswith("fms_") and not family.name.endswith("_created")
    }
    assert families == {name.removesuffix("_total") for name in METRIC_NAMES}
    samples = dict(
        line.rsplit(" ", 1) for line in text.splitlines() if line and not line.startswith("#")
    )
    per_device = sum(float(samples[f'fms_collector_readings_total{{device="{d}"}}']) for d in "12")
    assert per_device == stats.collected > 0
    assert float(samples['fms_collector_circuit_state{device="1"}']) == 0.0
    assert 'fms_collector_sensor_value{device="1",sensor="sensor1"}' in samples
    assert float(samples["fms_collector_produce_latency_seconds_count"]) == stats.produced
