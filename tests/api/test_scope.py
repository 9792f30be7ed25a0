"""The scope matrix (SPEC §2): every route × every role, for own and other teams' data.

403 = a route or data type the role may never use; 404 = an id outside the caller's scope,
answered exactly as for an id that does not exist. Neither ever carries data: no name, no
count, no current row.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlmodel import Session

from tests.api.conftest import ROLES, Api, Org
from workshub.domain.models import Notification, Task, TimeOff

SPAN = {
    "project_id": "{project_b}",
    "started_at": "2026-11-24T13:00:00Z",
    "ended_at": "2026-11-24T14:00:00Z",
}
PROJECT = {"name": "Ops", "starts_on": "2026-11-01", "billing_model": "internal"}
# Columns: team_member (member_a, team A), manager (manager_a, leads team A), slt, admin.
M, MG, S, AD = range(4)
MATRIX: list[tuple[str, str, Any, tuple[int, int, int, int]]] = [
    # dashboards
    ("GET", "/dashboard/metrics", None, (200, 200, 200, 200)),
    ("GET", "/dashboard/metrics?team_id={team_a}", None, (200, 200, 200, 200)),
    ("GET", "/dashboard/metrics?team_id={team_b}", None, (403, 404, 200, 200)),
    ("GET", "/dashboard/metrics?team_id=999", None, (403, 404, 404, 404)),
    ("GET", "/dashboard/team_data", None, (403, 200, 200, 200)),
    ("GET", "/dashboard/team_data?team_id={team_b}", None, (403, 404, 200, 200)),
    ("GET", "/dashboard/active_timers?team_id={team_a}", None, (403, 200, 200, 200)),
    ("GET", "/dashboard/utilization_trend?team_id={team_b}", None, (403, 404, 200, 200)),
    ("GET", "/dashboard/client_data", None, (403, 200, 200, 200)),
    ("GET", "/dashboard/client_health", None, (403, 200, 200, 200)),
    ("GET", "/dashboard/client_history?client_id={client_a}", None, (403, 200, 200, 200)),
    ("GET", "/dashboard/client_history?client_id={client_x}", None, (403, 200, 200, 200)),
    ("GET", "/dashboard/client_history?client_id={client_b}", None, (403, 404, 200, 200)),
    ("GET", "/dashboard/client_history?client_id=999", None, (403, 404, 404, 404)),
    ("GET", "/dashboard/today", None, (200, 200, 200, 200)),
    ("GET", "/dashboard/comprehensive", None, (403, 200, 200, 200)),
    ("GET", "/dashboard/comprehensive?team_id={team_b}", None, (403, 404, 200, 200)),
    ("GET", "/dashboard/no_such_type", None, (404, 404, 404, 404)),
    ("GET", "/dashboard", None, (200, 200, 200, 200)),
    ("GET", "/dashboard?team_id={team_b}", None, (403, 404, 200, 200)),
    ("POST", "/dashboard/team_data/refresh?team_id={team_b}", None, (403, 404, 202, 202)),
    ("POST", "/dashboard/metrics/refresh", None, (202, 202, 202, 202)),
    # reference lists
    ("GET", "/projects", None, (200, 200, 200, 200)),
    ("GET", "/clients", None, (403, 200, 200, 200)),
    ("GET", "/teams", None, (403, 200, 200, 200)),
    ("GET", "/users", None, (403, 200, 200, 200)),
    # time entries
    ("GET", "/time-entries", None, (200, 200, 200, 200)),
    ("GET", "/time-entries?user_id={member_b}", None, (404, 404, 200, 200)),
    ("GET", "/time-entries?user_id={member_a2}", None, (404, 200, 200, 200)),
    ("GET", "/time-entries.csv?user_id={member_b}", None, (404, 404, 200, 200)),
    ("GET", "/time-entries/{entry_b}", None, (404, 404, 200, 200)),
    ("GET", "/time-entries/{entry_a2}", None, (404, 200, 200, 200)),
    ("PATCH", "/time-entries/{entry_b}", {"note": "n", "version": 1}, (404, 404, 403, 200)),
    ("PATCH", "/time-entries/{entry_a2}", {"note": "n", "version": 1}, (404, 200, 403, 200)),
    ("DELETE", "/time-entries/{entry_b}?version=1", None, (404, 404, 403, 204)),
    ("POST", "/timer/stop?user_id={member_b}", None, (404, 404, 403, 409)),
    ("POST", "/timer/start", {"project_id": "{project_b}"}, (201, 201, 201, 201)),
    ("POST", "/time-entries", {**SPAN, "user_id": "{member_b}"}, (404, 404, 403, 201)),
    ("POST", "/time-entries", {**SPAN, "user_id": "{member_a2}"}, (404, 201, 403, 201)),
    # tasks
    ("GET", "/tasks?assignee={member_b}", None, (404, 404, 200, 200)),
    ("PATCH", "/tasks/{task_b}", {"status": "done", "version": 1}, (404, 404, 403, 200)),
    ("POST", "/tasks", {"project_id": "{project_b}", "title": "t"}, (403, 422, 403, 201)),
    # notifications: strictly one's own
    ("GET", "/notifications", None, (200, 200, 200, 200)),
    ("POST", "/notifications/{notification_b}/read", None, (404, 404, 404, 404)),
    # time off: own; admin anyone
    ("GET", "/time-off?user_id={member_b}", None, (404, 404, 403, 200)),
    ("DELETE", "/time-off/{time_off_b}", None, (404, 404, 403, 204)),
    (
        "POST",
        "/time-off",
        {"day": "2026-11-26", "hours": 1, "user_id": "{member_b}"},
        (404, 404, 403, 201),
    ),
    # own account
    ("GET", "/me", None, (200, 200, 200, 200)),
    ("GET", "/health", None, (200, 200, 200, 200)),
    # pulse: a manager's clients, slt, admin
    (
        "PUT",
        "/clients/{client_a}/pulse",
        {"week": "2026-11-23", "rating": "amber"},
        (403, 200, 200, 200),
    ),
    (
        "PUT",
        "/clients/{client_b}/pulse",
        {"week": "2026-11-23", "rating": "amber"},
        (403, 404, 200, 200),
    ),
    ("PUT", "/clients/999/pulse", {"week": "2026-11-23", "rating": "amber"}, (403, 404, 404, 404)),
    # admin
    ("POST", "/teams", {"name": "Gamma"}, (403, 403, 403, 201)),
    ("PATCH", "/users/{member_b}", {"name": "Bea"}, (403, 403, 403, 200)),
    ("PATCH", "/teams/{team_b}", {"name": "Beta 2"}, (403, 403, 403, 200)),
    ("PATCH", "/clients/{client_b}", {"name": "Bolt 2"}, (403, 403, 403, 200)),
    ("PATCH", "/projects/{project_b}", {"name": "Bolt 3"}, (403, 403, 403, 200)),
    ("POST", "/users/{member_b}/password-reset", None, (403, 403, 403, 200)),
    ("POST", "/clients", {"name": "Zed"}, (403, 403, 403, 201)),
    ("POST", "/users", {"email": "n@x.test", "name": "N", "role": "slt"}, (403, 403, 403, 201)),
    ("POST", "/projects", PROJECT, (403, 403, 403, 201)),
]


def other_team_rows(api: Api) -> dict[str, int]:
    """A task, some time off and a notification of member_b (team B)."""
    org = api.org
    now = datetime(2026, 11, 24, 9, tzinfo=UTC)
    with Session(api.system.engine, expire_on_commit=False) as session:
        task = Task(project_id=org.project_b.id, assignee_id=org.member_b.id, title="Bolt job")
        off = TimeOff(user_id=org.member_b.id, day=date(2026, 11, 27), hours=4)
        note = Notification(user_id=org.member_b.id, kind="info", title="Hello B", created_at=now)
        session.add_all([task, off, note])
        session.commit()
    assert task.id and off.id and note.id
    return {"task_b": task.id, "time_off_b": off.id, "notification_b": note.id}


def placeholders(org: Org, rows: dict[str, int]) -> dict[str, Any]:
    return {
        "team_a": org.team_a.id,
        "team_b": org.team_b.id,
        "client_a": org.client_a.id,
        "client_b": org.client_b.id,
        "client_x": org.client_x.id,
        "member_a2": org.member_a2.id,
        "member_b": org.member_b.id,
        "project_b": org.project_b.id,
        "entry_b": org.entries["b"].id,
        "entry_a2": org.entries["a2"].id,
        **rows,
    }


def fill(value: Any, names: dict[str, Any]) -> Any:
    if isinstance(value, str):
        if value.startswith("{") and value.endswith("}") and value[1:-1] in names:
            return names[value[1:-1]]
        return value.format(**names)
    if isinstance(value, dict):
        return {k: fill(v, names) for k, v in value.items()}
    return value


def forbidden_words(org: Org) -> list[str]:
    """Names of other teams' things: a 403/404 must never mention them."""
    return [
        org.team_b.name,
        org.client_b.name,
        org.project_b.name,
        org.member_b.name,
        org.manager_b.name,
        "Bolt job",
        "Hello B",
    ]


