"""The course's public surface: every name the chapters and labs use, from one module.

    from fmslab.course import setup, simulate_readings, check_readings, spark_session

Notebooks import from here (or from a stage package's own `__init__`, such as `fmslab.quality`),
never from the modules behind it, so the library can move code without breaking a chapter
(`tests/test_public_surface.py` checks it). Nothing is defined here: each name is the library's
own object, imported from its module on first use, so importing this module starts no JVM and
loads no client library that a chapter does not use.
"""

from __future__ import annotations

import importlib
from typing import Any

# name -> the module that defines it, grouped by the part of the course that first uses it.
EXPORTS: dict[str, str] = {
    # Setup and settings
    "fms_api": "fmslab.notebook",
    "scratch_dir": "fmslab.notebook",
    "setup": "fmslab.notebook",
    "start_fms_api": "fmslab.notebook",
    "load_settings": "fmslab.config",
    "Settings": "fmslab.config",
    "free_port": "fmslab.services",
    "checks_frame": "fmslab.doctor",
    "embedded_ready": "fmslab.doctor",
    "gather_checks": "fmslab.doctor",
    "probe_api": "fmslab.doctor",
    "functional_frame": "fmslab.requirements",
    "load_requirements": "fmslab.requirements",
    "meets_target": "fmslab.requirements",
    "non_functional_frame": "fmslab.requirements",
    # Simulator and quality (chapters 1-3)
    "simulate_readings": "fmslab.simulator",
    "check_readings": "fmslab.quality",
    "iqr_bounds": "fmslab.quality",
    "load_rules": "fmslab.quality",
    "zscores": "fmslab.quality",
    "QualityValidator": "fmslab.quality.validator",
    "plot_dimensions": "fmslab.quality.charts",
    "plot_distributions": "fmslab.quality.charts",
    # Lake (chapter 6)
    "open_lake": "fmslab.lake.storage",
    "read_zone": "fmslab.lake.records",
    "write_records": "fmslab.lake.records",
    "partition_path": "fmslab.lake.layout",
    "default_policy": "fmslab.lake.zones",
    # Broker and collector (chapter 7)
    "make_consumer": "fmslab.broker.clients",
    "make_producer": "fmslab.broker.clients",
    "PRODUCER_DEFAULTS": "fmslab.broker.clients",
    "require_broker": "fmslab.broker.clients",
    "consume_and_analyze": "fmslab.broker.consumers",
    "filter_topic": "fmslab.broker.consumers",
    "read_topic": "fmslab.broker.consumers",
    "reading_filter": "fmslab.broker.consumers",
    "embedded_broker": "fmslab.broker.embedded",
    "start_group": "fmslab.broker.group",
    "stop_group": "fmslab.broker.group",
    "wait_for_records": "fmslab.broker.group",
    "consumer_lag": "fmslab.broker.offsets",
    "end_offsets": "fmslab.broker.offsets",
    "create_topics": "fmslab.broker.topics",
    "describe_topics": "fmslab.broker.topics",
    "load_topics": "fmslab.broker.topics",
    "Collector": "fmslab.collector",
    "CollectorConfig": "fmslab.collector",
    "iter_archive": "fmslab.collector.archive",
    "plot_readings_per_device": "fmslab.collector.charts",
    "readings_per_device": "fmslab.collector.charts",
    # Spark (chapters 6, 8, 9)
    "JavaNotFoundError": "fmslab.streaming.session",
    "spark_session": "fmslab.streaming.session",
    "stop_spark": "fmslab.streaming.session",
    "load_thresholds": "fmslab.streaming.udfs",
    "pandas_udfs": "fmslab.streaming.udfs",
    "python_udfs": "fmslab.streaming.udfs",
    "batch_report": "fmslab.streaming.processing",
    "route_records": "fmslab.streaming.processing",
    "ROUTED_SCHEMA": "fmslab.streaming.processing",
    "with_device_key": "fmslab.streaming.processing",
    "start_pipeline": "fmslab.streaming.pipeline",
    # Jobs (chapter 9)
    "classify": "fmslab.jobs.errors",
    "ErrorHandler": "fmslab.jobs.errors",
    "Severity": "fmslab.jobs.errors",
    "CourseJob": "fmslab.jobs.scheduler",
    "Scheduler": "fmslab.jobs.scheduler",
    "Step": "fmslab.jobs.scheduler",
}

__all__ = sorted(EXPORTS)


def __getattr__(name: str) -> Any:
    if name in EXPORTS:
        value = getattr(importlib.import_module(EXPORTS[name]), name)
        globals()[name] = value  # later look-ups skip this function
        return value
    raise AttributeError(f"module 'fmslab.course' has no attribute {name!r}")


def __dir__() -> list[str]:
    return [*__all__, "EXPORTS"]
