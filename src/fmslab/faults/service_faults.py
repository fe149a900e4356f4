"""Faults of the pipeline's processes: the broker restarted, the stream job and the collector
SIGKILLed, the FMS API stopped. Each returns an `Outcome`; the runner does the accounting.

Detect is measured from the injection to the first sign an operator gets (a failed health check
of `fmslab status`, or the first log line a service printed about it, whichever comes first);
recover from the fault's removal (the restart issued, the API started) to the moment every
service is healthy again and a reading collected after the removal is readable in the lake.
"""

from __future__ import annotations

import time

from fmslab.faults.context import FaultContext, Outcome
from fmslab.jobs import orchestration
from fmslab.services import stop_service, wait_until


def _first(*moments: float | None) -> float | None:
    found = [m for m in moments if m is not None]
    return min(found) if found else None


def _detected(ctx: FaultContext, injected: float, names: tuple[str, ...], pattern: str):
    line = ctx.logs.first_matching(injected, pattern) if pattern else None
    return _first(ctx.health.first_unhealthy(injected, names), line.at if line else None)


def broker_restart(ctx: FaultContext) -> Outcome:
    """Restart the memory-only broker: it comes back empty (topics recreated). The stream job's
    checkpoint is then ahead of the broker's offsets, so it stops with that message; the runner
    restarts it on a fresh checkpoint, as `fmslab up` does for every new broker. What the old
    broker held unread is backfilled from the collector's landing archive by `reconcile`."""
    injected = time.monotonic()
    ctx.restart("broker")
    ended = time.monotonic()
    stopped = ctx.wait_stream_dead(120.0)  # it notices at its next trigger; slow when busy
    detected = _detected(
        ctx,
        injected,
        ("broker", "stream"),
        r"broker unreachable|fewer records|the broker restarted",
    )
    ctx.restart_stream_fresh()
    recovered = ctx.wait_recovered(ended)
    return Outcome(injected, ended, detected, recovered, {"stream_stopped_itself": stopped})


def stream_kill(ctx: FaultContext) -> Outcome:
    """SIGKILL the stream job's process group while a micro-batch is in flight (planned in the
    checkpoint's offsets, not committed), then start it again on the same checkpoint."""
    stream = ctx.service("stream")
    mid_batch = wait_until(lambda: not orchestration.stream_idle(stream), 60.0, 0.01)
    injected = time.monotonic()
    ctx.sigkill("stream")
    checkpoint = orchestration.stream_checkpoint(stream)
    planned = orchestration._batch_ids(checkpoint / "offsets")
    killed = max(planned, default=-1)
    killed_mid = killed not in orchestration._batch_ids(checkpoint / "commits")
    ctx.hold(ctx.seconds)
    ended = time.monotonic()
    ctx.restart("stream", stream)
    recovered = ctx.wait_recovered(ended)
    replayed = killed in orchestration._batch_ids(checkpoint / "commits")
    facts = {
        "killed_batch": killed,
        "killed_mid_batch": bool(mid_batch and killed_mid),
        "killed_batch_replayed": replayed,
    }
    return Outcome(injected, ended, _detected(ctx, injected, ("stream",), ""), recovered, facts)


def collector_kill(ctx: FaultContext) -> Outcome:
    """SIGKILL the collector (no flush, no shutdown), keep it down, start it again. It archives
    each batch (fsync) before it sends it, so a reading archived but not yet sent is in the
    landing archive only: `reconcile` puts it in the lake."""
    injected = time.monotonic()
    collector = ctx.sigkill("collector")
    ctx.hold(ctx.seconds)
    ended = time.monotonic()
    ctx.restart("collector", collector)
    recovered = ctx.wait_recovered(ended)
    return Outcome(injected, ended, _detected(ctx, injected, ("collector",), ""), recovered)


def api_down(ctx: FaultContext) -> Outcome:
    """Stop the FMS API simulator (SIGTERM by pid) for the fault's duration, then start it
    again. The collector's polls fail (retries, then each device's circuit breaker opens and
    waits its cool-down before a trial poll); readings of the slots the API could not serve
    were never offered, so they are counted as missed slots, not as lost readings."""
    api = ctx.service("api")
    injected = time.monotonic()
    stop_service(api, ctx.state)
    ctx.hold(ctx.seconds)
    ended = time.monotonic()
    ctx.restart("api", api)
    recovered = ctx.wait_recovered(ended)
    options = ctx.options
    missed = int((ended - injected) / options.interval * options.devices)
    detected = _detected(ctx, injected, ("api",), r"api|poll|circuit|breaker")
    return Outcome(injected, ended, detected, recovered, {"missed_slots": missed})
