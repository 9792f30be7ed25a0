"""Tasks, notifications, time off, pulse, reference lists and admin through the API."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session

from tests.api.conftest import Api
from workshub.domain.models import Notification


async def test_a_manager_creates_and_assigns_a_task_the_member_finishes(any_api: Api) -> None:
    org = any_api.org
    created = await any_api.call(
        "POST",
        "/tasks",
        org.manager_a,
        json={
            "project_id": org.project_a.id,
            "title": "Write brief",
            "assignee_id": org.member_a.id,
            "due_on": "2026-11-24",
        },
    )
    assert created.status_code == 201, created.text
    task = created.json()
    listed = (await any_api.call("GET", "/tasks", org.member_a)).json()["tasks"]
    assert [t["id"] for t in listed] == [task["id"]]
    assert listed[0]["project_name"] == "Acme site"

    retitle = await any_api.call(
        "PATCH", f"/tasks/{task['id']}", org.member_a, json={"title": "x", "version": 1}
    )
    assert retitle.status_code == 403
    done = await any_api.call(
        "PATCH", f"/tasks/{task['id']}", org.member_a, json={"status": "done", "version": 1}
    )
    assert done.status_code == 200
    assert done.json()["status"] == "done" and done.json()["version"] == 2
    stale = await any_api.call(
        "PATCH", f"/tasks/{task['id']}", org.manager_a, json={"status": "todo", "version": 1}
    )
    assert stale.status_code == 409
    cleared = await any_api.call(
        "PATCH",
        f"/tasks/{task['id']}",
        org.manager_a,
        json={"due_on": None, "assignee_id": None, "version": 2},
    )
    assert cleared.json()["due_on"] is None and cleared.json()["assignee_id"] is None


async def test_a_member_may_not_create_tasks(api: Api) -> None:
    response = await api.call(
        "POST", "/tasks", api.org.member_a, json={"project_id": api.org.project_a.id, "title": "t"}
    )
    assert response.status_code == 403


async def test_task_status_must_be_known(api: Api) -> None:
    response = await api.call(
        "PATCH", "/tasks/1", api.org.admin, json={"status": "finished", "version": 1}
    )
    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == {"status"}


async def test_notifications_are_listed_and_marked_read(api: Api) -> None:
    org = api.org
    with Session(api.system.engine) as session:
        for i in range(3):
            session.add(
                Notification(
                    user_id=org.member_a.id,
                    kind="info",
                    title=f"n{i}",
                    created_at=datetime(2026, 11, 25, 9, i, tzinfo=UTC),
                )
            )
        session.commit()
    body = (await api.call("GET", "/notifications", org.member_a)).json()
    assert [n["title"] for n in body["notifications"]] == ["n2", "n1", "n0"]
    assert body["unread_count"] == 3
    first = body["notifications"][0]["id"]
    read = await api.call("POST", f"/notifications/{first}/read", org.member_a)
    assert read.status_code == 200 and read.json()["read_at"] == "2026-11-25T10:00:00Z"
    assert (await api.call("GET", "/notifications?unread=true", org.member_a)).json()[
        "unread_count"
    ] == 2
    marked = await api.call("POST", "/notifications/read-all", org.member_a)
    assert marked.json() == {"marked": 2}
    assert (await api.call("GET", "/notifications", org.member_a)).json()["unread_count"] == 0
    assert (
        await api.call("POST", f"/notifications/{first}/read", org.manager_a)
    ).status_code == 404


async def test_time_off_own_and_admin_for_anyone(any_api: Api) -> None:
    org = any_api.org
    added = await any_api.call(
        "POST", "/time-off", org.member_a, json={"day": "2026-11-27", "hours": 7.5}
    )
    assert added.status_code == 201
    listed = (await any_api.call("GET", "/time-off", org.member_a)).json()["time_off"]
    assert listed == [added.json()]
    too_much = await any_api.call(
        "POST", "/time-off", org.member_a, json={"day": "2026-11-27", "hours": 20}
    )
    assert too_much.status_code == 422
    assert set(too_much.json()["error"]["fields"]) == {"hours"}
    for_them = await any_api.call(
        "POST",
        "/time-off",
        org.member_a,
        json={"day": "2026-11-27", "hours": 1, "user_id": org.member_a2.id},
    )
    assert for_them.status_code == 404  # a teammate's data is outside a member's scope
    by_admin = await any_api.call(
        "POST",
        "/time-off",
        org.admin,
        json={"day": "2026-11-27", "hours": 1, "user_id": org.member_b.id},
    )
    assert by_admin.status_code == 201
    gone = await any_api.call("DELETE", f"/time-off/{added.json()['id']}", org.member_a)
    assert gone.status_code == 204


async def test_pulse_replaces_the_week_and_refuses_the_future(api: Api) -> None:
    org = api.org
    path = f"/clients/{org.client_a.id}/pulse"
    first = await api.call(
        "PUT", path, org.manager_a, json={"week": "2026-11-25", "rating": "amber", "note": "slow"}
    )
    assert first.status_code == 200
    assert first.json()["week"] == "2026-11-23"
    second = await api.call(
        "PUT", path, org.manager_a, json={"week": "2026-11-23", "rating": "red"}
    )
    assert second.json()["id"] == first.json()["id"]
    assert second.json()["rating"] == "red"
    future = await api.call(
        "PUT", path, org.manager_a, json={"week": "2026-12-01", "rating": "red"}
    )
    assert future.status_code == 422
    bad = await api.call("PUT", path, org.manager_a, json={"week": "2026-11-23", "rating": "blue"})
    assert set(bad.json()["error"]["fields"]) == {"rating"}
    await api.settle()
    health = (await api.call("GET", "/dashboard/client_health", org.manager_a)).json()
    acme = next(c for c in health["data"]["clients"] if c["client_id"] == org.client_a.id)
    assert acme["rag"] == "red"  # a red pulse for that very week makes it red


async def test_reference_lists_in_scope(any_api: Api) -> None:
    org = any_api.org
    projects = (await any_api.call("GET", "/projects", org.member_a)).json()["projects"]
    assert projects[0]["id"] == org.project_a.id  # the member's most recent project first
    assert all("bill_rate" not in p for p in projects)
    clients = (await any_api.call("GET", "/clients", org.manager_a)).json()["clients"]
    assert {c["id"] for c in clients} == {org.client_a.id, org.client_x.id}
    teams = (await any_api.call("GET", "/teams", org.manager_a)).json()["teams"]
    assert [t["id"] for t in teams] == [org.team_a.id]
    users = (await any_api.call("GET", "/users", org.slt)).json()["users"]
    assert len(users) == 7 and all("bill_rate" in u for u in users)


async def test_admin_creates_and_changes_reference_data(any_api: Api) -> None:
    org = any_api.org
    team = await any_api.call(
        "POST", "/teams", org.admin, json={"name": "Gamma", "lead_id": org.manager_b.id}
    )
    assert team.status_code == 201, team.text
    user = await any_api.call(
        "POST",
        "/users",
        org.admin,
        json={
            "email": "New@X.test",
            "name": "New",
            "role": "team_member",
            "team_id": team.json()["id"],
            "password": "long-enough",
            "bill_rate": 95,
        },
    )
    assert user.status_code == 201, user.text
    assert user.json()["email"] == "new@x.test"
    assert user.json()["team_name"] == "Gamma"
    duplicate = await any_api.call(
        "POST", "/users", org.admin, json={"email": "NEW@x.test", "name": "N", "role": "slt"}
    )
    assert duplicate.status_code == 422
    assert set(duplicate.json()["error"]["fields"]) == {"email"}

    client = await any_api.call("POST", "/clients", org.admin, json={"name": "Zed"})
    assert client.status_code == 201
    fixed = await any_api.call(
        "POST",
        "/projects",
        org.admin,
        json={
            "name": "Launch",
            "client_id": client.json()["id"],
            "billing_model": "fixed_fee",
            "starts_on": "2026-11-01",
        },
    )
    assert fixed.status_code == 422
    assert "fee" in fixed.json()["error"]["fields"]
    project = await any_api.call(
        "POST",
        "/projects",
        org.admin,
        json={"name": "Ops", "starts_on": "2026-11-01", "billing_model": "internal"},
    )
    assert project.status_code == 201, project.text
    assert project.json()["default_billable"] is False

    renamed = await any_api.call(
        "PATCH", f"/clients/{client.json()['id']}", org.admin, json={"status": "archived"}
    )
    assert renamed.json()["status"] == "archived"
    deactivated = await any_api.call(
        "PATCH", f"/users/{org.member_b.id}", org.admin, json={"is_active": False}
    )
    assert deactivated.status_code == 200
    assert (await any_api.call("GET", "/me", org.member_b)).status_code == 401


async def test_password_reset_is_shown_once_and_never_stored(api: Api) -> None:
    path = f"/users/{api.org.member_b.id}/password-reset"
    headers = {"Idempotency-Key": "reset-1"}
    first = await api.call("POST", path, api.org.admin, headers=headers)
    assert first.status_code == 200
    assert first.headers["Cache-Control"] == "no-store"
    second = await api.call("POST", path, api.org.admin, headers=headers)
    assert second.json()["password"] != first.json()["password"]
    signed_in = await api.call(
        "POST",
        "/auth/token",
        json={"email": "member.b@x.test", "password": second.json()["password"]},
    )
    assert signed_in.status_code == 200