def assert_no_data(response: Any, org: Org) -> None:
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) <= {"code", "message"}, body
    assert body["error"]["code"] in ("forbidden", "not_found")
    text = response.text
    for word in forbidden_words(org):
        assert word not in text
    assert not any(char.isdigit() for char in body["error"]["message"]), body


def _ids(row: tuple[str, str, Any, tuple[int, ...]]) -> str:
    return f"{row[0]} {row[1]}"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("row", MATRIX, ids=_ids)
async def test_scope_matrix(
    api: Api, row: tuple[str, str, Any, tuple[int, ...]], role: str
) -> None:
    method, template, body, expected = row
    names = placeholders(api.org, other_team_rows(api))
    path = fill(template, names)
    kwargs = {"json": fill(body, names)} if body is not None else {}
    response = await api.call(method, path, api.org.by_role(role), **kwargs)
    want = expected[ROLES.index(role)]
    assert response.status_code == want, f"{role} {method} {path}: {response.text}"
    if want in (403, 404):
        assert_no_data(response, api.org)


SUBSET = [
    row
    for row in MATRIX
    if row[1]
    in {
        "/dashboard/metrics?team_id={team_b}",
        "/dashboard/client_history?client_id={client_b}",
        "/time-entries/{entry_b}",
        "/clients",
    }
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("row", SUBSET, ids=_ids)
async def test_scope_matrix_on_both_databases(
    any_api: Api, row: tuple[str, str, Any, tuple[int, ...]], role: str
) -> None:
    method, template, body, expected = row
    names = placeholders(any_api.org, {})
    kwargs = {"json": fill(body, names)} if body is not None else {}
    response = await any_api.call(
        method, fill(template, names), any_api.org.by_role(role), **kwargs
    )
    assert response.status_code == expected[ROLES.index(role)], response.text


async def test_an_outside_id_answers_exactly_like_a_missing_one(api: Api) -> None:
    org = api.org
    outside = await api.call("GET", f"/time-entries/{org.entries['b'].id}", org.member_a)
    missing = await api.call("GET", "/time-entries/99999", org.member_a)
    assert outside.status_code == missing.status_code == 404
    assert outside.json() == missing.json()
    outside = await api.call(
        "GET", f"/dashboard/client_history?client_id={org.client_b.id}", org.manager_a
    )
    missing = await api.call("GET", "/dashboard/client_history?client_id=999", org.manager_a)
    assert outside.json() == missing.json()
