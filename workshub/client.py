"""A Python client of the REST API for scripts, wall displays and tests (the seed's
`dashboardAPI`, SPEC §10), synchronous (`DashboardAPI`) and asynchronous (`AsyncDashboardAPI`).

It keeps each dashboard's ETag and asks with `If-None-Match`, so polling an unchanged
dashboard costs the server a 304 and the client nothing; writes carry an `Idempotency-Key`, so
the one retry after a dropped connection can never write twice. Pass `transport=` (e.g.
`httpx.ASGITransport(app)` or `httpx.MockTransport`) to talk to an app without a network.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date
from types import TracebackType
from typing import Any, Self

import httpx

__all__ = ["AsyncDashboardAPI", "DashboardAPI", "DashboardAPIError"]

API_PREFIX = "/api/v1"
_ETAG_CACHE_SIZE = 64


class DashboardAPIError(Exception):
    """An error answer of the API: `{"error": {code, message, fields?}}` and its status."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        fields: dict[str, str] | None = None,
        body: Any = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields or {}
        self.body = body
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class _Call:
    """One request, planned without I/O so the sync and async clients share every rule."""

    method: str
    path: str
    params: dict[str, Any] = field(default_factory=dict)
    json: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    cache: bool = False  # a dashboard read: use and keep its ETag
    ok_statuses: tuple[int, ...] = ()  # non-2xx answers that still carry the result

    @property
    def cache_key(self) -> str:
        return self.path + "?" + "&".join(f"{k}={v}" for k, v in sorted(self.params.items()))


def _week(value: date | str | None) -> str | None:
    return value.isoformat() if isinstance(value, date) else value


def _dashboard_params(options: dict[str, Any]) -> dict[str, Any]:
    allowed = {"week", "team_id", "client_id"}
    unknown = set(options) - allowed
    if unknown:
        raise TypeError(f"unknown dashboard options: {', '.join(sorted(unknown))}")
    params = {k: v for k, v in options.items() if v is not None}
    if "week" in params:
        params["week"] = _week(params["week"])
    return params


class _Core:
    """Credentials, the ETag cache, and turning answers into results or errors."""

    def __init__(self, token: str | None) -> None:
        self.token = token
        self._etags: OrderedDict[str, tuple[str, Any]] = OrderedDict()

    def headers(self, call: _Call) -> dict[str, str]:
        headers = {"Accept": "application/json", **call.headers}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if call.cache and (cached := self._etags.get(call.cache_key)):
            headers["If-None-Match"] = cached[0]
        return headers

    def result(self, call: _Call, response: httpx.Response) -> Any:
        if response.status_code == 304 and call.cache and call.cache_key in self._etags:
            self._etags.move_to_end(call.cache_key)
            return self._etags[call.cache_key][1]
        if response.is_success or response.status_code in call.ok_statuses:
            body = response.json() if response.content else None
            etag = response.headers.get("ETag")
            if call.cache and etag:
                self._etags[call.cache_key] = (etag, body)
                self._etags.move_to_end(call.cache_key)
                while len(self._etags) > _ETAG_CACHE_SIZE:
                    self._etags.popitem(last=False)
            return body
        raise _error(response)


def _error(response: httpx.Response) -> DashboardAPIError:
    try:
        body = response.json()
        error = body["error"]
        code, message, fields = error["code"], error["message"], error.get("fields")
    except (ValueError, KeyError, TypeError):
        body, code, message, fields = response.text, "http_error", response.reason_phrase, None
    retry = response.headers.get("Retry-After", "")
    return DashboardAPIError(
        response.status_code,
        code,
        message,
        fields=fields,
        body=body,
        retry_after=int(retry) if retry.isdigit() else None,
    )


# --- the calls, shared by both clients ----------------------------------------------------------


def _write(method: str, path: str, json: Any = None, *, key: str | None = None) -> _Call:
    return _Call(method, path, json=json, headers={"Idempotency-Key": key or uuid.uuid4().hex})


def _sign_in(email: str, password: str, name: str, expires_in_days: int | None) -> _Call:
    body: dict[str, Any] = {"email": email, "password": password, "name": name}
    if expires_in_days is not None:
        body["expires_in_days"] = expires_in_days
    return _Call("POST", "/auth/token", json=body)


def _dashboard(data_type: str, options: dict[str, Any]) -> _Call:
    return _Call("GET", f"/dashboard/{data_type}", params=_dashboard_params(options), cache=True)


def _start(project_id: int, note: str, billable: bool | None, key: str | None) -> _Call:
    body: dict[str, Any] = {"project_id": project_id, "note": note}
    if billable is not None:
        body["billable"] = billable
    return _write("POST", "/timer/start", body, key=key)


_HEALTH = _Call("GET", "/health", ok_statuses=(503,))


