"""The API's error boundary: every failure leaves as `{"error": {code, message, fields?}}` (SPEC §6)
and every response echoes its request id.

It lives in a route class rather than in app-wide exception handlers because the API is
installed on NiceGUI's app, whose own 404 and 500 handlers must keep serving the pages.
"""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from sqlalchemy.exc import IntegrityError, OperationalError
from starlette.exceptions import HTTPException
from starlette.types import Message

from workshub.domain.errors import DomainError, Throttled, Unauthenticated

__all__ = [
    "MAX_BODY_BYTES",
    "REQUEST_ID_HEADER",
    "ApiRoute",
    "Unavailable",
    "error_body",
    "error_response",
    "request_id_of",
    "validation_fields",
]

log = logging.getLogger(__name__)

REQUEST_ID_HEADER = "X-Request-ID"
MAX_BODY_BYTES = 1_000_000
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:@/+=-]{1,100}$")
_HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "throttled",
}


class Unavailable(DomainError):
    """A part WorksHub needs (the live store, the database) is not there right now."""

    code, status = "unavailable", 503


def error_body(code: str, message: str, fields: dict[str, str] | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    return {"error": error}


def error_response(error: DomainError) -> JSONResponse:
    headers: dict[str, str] = {}
    if isinstance(error, Throttled):
        headers["Retry-After"] = str(error.retry_after)
    elif isinstance(error, Unauthenticated):
        headers["WWW-Authenticate"] = "Bearer"
    elif isinstance(error, Unavailable):
        headers["Retry-After"] = "1"
    return JSONResponse(error.to_body(), status_code=error.status, headers=headers or None)


def request_id_of(request: Request) -> str:
    """The caller's `X-Request-ID` when it is sane, else a fresh one (set by `ApiRoute`)."""
    rid = getattr(request.state, "request_id", None)
    if isinstance(rid, str):
        return rid
    given = request.headers.get(REQUEST_ID_HEADER, "")
    # Not a secret, so no `uuid4` (a getrandom syscall per request, a GIL round trip under load).
    rid = given if _REQUEST_ID.match(given) else f"{random.getrandbits(128):032x}"
    request.state.request_id = rid
    return rid


def validation_fields(exc: RequestValidationError) -> dict[str, str]:
    """pydantic's errors as {field: message}; the first message per field wins."""
    fields: dict[str, str] = {}
    for item in exc.errors():
        loc = [str(part) for part in item.get("loc", ())]
        name = ".".join(loc[1:]) if len(loc) > 1 else (loc[0] if loc else "request")
        message = str(item.get("msg", "is invalid")).removeprefix("Value error, ")
        fields.setdefault(name, message)
    return fields


def _validation_response(exc: RequestValidationError) -> JSONResponse:
    if any(item.get("type") == "json_invalid" for item in exc.errors()):
        return JSONResponse(
            error_body("invalid_json", "The request body is not valid JSON."), status_code=400
        )
    fields = validation_fields(exc)
    message = "; ".join(f"{name}: {text}" for name, text in fields.items())
    return JSONResponse(error_body("validation_failed", message, fields), status_code=422)


def _http_response(exc: HTTPException) -> JSONResponse:
    code = _HTTP_CODES.get(exc.status_code, "error")
    message = exc.detail if isinstance(exc.detail, str) and exc.detail else code
    return JSONResponse(error_body(code, message), status_code=exc.status_code, headers=exc.headers)


def _failure_response(exc: Exception, request: Request) -> Response:
    if isinstance(exc, DomainError):
        return error_response(exc)
    if isinstance(exc, RequestValidationError):
        return _validation_response(exc)
    if isinstance(exc, HTTPException):
        return _http_response(exc)
    if isinstance(exc, IntegrityError):
        # Services turn the races they expect into domain errors; this is the safety net.
        log.warning("integrity error reached the API: %s", exc.orig)
        return JSONResponse(
            error_body("conflict", "The change conflicts with existing data; reload and retry."),
            status_code=409,
        )
    if isinstance(exc, OperationalError):
        log.error("database unavailable: %s", exc.orig)
        return JSONResponse(
            error_body("unavailable", "The database is busy or unreachable; retry shortly."),
            status_code=503,
            headers={"Retry-After": "1"},
        )
    log.exception("unhandled error in %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse(
        error_body("internal_error", f"Something went wrong (request {request_id_of(request)})."),
        status_code=500,
    )


def _too_large() -> HTTPException:
    return HTTPException(413, f"The body may be at most {MAX_BODY_BYTES} bytes.")


def _capped(request: Request) -> Request:
    """The request with a body that may not grow past MAX_BODY_BYTES, whatever it declares."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise _too_large()
    receive = request.receive
    received = 0

    async def capped_receive() -> Message:
        nonlocal received
        message = await receive()
        received += len(message.get("body", b""))
        if received > MAX_BODY_BYTES:
            raise _too_large()
        return message

    return Request(request.scope, capped_receive)


class ApiRoute(APIRoute):
    """A route whose failures, including FastAPI's own validation, answer in the API's shape."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            rid = request_id_of(request)
            try:
                response = await handler(_capped(request))
            except Exception as exc:
                response = _failure_response(exc, request)
            response.headers[REQUEST_ID_HEADER] = rid
            return response

        return guarded
