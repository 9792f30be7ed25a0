"""Every failure answers `{"error": {code, message, fields?}}` with the status of SPEC §6, and
bad input is never a 500."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from tests.api.conftest import Api
from workshub.domain.models import User


def error_of(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]


async def test_malformed_json_is_400_invalid_json(api: Api) -> None:
    response = await api.call(
        "POST",
        "/timer/start",
        api.org.member_a,
        content=b'{"project_id": 1,',
        headers={"Content-Type": "application/json"},
    )
    error_of(response, 400, "invalid_json")


async def test_validation_errors_name_each_field(api: Api) -> None:
    response = await api.call(
        "POST",
        "/time-entries",
        api.org.member_a,
        json={"project_id": "abc", "started_at": "2026-11-24T09:00:00Z", "colour": "red"},
    )
    error = error_of(response, 422, "validation_failed")
    assert set(error["fields"]) == {"project_id", "ended_at", "colour"}


@pytest.mark.parametrize(
    "body",
    [
        [],
        "text",
        12,
        None,
        {"project_id": 10**30},
        {"project_id": -1},
        {"project_id": 1.5},
        {"project_id": True},
        {"project_id": [1]},
        {"project_id": {"id": 1}},
        {"project_id": 1, "note": 5},
        {"project_id": 1, "note": "a\x00b"},
        {"project_id": 1, "note": "x" * 10_000},
        {"project_id": 1, "billable": "yes"},
    ],
    ids=repr,
)
async def test_garbage_timer_bodies_are_422(api: Api, body: object) -> None:
    response = await api.call("POST", "/timer/start", api.org.member_a, json=body)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "validation_failed"


@pytest.mark.parametrize(
    ("started", "ended", "field"),
    [
        ("2026-11-24T09:00:00", "2026-11-24T10:00:00Z", "started_at"),
        ("2026-11-24T09:00:00Z", "2026-11-24T10:00:00", "ended_at"),
        ("yesterday", "2026-11-24T10:00:00Z", "started_at"),
        ("0001-01-01T00:00:00+01:00", "2026-11-24T10:00:00Z", "started_at"),
        ("2026-11-24T09:00:00Z", "9999-12-31T23:59:59-05:00", "ended_at"),
    ],
)
async def test_naive_or_absurd_instants_are_422(
    api: Api, started: str, ended: str, field: str
) -> None:
    body = {"project_id": api.org.project_a.id, "started_at": started, "ended_at": ended}
    response = await api.call("POST", "/time-entries", api.org.member_a, json=body)
    error = error_of(response, 422, "validation_failed")
    assert field in error["fields"]


async def test_nan_and_infinite_hours_are_422(api: Api) -> None:
    for raw in (b'{"day": "2026-11-24", "hours": NaN}', b'{"day": "2026-11-24", "hours": 1e999}'):
        response = await api.call(
            "POST",
            "/time-off",
            api.org.member_a,
            content=raw,
            headers={"Content-Type": "application/json"},
        )
        assert error_of(response, 422, "validation_failed")["fields"].keys() == {"hours"}


@pytest.mark.parametrize(
    "path",
    [
        "/time-entries?limit=5000",
        "/time-entries?limit=abc",
        "/time-entries?from=2026-13-01",
        "/time-entries?from=0001-01-01&to=0001-01-02",
        "/time-entries?user_id=99999999999999999999",
        "/time-entries?cursor=not-a-cursor",
        "/time-entries?from=2026-01-01&to=2027-06-01",
        "/time-entries?from=2026-11-25&to=2026-11-01",
        "/dashboard/metrics?week=someday",
        "/dashboard/metrics?team_id=0",
        "/tasks?assignee=-3",
    ],
)
async def test_bad_query_parameters_are_422(api: Api, path: str) -> None:
    response = await api.call("GET", path, api.org.admin)
    error_of(response, 422, "validation_failed")


async def test_huge_ids_in_paths_are_422_not_a_database_error(any_api: Api) -> None:
    response = await any_api.call(
        "PATCH", f"/time-entries/{2**40}", any_api.org.admin, json={"version": 1}
    )
    error_of(response, 422, "validation_failed")
    response = await any_api.call("GET", f"/time-entries/{2**31 - 1}", any_api.org.admin)
    error_of(response, 404, "not_found")


async def test_nul_in_sign_in_email_is_422_on_postgres_too(any_api: Api) -> None:
    response = await any_api.call(
        "POST", "/auth/token", json={"email": "a\x00@x.test", "password": "secret"}
    )
    error_of(response, 422, "validation_failed")


async def test_unknown_route_is_404_in_the_same_shape(api: Api) -> None:
    error_of(await api.call("GET", "/nothing/here", api.org.admin), 404, "not_found")
    error_of(await api.call("GET", "/nothing/here"), 404, "not_found")


async def test_known_path_with_another_method_is_405_with_allow(api: Api) -> None:
    response = await api.call("PUT", "/me", api.org.admin)
    error_of(response, 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"]


async def test_without_credentials_it_is_401(api: Api) -> None:
    response = await api.call("GET", "/me")
    error_of(response, 401, "unauthenticated")
    assert response.headers["WWW-Authenticate"] == "Bearer"
    for header in ("Bearer nope", "Basic abc", "Bearer", "Bearer " + "x" * 500):
        response = await api.call("GET", "/me", headers={"Authorization": header})
        error_of(response, 401, "unauthenticated")


async def test_a_deactivated_user_is_refused_at_once(api: Api) -> None:
    assert (await api.call("GET", "/me", api.org.member_a)).status_code == 200
    with Session(api.system.engine) as session:
        user = session.get(User, api.org.member_a.id)
        assert user is not None
        user.is_active = False
        session.add(user)
        session.commit()
    error_of(await api.call("GET", "/me", api.org.member_a), 401, "unauthenticated")


async def test_a_role_change_acts_on_the_next_request(api: Api) -> None:
    path = "/dashboard/team_data"
    assert (await api.call("GET", path, api.org.member_a)).status_code == 403
    with Session(api.system.engine) as session:
        user = session.get(User, api.org.member_a.id)
        assert user is not None
        user.role = "slt"
        session.add(user)
        session.commit()
    assert (await api.call("GET", path, api.org.member_a)).status_code == 200


async def test_the_request_id_is_echoed_or_made(api: Api) -> None:
    response = await api.call("GET", "/me", api.org.admin, headers={"X-Request-ID": "abc-123"})
    assert response.headers["X-Request-ID"] == "abc-123"
    response = await api.call("GET", "/nowhere", headers={"X-Request-ID": "bad id; spaces"})
    assert response.headers["X-Request-ID"] != "bad id; spaces"
    assert len(response.headers["X-Request-ID"]) == 32


async def test_a_body_over_the_limit_is_413(api: Api) -> None:
    note = "x" * 1_200_000
    response = await api.call(
        "POST", "/timer/start", api.org.member_a, json={"project_id": 1, "note": note}
    )
    error_of(response, 413, "payload_too_large")


async def test_a_chunked_body_over_the_limit_is_413_too(api: Api) -> None:
    async def chunks():
        for _ in range(3):
            yield b"x" * 400_000

    response = await api.call(
        "POST",
        "/timer/start",
        api.org.member_a,
        content=chunks(),
        headers={"Content-Type": "application/json"},
    )
    error_of(response, 413, "payload_too_large")
