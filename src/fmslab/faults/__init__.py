"""Fault injection in the running embedded pipeline: `fmslab faults run NAME`, `fmslab faults list`.

    from fmslab.faults import FAULTS, run_fault
    report = run_fault("stream-kill", short=True)   # also writes reports/fault-stream-kill.json

Modules: `catalog` (the faults), `runner` (pipeline, windows, reports), `accounting` (counts,
availability), `watch` (health checks, logs, lake), `context` (the operator's moves), one module
per group of faults (`service_faults`, `data_faults`, `storage_faults`, `cluster_faults`), `cli`.
"""

from fmslab.faults.catalog import FAULTS
from fmslab.faults.runner import FaultError, run_fault, run_faults

__all__ = ["FAULTS", "FaultError", "run_fault", "run_faults"]
