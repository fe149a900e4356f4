"""Polling collector: FMS API -> Kafka, with retries, spool and landing archive."""

from fmslab.collector.collector import Collector
from fmslab.collector.config import RAW_TOPIC, CollectorConfig
from fmslab.collector.metrics import METRIC_NAMES, CollectorMetrics
from fmslab.collector.stats import CollectorStats

__all__ = [
    "METRIC_NAMES",
    "RAW_TOPIC",
    "Collector",
    "CollectorConfig",
    "CollectorMetrics",
    "CollectorStats",
]
