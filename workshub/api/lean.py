"""A lean middleware stack for API calls that carry a bearer token.

NiceGUI's app wraps every request in its browser machinery: a signed session cookie, user
storage created per session, and three `BaseHTTPMiddleware`s (request tracking, redirect prefix,
cache control), each of which runs the rest of the request in a task of its own. A script
calling `/api/v1` with `Authorization: Bearer …` uses none of it (a bearer token always wins over
a browser session, see `deps.optional_caller`), yet paid ~1 ms of the event loop per request
for it. Such calls go through FastAPI's own stack (server errors, exception handlers) with the
app's gzip only; everything else, browser API calls included, takes the full stack.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["install_lean_bearer_path", "is_bearer_api_call"]

_KEPT = (GZipMiddleware,)


def is_bearer_api_call(scope: Scope, prefix: str) -> bool:
    """An HTTP request under `prefix` with an `Authorization: Bearer` header."""
    if scope["type"] != "http" or not scope["path"].startswith(prefix + "/"):
        return False
    for name, value in scope["headers"]:
        if name == b"authorization":
            return value[:7].lower() == b"bearer "
    return False


def install_lean_bearer_path(app: FastAPI, prefix: str) -> None:
    """Route bearer calls under `prefix` past the app's browser middleware. Call it after the
    middleware is added or before the first request (the stack is built on the first one)."""
    build_full: Callable[[], ASGIApp] = app.build_middleware_stack

    def build() -> ASGIApp:
        full = build_full()
        lean = _lean_stack(app)

        async def dispatch(scope: Scope, receive: Receive, send: Send) -> None:
            if is_bearer_api_call(scope, prefix):
                await lean(scope, receive, send)
            else:
                await full(scope, receive, send)

        return dispatch

    app.build_middleware_stack = build  # type: ignore[method-assign]


def _lean_stack(app: FastAPI) -> ASGIApp:
    """FastAPI's own stack around the router, with only the kept user middleware."""
    every = app.user_middleware
    app.user_middleware = [m for m in every if isinstance(m.cls, type) and m.cls in _KEPT]
    try:
        return FastAPI.build_middleware_stack(app)
    finally:
        app.user_middleware = every
