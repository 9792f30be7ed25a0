"""The API documents itself, and stays inside `/api/v1` on the app it is installed on."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.api.conftest import Api, make_app
from workshub.api import install_api

SPEC_ROUTES = {
    ("post", "/api/v1/auth/token"),
    ("delete", "/api/v1/auth/token"),
    ("get", "/api/v1/me"),
    ("post", "/api/v1/me/password"),
    ("get", "/api/v1/dashboard/{data_type}"),
    ("get", "/api/v1/dashboard"),
    ("post", "/api/v1/dashboard/{data_type}/refresh"),
    ("get", "/api/v1/health"),
    ("post", "/api/v1/timer/start"),
    ("post", "/api/v1/timer/stop"),
    ("get", "/api/v1/time-entries"),
    ("get", "/api/v1/time-entries.csv"),
    ("post", "/api/v1/time-entries"),
    ("patch", "/api/v1/time-entries/{entry_id}"),
    ("delete", "/api/v1/time-entries/{entry_id}"),
    ("get", "/api/v1/tasks"),
    ("post", "/api/v1/tasks"),
    ("patch", "/api/v1/tasks/{task_id}"),
    ("get", "/api/v1/notifications"),
    ("post", "/api/v1/notifications/{notification_id}/read"),
    ("get", "/api/v1/time-off"),
    ("post", "/api/v1/time-off"),
    ("delete", "/api/v1/time-off/{time_off_id}"),
    ("get", "/api/v1/projects"),
    ("get", "/api/v1/clients"),
    ("get", "/api/v1/teams"),
    ("get", "/api/v1/users"),
    ("put", "/api/v1/clients/{client_id}/pulse"),
    ("post", "/api/v1/users"),
    ("patch", "/api/v1/users/{user_id}"),
    ("post", "/api/v1/users/{user_id}/password-reset"),
    ("post", "/api/v1/teams"),
    ("patch", "/api/v1/teams/{team_id}"),
    ("post", "/api/v1/clients"),
    ("patch", "/api/v1/clients/{client_id}"),
    ("post", "/api/v1/projects"),
    ("patch", "/api/v1/projects/{project_id}"),
}


async def test_every_route_of_the_spec_is_documented(api: Api) -> None:
    schema = make_app(api.system).openapi()
    documented = {(method, path) for path, item in schema["paths"].items() for method in item}
    assert documented >= SPEC_ROUTES
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            assert operation.get("summary"), (method, path)
            if path != "/api/v1/health" and not path.endswith("/auth/token"):
                assert "401" in operation["responses"], (method, path)
    assert not any("{path}" in path for path in schema["paths"])  # the catch-all is hidden


async def test_paths_outside_the_api_are_left_to_the_app(api: Api) -> None:
    app: FastAPI = make_app(api.system)

    @app.get("/page")
    def page() -> dict[str, str]:
        return {"page": "yes"}

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        assert (await client.get("/page")).json() == {"page": "yes"}
        outside = await client.get("/elsewhere")
        assert outside.status_code == 404
        assert "error" not in outside.json()  # the app's own 404, not the API's
        inside = await client.get("/api/v1/elsewhere")
        assert inside.json()["error"]["code"] == "not_found"


async def test_a_browser_session_seam_is_consulted_without_a_token(api: Api) -> None:
    member = api.org.member_a

    async def me_with_session(session_version: int) -> httpx.Response:
        app = FastAPI()
        install_api(app, api.system, browser_session=lambda request: (member.id, session_version))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get("/api/v1/me")

    current = await me_with_session(1)
    assert current.json()["id"] == member.id and current.json()["via"] == "session"
    assert (await me_with_session(2)).status_code == 401  # an outdated session
