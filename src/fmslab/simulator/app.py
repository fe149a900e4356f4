"""The FMS API as a FastAPI app: `GET /{DeviceId}/` plus status, health, device list, metrics and
`PUT /faults` (switch the fault profiles while serving)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from fmslab.simulator.fleet import Fleet, SimulatorConfig
from fmslab.simulator.logbook import Logbook
from fmslab.simulator.metrics import ApiMetrics

FLUSH_SECONDS = 0.25


class AccessLog:
    """ASGI middleware: one access-log line per HTTP request (status and latency)."""

    def __init__(self, app: Any, logbook: Logbook) -> None:
        self.app = app
        self.logbook = logbook

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def record_status(message: dict) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            client = scope.get("client") or ("", 0)
            elapsed = (time.perf_counter() - started) * 1000
            self.logbook.access(scope["method"], scope["path"], status, elapsed, str(client[0]))


def _error(status: int, error: str, detail: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": error, "detail": detail}, status_code=status, headers=headers)


def _lifespan(logbook: Logbook) -> Any:
    """Flush the logs every FLUSH_SECONDS while the app runs, and once more at shutdown."""

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async def flush_forever() -> None:
            while True:
                await asyncio.sleep(FLUSH_SECONDS)
                logbook.flush()

        flusher = asyncio.create_task(flush_forever())
        try:
            yield
        finally:
            flusher.cancel()
            logbook.close()

    return lifespan


SERVICE_NAME = "FMS API (simulator)"


def _add_service_routes(app: FastAPI, fleet: Fleet, metrics: ApiMetrics) -> None:
    started = time.monotonic()

    @app.get("/")
    async def server_status() -> dict[str, Any]:
        """The server's status, as the original course's API check asks for it (`GET /`)."""
        return {
            "service": SERVICE_NAME,
            "status": "running",
            "devices": fleet.config.devices,
            "uptime_seconds": round(time.monotonic() - started, 3),
            "readings": "GET /{DeviceId}/",
        }

    @app.get("/healthz")
    async def healthz() -> dict[str, Any]:
        """Liveness and the run's settings."""
        return {"status": "ok", **fleet.describe()}

    @app.put("/faults")
    async def switch_faults(profiles: str) -> Any:
        """Switch the fault profiles while serving (`PUT /faults?profiles=duplicates,skew`), so
        a fault run can make the data go bad without stopping the API; 400 names the known ones."""
        from fmslab.simulator.faults import FaultProfileError

        try:
            fleet.switch_faults(profiles)
        except FaultProfileError as err:
            return JSONResponse({"error": str(err)}, status_code=400)
        return {"status": "ok", **fleet.describe()}

    @app.get("/devices")
    async def devices() -> list[dict[str, Any]]:
        """Every device and its profile."""
        return [profile.as_dict() for profile in fleet.profiles]

    @app.get("/metrics")
    async def prometheus_metrics() -> Response:
        """Prometheus metrics in text format."""
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)


def _add_reading_route(app: FastAPI, fleet: Fleet, metrics: ApiMetrics, logbook: Logbook) -> None:
    retry_after = str(fleet.plan.params["retry_after_seconds"])
    not_found = f"valid DeviceId values are 1..{fleet.config.devices}"

    async def reading(request: Request) -> Response:
        """One reading of machine `device_id`, like the original FMS API."""
        device = fleet.device(request.path_params["device_id"])
        if device is None:
            metrics.request(None, 404)
            return _error(404, "unknown device", not_found)
        fault = fleet.request_fault(device)
        metrics.fault(fault.kinds())
        if fault.delay:
            await asyncio.sleep(fault.delay)
        if fault.status is not None:  # an HTTP fault: the reading is not consumed
            metrics.request(device, fault.status)
            if fault.status == 429:
                detail = f"retry after {retry_after} s"
                return _error(429, "too many requests", detail, {"Retry-After": retry_after})
            return _error(500, "internal server error", "simulated server failure; retry")
        delivery = fleet.take(device)
        metrics.request(device, 200)
        metrics.reading(device, delivery.served.faults)
        logbook.reading(device, delivery.slot, delivery.served.payload, delivery.served.faults)
        return Response(delivery.body, media_type="application/json")

    # A plain Starlette route: FastAPI's parameter validation would cost more than the reading,
    # and a non-numeric id must be a 404 with our body, not a 422.
    app.add_route("/{device_id}/", reading, methods=["GET"])
    app.add_route("/{device_id}", reading, methods=["GET"], include_in_schema=False)


def create_app(config: SimulatorConfig, log_dir: Path) -> FastAPI:
    """The simulator app for `config`, logging under `log_dir`."""
    fleet = Fleet(config)
    metrics = ApiMetrics()
    logbook = Logbook(log_dir)
    app = FastAPI(
        title=SERVICE_NAME,
        description="Simulated factory sensors: GET /{DeviceId}/ returns one reading.",
        lifespan=_lifespan(logbook),
    )
    app.add_middleware(AccessLog, logbook=logbook)
    app.state.fleet = fleet
    app.state.metrics = metrics
    _add_service_routes(app, fleet, metrics)
    _add_reading_route(app, fleet, metrics, logbook)  # last: /{device_id} matches any segment
    return app
