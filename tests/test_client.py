"""`workshub.client`: the sync and async clients against the real app (ASGI transport), and
their ETag cache, retries and errors against a scripted transport."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import Engine

from tests.api.conftest import Api, open_api
from workshub.api import build_router
from workshub.client import AsyncDashboardAPI, DashboardAPI, DashboardAPIError
from workshub.clock import FakeClock


@pytest.fixture(scope="module")
def app() -> FastAPI:
    app = FastAPI()
    app.include_router(build_router())
    return app


@pytest.fixture
async def api(engine: Engine, clock: FakeClock, tmp_path: Path, app: FastAPI) -> AsyncIterator[Api]:
    """The API and its small organisation on SQLite (tests/api/conftest.py)."""
    async for value in open_api(engine, clock, tmp_path, app):
        yield value


@pytest.fixture
async def any_api(
    any_engine: Engine, clock: FakeClock, tmp_path: Path, app: FastAPI
) -> AsyncIterator[Api]:
    """The same on SQLite and PostgreSQL."""
    async for value in open_api(any_engine, clock, tmp_path, app):
        yield value


class LoopBridge(httpx.BaseTransport):
    """Lets the sync client, running in a thread, call the app on the test's event loop."""

    def __init__(self, transport: httpx.AsyncBaseTransport, loop: asyncio.AbstractEventLoop):
        self.transport = transport
        self.loop = loop

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        forwarded = httpx.Request(
            request.method, request.url, headers=request.headers, content=request.read()
        )
        return asyncio.run_coroutine_threadsafe(self._send(forwarded), self.loop).result(10)

    async def _send(self, request: httpx.Request) -> httpx.Response:
        response = await self.transport.handle_async_request(request)
        content = await response.aread()
        return httpx.Response(response.status_code, headers=response.headers, content=content)


def asgi(api: Api) -> httpx.ASGITransport:
    transport = api.http._transport
    assert isinstance(transport, httpx.ASGITransport)
    return transport


async def test_the_async_client_end_to_end(any_api: Api) -> None:
    org = any_api.org
    async with AsyncDashboardAPI("http://test", transport=asgi(any_api)) as client:
        assert (await client.health_check())["status"] == "ok"
        signed = await client.sign_in("manager.a@x.test", "secret")
        assert signed["user"]["role"] == "manager" and client.token == signed["token"]
        started = await client.start_timer(org.project_a.id, note="standup")
        assert started["running"] is True
        await any_api.settle()
        today = await client.get_today_data()
        assert today["data"]["running"]["id"] == started["id"]
        comprehensive = await client.get_comprehensive_data()
        assert set(comprehensive["data"]) == {
            "metrics",
            "team_data",
            "client_data",
            "active_timers",
        }
        health = await client.get_client_health_data("2026-11-18")
        assert health["key"].endswith(":2026-11-16")
        everything = await client.get_all_dashboard_data()
        assert set(everything) == {"comprehensive", "today", "client_health"}
        stopped = await client.stop_timer()
        assert stopped["id"] == started["id"]
        with pytest.raises(DashboardAPIError) as raised:
            await client.stop_timer()
        assert raised.value.status == 409 and raised.value.code == "no_running_timer"
        await client.sign_out()
        with pytest.raises(DashboardAPIError) as raised:
            await client.me()
        assert raised.value.status == 401


def _sync_scenario(transport: httpx.BaseTransport, project_id: int) -> dict[str, object]:
    with DashboardAPI("http://test", transport=transport) as client:
        client.sign_in("member.a@x.test", "secret")
        first = client.get_today_data()
        again = client.get_today_data()  # answered 304 from the client's cache
        started = client.start_timer(project_id)
        with pytest.raises(DashboardAPIError) as raised:
            client.get_comprehensive_data()
        return {
            "first": first,
            "again": again,
            "started": started,
            "forbidden": raised.value.status,
        }


async def test_the_sync_client_end_to_end(api: Api) -> None:
    bridge = LoopBridge(asgi(api), asyncio.get_running_loop())
    result = await asyncio.to_thread(_sync_scenario, bridge, api.org.project_a.id)
    assert result["first"] == result["again"]
    assert result["started"]["project_id"] == api.org.project_a.id  # type: ignore[index]
    assert result["forbidden"] == 403


def scripted(answers: list[httpx.Response | Exception], seen: list[httpx.Request]):
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    return httpx.MockTransport(handler)


def test_dashboards_are_asked_with_their_etag_and_304_reuses_the_body() -> None:
    seen: list[httpx.Request] = []
    body = {"type": "today", "version": 7, "data": {"hours_today": 1.5}}
    transport = scripted(
        [
            httpx.Response(200, json=body, headers={"ETag": 'W/"today:user:1:7:base"'}),
            httpx.Response(304, headers={"ETag": 'W/"today:user:1:7:base"'}),
        ],
        seen,
    )
    with DashboardAPI("http://x", token="t", transport=transport) as client:
        assert client.get_today_data() == body
        assert client.get_today_data() == body
    assert "if-none-match" not in seen[0].headers
    assert seen[1].headers["if-none-match"] == 'W/"today:user:1:7:base"'
    assert seen[1].headers["authorization"] == "Bearer t"
    assert seen[1].url.path == "/api/v1/dashboard/today"


def test_a_write_is_retried_once_with_the_same_idempotency_key() -> None:
    seen: list[httpx.Request] = []
    transport = scripted(
        [httpx.ConnectError("dropped"), httpx.Response(201, json={"id": 1, "running": True})],
        seen,
    )
    with DashboardAPI("http://x", token="t", transport=transport) as client:
        assert client.start_timer(3, note="n")["id"] == 1
    assert len(seen) == 2
    assert seen[0].headers["idempotency-key"] == seen[1].headers["idempotency-key"]
    assert json.loads(seen[1].content) == {"project_id": 3, "note": "n"}


def test_errors_carry_code_fields_and_retry_after() -> None:
    answers: list[httpx.Response | Exception] = [
        httpx.Response(
            429,
            json={"error": {"code": "throttled", "message": "Later."}},
            headers={"Retry-After": "42"},
        ),
        httpx.Response(
            422,
            json={
                "error": {
                    "code": "validation_failed",
                    "message": "week: bad",
                    "fields": {"week": "bad"},
                }
            },
        ),
    ]
    with DashboardAPI("http://x", transport=scripted(answers, [])) as client:
        with pytest.raises(DashboardAPIError) as throttled:
            client.sign_in("a@x.test", "pw")
        assert throttled.value.code == "throttled" and throttled.value.retry_after == 42
        with pytest.raises(DashboardAPIError) as invalid:
            client.get_client_health_data("soon")
        assert invalid.value.fields == {"week": "bad"}


def test_unknown_dashboard_options_are_a_type_error() -> None:
    with DashboardAPI("http://x", transport=scripted([], [])) as client:
        with pytest.raises(TypeError):
            client.get_comprehensive_data(weak="2026-11-23")


def test_a_degraded_health_answer_is_returned_not_raised() -> None:
    answers: list[httpx.Response | Exception] = [
        httpx.Response(503, json={"status": "degraded", "version": "0.1.0"})
    ]
    with DashboardAPI("http://x", transport=scripted(answers, [])) as client:
        assert client.health_check()["status"] == "degraded"
