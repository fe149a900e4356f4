"""The faults `fmslab faults run NAME` injects: what each does, how long, what it measures."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fmslab.faults import cluster_faults, data_faults, service_faults, storage_faults
from fmslab.faults.context import FaultContext, Outcome


@dataclass(frozen=True)
class Fault:
    """One fault: its name, a one-line description, how to inject it and how long it lasts."""

    name: str
    description: str
    inject: Callable[[FaultContext], Outcome]
    full_s: float  # how long the fault is on in the full form
    short_s: float  # ... in the short form (CI): seconds instead of a minute, same path
    detect: str
    recover: str
    reconcile: bool = False  # whether the design needs `reconcile` to reach zero lost
    cluster: bool = False  # whether the stream job runs on a standalone cluster

    def seconds(self, short: bool) -> float:
        """How long the fault is on."""
        return self.short_s if short else self.full_s


_OUTAGE = "injection -> first failed health check or log line about it"
_FLOW = (
    "fault removed (restart issued, service started, lake repaired) -> every service healthy "
    "and a reading collected after the removal readable in the lake"
)

FAULTS: dict[str, Fault] = {
    f.name: f
    for f in (
        Fault(
            "broker-restart",
            "restart the memory-only broker; a fresh-checkpoint stream job and reconcile "
            "bring every accepted reading to the lake once",
            service_faults.broker_restart, 10.0, 2.0, _OUTAGE, _FLOW, reconcile=True,
        ),
        Fault(
            "stream-kill",
            "SIGKILL the stream job mid-batch, restart it: its checkpoint replays the batch",
            # 3 s down in the short form: the 1 s health checks must see the outage.
            service_faults.stream_kill, 10.0, 3.0, _OUTAGE, _FLOW,
        ),
        Fault(
            "collector-kill",
            "SIGKILL the collector, restart it: nothing it archived is lost (reconcile)",
            service_faults.collector_kill, 10.0, 1.0, _OUTAGE, _FLOW, reconcile=True,
        ),
        Fault(
            "api-down",
            "stop the FMS API simulator for 60 s, start it again: retries and circuit breakers",
            service_faults.api_down, 60.0, 5.0, _OUTAGE, _FLOW,
        ),
        Fault(
            "malformed-flood",
            "50 malformed records/s into the raw topic: each quarantined with its reason",
            data_faults.malformed_flood, 60.0, 2.0,
            "injection -> the first flood record processed (its processed_at in the quarantine "
            "zone)",
            "n/a (no outage)",
        ),
        Fault(
            "bad-device",
            "the API serves duplicates, out-of-order and clock-skewed timestamps for a while",
            data_faults.bad_device, 60.0, 6.0,
            "injection -> the first reading processed with an out-of-order or clock-skew flag "
            "(its processed_at in the lake)",
            "n/a (no outage)",
        ),
        Fault(
            "lake-unwritable",
            "the processed zone unwritable for 30 s (its directory replaced by a file)",
            storage_faults.lake_unwritable, 30.0, 4.0, _OUTAGE,
            _FLOW,
        ),
        Fault(
            "worker-kill",
            "SIGKILL a Spark standalone worker running the stream job's executor; start another",
            cluster_faults.worker_kill, 10.0, 1.0,
            "kill -> the master reports one alive worker fewer",
            "new worker started -> every worker alive and a reading collected after that readable",
            cluster=True,
        ),
    )
}  # fmt: skip
