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
    # Added with the chapters 04, 05, 10-13 and the corrections of issue 9
    "CONSUMER_DEFAULTS": "fmslab.broker.clients",
    "MOTOR_ALERT": "fmslab.broker.consumers",
    "SENSOR_ALERT": "fmslab.broker.consumers",
    "consumer_at_end": "fmslab.broker.offsets",
    "application_id": "fmslab.cluster.executors",
    "busy_executor": "fmslab.cluster.executors",
    "executor_list": "fmslab.cluster.executors",
    "executors_frame": "fmslab.cluster.executors",
    "task_process": "fmslab.cluster.executors",
    "worker_of": "fmslab.cluster.executors",
    "kill_worker": "fmslab.cluster.standalone",
    "master_json": "fmslab.cluster.standalone",
    "start_cluster": "fmslab.cluster.standalone",
    "stop_cluster": "fmslab.cluster.standalone",
    "apps_frame": "fmslab.cluster.status",
    "workers_frame": "fmslab.cluster.status",
    "project_root": "fmslab.config",
    "compact_zone": "fmslab.lake.compaction",
    "list_partitions": "fmslab.lake.partitions",
    "percentile": "fmslab.measure",
    "PANEL_QUERIES": "fmslab.monitoring.dashboard",
    "MonitoringLab": "fmslab.monitoring.lab",
    "rules_table": "fmslab.monitoring.lab",
    "CATALOG": "fmslab.monitoring.metrics_catalog",
    "series_names": "fmslab.monitoring.metrics_catalog",
    "specs": "fmslab.monitoring.metrics_catalog",
    "email_text": "fmslab.monitoring.receivers",
    "ALERTMANAGER_FILE": "fmslab.monitoring.render",
    "promtool_test_rules": "fmslab.monitoring.tools",
    "route_receivers": "fmslab.monitoring.tools",
    "verify_route": "fmslab.monitoring.tools",
    "Measurement": "fmslab.requirements",
    "assessment_frame": "fmslab.requirements",
    "wait_until": "fmslab.services",
    "load_fault_plan": "fmslab.simulator.faults",
    "load_profiles": "fmslab.simulator.profiles",
    "plot_memory_budget": "fmslab.stack.charts",
    "load_stack": "fmslab.stack.compose",
    "plan": "fmslab.stack.engine",
    "advertised_listeners": "fmslab.stack.kafka_rules",
    "counterparts_table": "fmslab.stack.tables",
    "dependency_table": "fmslab.stack.tables",
    "listeners_table": "fmslab.stack.tables",
    "memory_table": "fmslab.stack.tables",
    "ports_table": "fmslab.stack.tables",
    "quorum_table": "fmslab.stack.tables",
    "services_table": "fmslab.stack.tables",
    "start_order": "fmslab.stack.tables",
    "volumes_table": "fmslab.stack.tables",
    "validate": "fmslab.stack.validate",
    "plot_batch_quality": "fmslab.streaming.charts",
    "plot_window_means": "fmslab.streaming.charts",
    "KAFKA_SCHEMA": "fmslab.streaming.kafka_source",
    "SOURCE_NAME": "fmslab.streaming.kafka_source",
    "register_source": "fmslab.streaming.kafka_source",
    "alert_thresholds": "fmslab.thresholds",
    # Measured runs: scenario and fault reports (chapters 10, 12)
    "load_reports": "fmslab.bench.results",
    "scenario_table": "fmslab.bench.results",
    "fault_table": "fmslab.bench.results",
    "seed_figures": "fmslab.bench.results",
    "measurements_from_reports": "fmslab.requirements",
    # Load scenarios (issue 12, chapter 10)
    "SCENARIOS": "fmslab.bench.scenario",
    "run_scenario": "fmslab.bench.scenario",
    "scenario_chart": "fmslab.bench.scenario_chart",
    # Project documentation (chapter 12): the generated architecture and the improvement plan
    "architecture": "fmslab.docs.architecture",
    "architecture_mermaid": "fmslab.docs.architecture",
    "generated_section": "fmslab.docs.architecture",
    "update_document": "fmslab.docs.architecture",
    "draw_architecture": "fmslab.docs.charts",
    "improvement_plan": "fmslab.docs.improvements",
    "plan_frame": "fmslab.docs.improvements",
    "troubleshooting_entries": "fmslab.docs.troubleshooting",
    "fmslab_command": "fmslab.services",
    # Presentation and self-assessment (chapter 13)
    "DemoOptions": "fmslab.demo",
    "run_demo": "fmslab.demo",
    "demo_steps": "fmslab.demo.script",
    "demo_summary": "fmslab.demo.script",
    "write_record": "fmslab.demo.record",
    "load_rubric": "fmslab.instructor.rubric",
    "assess_rubric": "fmslab.instructor.rubric",
    "rubric_table": "fmslab.instructor.rubric",
    "rubric_totals": "fmslab.instructor.rubric",
    # Tuning sweeps (chapter 10)
    "compression_sweep": "fmslab.bench.tuning",
    "trigger_sweep": "fmslab.bench.tuning",
    "batch_size_sweep": "fmslab.bench.tuning",
    "partitions_sweep": "fmslab.bench.tuning",
    "collector_sweep": "fmslab.bench.tuning",
    "ecdf": "fmslab.bench.tuning_chart",
    "plot_latency_ecdf": "fmslab.bench.tuning_chart",
    "plot_codec_tradeoff": "fmslab.bench.tuning_chart",
    "plot_setting_rates": "fmslab.bench.tuning_chart",
    "plot_scenario_percentiles": "fmslab.bench.tuning_chart",
    "seed_comparison": "fmslab.bench.tuning_report",
    "assess": "fmslab.requirements",
    "FAULTS": "fmslab.faults",
    "run_fault": "fmslab.faults",
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