class DashboardAPI:
    """The REST API from synchronous code::

    with DashboardAPI("http://127.0.0.1:8080") as api:
        api.sign_in("member@demo.test", "demo")
        api.start_timer(project_id=3)
        print(api.get_today_data()["data"]["running"])
    """

    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8080",
        token: str | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 10.0,
        retries: int = 1,
    ) -> None:
        self._core = _Core(token)
        self._retries = retries
        self._http = httpx.Client(
            base_url=base_url.rstrip("/") + API_PREFIX, transport=transport, timeout=timeout
        )

    @property
    def token(self) -> str | None:
        return self._core.token

    def _send(self, call: _Call) -> Any:
        for attempt in range(self._retries + 1):
            try:
                response = self._http.request(
                    call.method,
                    call.path,
                    params=call.params or None,
                    json=call.json,
                    headers=self._core.headers(call),
                )
            except httpx.TransportError:
                if attempt == self._retries:
                    raise
                continue
            return self._core.result(call, response)
        raise AssertionError("unreachable")

    # --- the seed's dashboardAPI ----------------------------------------------------------

    def get_comprehensive_data(self, **options: Any) -> dict[str, Any]:
        """metrics + team_data + client_data + active_timers for your scope (week, team_id)."""
        result: dict[str, Any] = self._send(_dashboard("comprehensive", options))
        return result

    def get_today_data(self) -> dict[str, Any]:
        result: dict[str, Any] = self._send(_dashboard("today", {}))
        return result

    def get_client_health_data(self, selected_week: date | str | None = None) -> dict[str, Any]:
        result: dict[str, Any] = self._send(_dashboard("client_health", {"week": selected_week}))
        return result

    def get_all_dashboard_data(self, **options: Any) -> dict[str, Any]:
        """`{comprehensive, today, client_health}` in one request (week, team_id)."""
        call = _Call("GET", "/dashboard", params=_dashboard_params(options), cache=True)
        result: dict[str, Any] = self._send(call)
        return result

    def health_check(self) -> dict[str, Any]:
        result: dict[str, Any] = self._send(_HEALTH)
        return result

    # --- more of the API ------------------------------------------------------------------

    def get_dashboard(self, data_type: str, **options: Any) -> dict[str, Any]:
        result: dict[str, Any] = self._send(_dashboard(data_type, options))
        return result

    def refresh(self, data_type: str, **options: Any) -> dict[str, Any]:
        call = _Call("POST", f"/dashboard/{data_type}/refresh", params=_dashboard_params(options))
        result: dict[str, Any] = self._send(call)
        return result

    def sign_in(
        self,
        email: str,
        password: str,
        *,
        name: str = "workshub-client",
        expires_in_days: int | None = None,
    ) -> dict[str, Any]:
        """Get a token (kept for later calls); returns `{token, user, ...}`."""
        result: dict[str, Any] = self._send(_sign_in(email, password, name, expires_in_days))
        self._core.token = result["token"]
        return result

    def sign_out(self) -> None:
        """Revoke the token in use."""
        self._send(_write("DELETE", "/auth/token"))
        self._core.token = None

    def me(self) -> dict[str, Any]:
        result: dict[str, Any] = self._send(_Call("GET", "/me"))
        return result

    def start_timer(
        self,
        project_id: int,
        *,
        note: str = "",
        billable: bool | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        result: dict[str, Any] = self._send(_start(project_id, note, billable, idempotency_key))
        return result

    def stop_timer(self, *, idempotency_key: str | None = None) -> dict[str, Any]:
        result: dict[str, Any] = self._send(_write("POST", "/timer/stop", key=idempotency_key))
        return result

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncDashboardAPI:
    """The REST API from async code; the same methods as `DashboardAPI`, awaited."""

    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8080",
        token: str | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 10.0,
        retries: int = 1,
    ) -> None:
        self._core = _Core(token)
        self._retries = retries
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/") + API_PREFIX, transport=transport, timeout=timeout
        )

    @property
    def token(self) -> str | None:
        return self._core.token

    async def _send(self, call: _Call) -> Any:
        for attempt in range(self._retries + 1):
            try:
                response = await self._http.request(
                    call.method,
                    call.path,
                    params=call.params or None,
                    json=call.json,
                    headers=self._core.headers(call),
                )
            except httpx.TransportError:
                if attempt == self._retries:
                    raise
                continue
            return self._core.result(call, response)
        raise AssertionError("unreachable")

    async def get_comprehensive_data(self, **options: Any) -> dict[str, Any]:
        result: dict[str, Any] = await self._send(_dashboard("comprehensive", options))
        return result

    async def get_today_data(self) -> dict[str, Any]:
        result: dict[str, Any] = await self._send(_dashboard("today", {}))
        return result

    async def get_client_health_data(
        self, selected_week: date | str | None = None
    ) -> dict[str, Any]:
        call = _dashboard("client_health", {"week": selected_week})
        result: dict[str, Any] = await self._send(call)
        return result

    async def get_all_dashboard_data(self, **options: Any) -> dict[str, Any]:
        call = _Call("GET", "/dashboard", params=_dashboard_params(options), cache=True)
        result: dict[str, Any] = await self._send(call)
        return result

    async def health_check(self) -> dict[str, Any]:
        result: dict[str, Any] = await self._send(_HEALTH)
        return result

    async def get_dashboard(self, data_type: str, **options: Any) -> dict[str, Any]:
        result: dict[str, Any] = await self._send(_dashboard(data_type, options))
        return result

    async def refresh(self, data_type: str, **options: Any) -> dict[str, Any]:
        call = _Call("POST", f"/dashboard/{data_type}/refresh", params=_dashboard_params(options))
        result: dict[str, Any] = await self._send(call)
        return result

    async def sign_in(
        self,
        email: str,
        password: str,
        *,
        name: str = "workshub-client",
        expires_in_days: int | None = None,
    ) -> dict[str, Any]:
        result: dict[str, Any] = await self._send(_sign_in(email, password, name, expires_in_days))
        self._core.token = result["token"]
        return result

    async def sign_out(self) -> None:
        await self._send(_write("DELETE", "/auth/token"))
        self._core.token = None

    async def me(self) -> dict[str, Any]:
        result: dict[str, Any] = await self._send(_Call("GET", "/me"))
        return result

    async def start_timer(
        self,
        project_id: int,
        *,
        note: str = "",
        billable: bool | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        call = _start(project_id, note, billable, idempotency_key)
        result: dict[str, Any] = await self._send(call)
        return result

    async def stop_timer(self, *, idempotency_key: str | None = None) -> dict[str, Any]:
        call = _write("POST", "/timer/stop", key=idempotency_key)
        result: dict[str, Any] = await self._send(call)
        return result

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
