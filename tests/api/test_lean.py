"""Bearer calls to the API skip the app's browser middleware (session cookie, user storage,
NiceGUI's per-request tasks) and still get the app's gzip; everything else takes the full
stack."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tests.api.conftest import Api
from workshub.api import API_PREFIX, install_api
from workshub.api.lean import is_bearer_api_call

BROWSER_MARK = "x-browser-stack"


class BrowserMiddleware:
    """Stands in for NiceGUI's session and tracking middleware: marks what it saw."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def marked(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).append((BROWSER_MARK.encode(), b"1"))
            await send(message)

        await self.app(scope, receive, marked)


def browser_app(api: Api) -> FastAPI:
    app = FastAPI()
    install_api(app, api.system)
    app.add_middleware(BrowserMiddleware)
    app.add_middleware(GZipMiddleware, minimum_size=1)

    @app.get("/page")
    def page() -> dict[str, str]:
        return {"page": "yes"}

    return app


async def test_bearer_calls_skip_the_browser_stack_and_keep_gzip(api: Api) -> None:
    app = browser_app(api)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        me = await client.get("/api/v1/me", headers=api.org.auth(api.org.member_a))
        assert me.status_code == 200 and me.json()["id"] == api.org.member_a.id
        assert BROWSER_MARK not in me.headers
        assert me.headers["content-encoding"] == "gzip"  # decoded by httpx above

        start = await client.post(
            "/api/v1/timer/start",
            json={"project_id": api.org.project_a.id},
            headers=api.org.auth(api.org.member_a),
        )
        assert start.status_code == 201 and BROWSER_MARK not in start.headers

        # without a token (a browser, or nobody): the full stack, the API's own answers
        anonymous = await client.get("/api/v1/me")
        assert anonymous.status_code == 401 and anonymous.headers[BROWSER_MARK] == "1"
        assert anonymous.json()["error"]["code"] == "unauthenticated"
        # a token outside the API changes nothing either
        page = await client.get("/page", headers=api.org.auth(api.org.member_a))
        assert page.json() == {"page": "yes"} and page.headers[BROWSER_MARK] == "1"


async def test_a_bad_token_is_still_the_apis_401(api: Api) -> None:
    transport = httpx.ASGITransport(app=browser_app(api))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/api/v1/me", headers={"Authorization": "Bearer nope"})
        unknown = await client.get("/api/v1/nowhere", headers={"Authorization": "Bearer x"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"
    assert unknown.json()["error"]["code"] in {"not_found", "unauthenticated"}


def test_which_calls_are_bearer_api_calls() -> None:
    def scope(path: str, *headers: tuple[bytes, bytes], kind: str = "http") -> Scope:
        return {"type": kind, "path": path, "headers": list(headers)}

    bearer = (b"authorization", b"Bearer wh_x")
    assert is_bearer_api_call(scope("/api/v1/me", bearer), API_PREFIX)
    assert is_bearer_api_call(scope("/api/v1/me", (b"authorization", b"bearer wh_x")), API_PREFIX)
    assert not is_bearer_api_call(scope("/api/v1/me"), API_PREFIX)
    assert not is_bearer_api_call(scope("/api/v1/me", (b"authorization", b"Basic x")), API_PREFIX)
    assert not is_bearer_api_call(scope("/api/v10/me", bearer), API_PREFIX)
    assert not is_bearer_api_call(scope("/today", bearer), API_PREFIX)
    assert not is_bearer_api_call(scope("/api/v1/me", bearer, kind="websocket"), API_PREFIX)
