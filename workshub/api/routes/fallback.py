"""Unknown API paths answer in the API's error shape: 404, or 405 with `Allow` when the path
exists for other methods (NiceGUI's own 404 page stays for everything outside the API)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.routing import compile_path

from workshub.api.errors import ApiRoute, error_body

__all__ = ["fallback_router"]

_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


def fallback_router(prefix: str, routers: Iterable[APIRouter]) -> APIRouter:
    """A catch-all for `prefix`, to be included after every real route."""
    known: list[tuple[re.Pattern[str], frozenset[str]]] = [
        (compile_path(prefix + route.path)[0], frozenset(route.methods or ()))
        for router in routers
        for route in router.routes
        if isinstance(route, APIRoute)
    ]
    router = APIRouter(route_class=ApiRoute)

    @router.api_route("/{path:path}", methods=_METHODS, include_in_schema=False)
    def unknown(request: Request, path: str) -> JSONResponse:
        allowed = sorted(
            {m for regex, methods in known if regex.match(request.url.path) for m in methods}
        )
        if allowed:
            return JSONResponse(
                error_body("method_not_allowed", f"Use {', '.join(allowed)} here."),
                status_code=405,
                headers={"Allow": ", ".join(allowed)},
            )
        return JSONResponse(error_body("not_found", "No such route."), status_code=404)

    return router
