"""`/health`: a public liveness answer for load balancers, and the live store's inner state for
slt and admin (SPEC §6). Point health checks here, never at a page (a page GET builds a client)."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from workshub import __version__
from workshub.api.deps import OptionalCallerDep, SystemDep
from workshub.api.errors import ApiRoute
from workshub.api.schemas import error_responses
from workshub.app import System

__all__ = ["router"]

router = APIRouter(route_class=ApiRoute, tags=["health"])


def _check_database(system: System) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        with system.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # the answer *is* the error
        return {"ok": False, "dialect": system.engine.dialect.name, "error": type(exc).__name__}
    latency = (time.perf_counter() - started) * 1000
    return {"ok": True, "dialect": system.engine.dialect.name, "latency_ms": round(latency, 2)}


def _scheduler(system: System) -> dict[str, Any]:
    scheduler = system.scheduler
    if scheduler is None:
        return {"running": False, "jobs": []}
    return {"running": bool(scheduler.running), "jobs": scheduler.job_stats()}


@router.get(
    "/health",
    summary="Is WorksHub up?",
    description=(
        "Public: `{status: ok|degraded, version}` (503 when the database is unreachable). "
        "With slt or admin credentials also: database, scheduler jobs (next run, last "
        "duration, last error), cache (size, hits, misses, per-key version and age), "
        "connected clients, subscriptions and the last refresh per type."
    ),
    responses=error_responses(401),
)
async def health(system: SystemDep, caller: OptionalCallerDep) -> JSONResponse:
    database = await run_in_threadpool(_check_database, system)
    store = system.store
    degraded = not database["ok"] or store.degraded
    body: dict[str, Any] = {"status": "degraded" if degraded else "ok", "version": __version__}
    if caller is not None and caller.viewer.org_wide:
        body["database"] = database
        body["scheduler"] = _scheduler(system)
        connections = store.connection_health()
        body["cache"] = store.stats()
        body["connected"] = connections["connected"]
        body["subscriptions"] = connections["subscriptions"]
        body["last_refresh"] = connections["last_refresh"]
    return JSONResponse(body, status_code=200 if database["ok"] else 503)
