"""The REST API (`/api/v1`, SPEC §6): the same snapshots and writes as the pages, for scripts,
wall displays and other tools.

`install_api(app, system)` mounts it on NiceGUI's app in production and on a plain FastAPI in
tests; `system` (the composition root) goes to `app.state.system`.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from workshub.api.deps import BROWSER_SESSION_STATE, BrowserSession
from workshub.api.errors import MAX_BODY_BYTES, ApiRoute
from workshub.api.lean import install_lean_bearer_path
from workshub.api.routes import (
    admin,
    auth,
    dashboard,
    entries,
    health,
    notifications,
    reference,
    tasks,
    time_off,
    timer,
)
from workshub.api.routes.fallback import fallback_router
from workshub.app import System

__all__ = ["API_PREFIX", "MAX_BODY_BYTES", "build_router", "install_api"]

API_PREFIX = "/api/v1"
_ROUTERS = (
    auth.router,
    health.router,
    dashboard.router,
    timer.router,
    entries.router,
    tasks.router,
    notifications.router,
    time_off.router,
    reference.router,
    admin.router,
)


def build_router() -> APIRouter:
    """Every API route under `/api/v1`, then the catch-all that answers unknown paths."""
    api = APIRouter(prefix=API_PREFIX, route_class=ApiRoute)
    for router in _ROUTERS:
        api.include_router(router)
    api.include_router(fallback_router(API_PREFIX, _ROUTERS))
    return api


def install_api(
    app: FastAPI, system: System, *, browser_session: BrowserSession | None = None
) -> None:
    """Mount the API on `app`. `browser_session` is the seam the pages fill: it returns
    (user_id, session_version) for a request with a signed session cookie, else None.
    Calls with a bearer token skip the app's browser middleware (see `workshub.api.lean`)."""
    app.state.system = system
    if browser_session is not None:
        setattr(app.state, BROWSER_SESSION_STATE, browser_session)
    app.include_router(build_router())
    install_lean_bearer_path(app, API_PREFIX)
