"""/admin in the simulated browser: only admins get in; people, teams, clients, projects and
API tokens are listed, created and edited through form dialogs whose validation messages sit
next to their fields; a reset password is shown once."""

from __future__ import annotations

import pytest
from nicegui.testing.user import User
from sqlmodel import Session, select

from tests import factories as f
from tests.api.conftest import Org
from tests.ui.conftest import SignIn, current_path, viewer_of, wait_for
from tests.ui.form_helpers import element, field_error, fill, has, rows_of, save, wait_rows
from workshub.app import System
from workshub.domain.auth import verify_password
from workshub.domain.models import ApiToken, Client, Project, Team
from workshub.domain.models import User as Person
from workshub.domain.services import admin as admin_service
from workshub.ui.actions import write

PEOPLE = "admin-users-table"
TEAMS = "admin-teams-table"
CLIENTS = "admin-clients-table"
PROJECTS = "admin-projects-table"
TOKENS = "admin-tokens-table"


async def _open(user: User, ui_org: Org, sign_in: SignIn, table: str) -> list[dict[str, object]]:
    await sign_in(user, ui_org.admin, path="/admin")
    await wait_rows(user, TOKENS, bool, what="the last list")  # the pickers' options are in
    return rows_of(user, table)


def _row(rows: list[dict[str, object]], **match: object) -> dict[str, object]:
    return next(r for r in rows if all(r[k] == v for k, v in match.items()))


def _get(system: System, model: type, row_id: object) -> object:
    with Session(system.engine) as session:
        return session.get(model, row_id)


async def _confirm(user: User) -> None:
    await wait_for(lambda: has(user, "confirm-ok"), what="the question")
    user.find(marker="confirm-ok").click()


@pytest.mark.parametrize(
    ("role", "home"), [("team_member", "/today"), ("manager", "/team"), ("slt", "/leadership")]
)
async def test_only_admins_get_in(
    user: User, ui_org: Org, sign_in: SignIn, role: str, home: str
) -> None:
    await sign_in(user, role, path="/admin")
    assert current_path(user) == home
    assert not has(user, PEOPLE)


async def test_every_list_is_filled(user: User, ui_org: Org, sign_in: SignIn) -> None:
    people = await _open(user, ui_org, sign_in, PEOPLE)
    assert len(people) == 7
    member = _row(people, email="member.a@x.test")
    assert (member["role_label"], member["team_name"], member["bill_rate"]) == (
        "Team member",
        "Alpha",
        "100",
    )
    teams = await wait_rows(user, TEAMS, bool, what="teams")
    assert {(t["name"], t["lead_name"], t["member_count"]) for t in teams} == {
        ("Alpha", "Manager.A", 3),
        ("Beta", "Manager.B", 2),
    }
    clients = await wait_rows(user, CLIENTS, bool, what="clients")
    assert [c["name"] for c in clients] == ["Acme", "Bolt", "Xeno"]
    projects = await wait_rows(user, PROJECTS, bool, what="projects")
    assert [(p["client_name"], p["name"]) for p in projects] == [
        ("Acme", "Acme site"),
        ("Bolt", "Bolt app"),
        ("Xeno", "Xeno audit"),
        ("Internal", "Internal"),
    ]
    tokens = await wait_rows(user, TOKENS, bool, what="tokens")
    assert len(tokens) == 7 and _row(tokens, user="Member.A")["name"] == "tests"


async def test_adding_a_person(user: User, ui_org: Org, ui_system: System, sign_in: SignIn) -> None:
    await _open(user, ui_org, sign_in, PEOPLE)
    user.find(marker="admin-user-add").click()
    await fill(
        user,
        name="Nia New",
        email="Nia@X.test",
        role="manager",
        team_id=ui_org.team_b.id,
        weekly_capacity_hours=30,
        bill_rate=95,
        starts_on="2026-12-01",
        password="welcome aboard",
    )
    save(user)
    rows = await wait_rows(
        user, PEOPLE, lambda r: any(p["email"] == "nia@x.test" for p in r), what="the new row"
    )
    row = _row(rows, email="nia@x.test")
    assert (row["team_name"], row["capacity"], row["starts_on"]) == (
        "Beta",
        "30.0",
        "2026-12-01",
    ), row
    added = _get(ui_system, Person, row["id"])
    assert isinstance(added, Person) and added.role == "manager"
    assert verify_password(added.password_hash, "welcome aboard")


async def test_a_person_form_shows_each_problem_at_its_field(
    user: User, ui_org: Org, ui_system: System, sign_in: SignIn
) -> None:
    await _open(user, ui_org, sign_in, PEOPLE)
    user.find(marker="admin-user-add").click()
    await fill(
        user,
        name="",
        email="member.a@x.test",
        weekly_capacity_hours=200,
        starts_on="2026-12-01",
        ends_on="2026-11-01",
        password="short",
    )
    save(user)
    await wait_for(lambda: field_error(user, "email") is not None, what="the messages")
    assert field_error(user, "email") == "is already in use"
    assert field_error(user, "name") == "is required"
    assert field_error(user, "weekly_capacity_hours") == "must be at most 168"
    assert field_error(user, "ends_on") == "must not be before starts_on"
    assert field_error(user, "password") == "must be at least 8 characters"
    with Session(ui_system.engine) as session:
        assert len(session.exec(select(Person)).all()) == 7


async def test_editing_a_person_changes_only_what_changed(
    user: User, ui_org: Org, ui_system: System, sign_in: SignIn
) -> None:
    people = await _open(user, ui_org, sign_in, PEOPLE)
    row = _row(people, email="member.a2@x.test")
    user.find(marker=PEOPLE).trigger("edit", row)
    await fill(user, weekly_capacity_hours=20, is_active=False)
    save(user)
    await wait_rows(
        user, PEOPLE, lambda r: _row(r, id=row["id"])["status"] == "inactive", what="the edit"
    )
    person = _get(ui_system, Person, row["id"])
    assert isinstance(person, Person)
    assert (person.weekly_capacity_hours, person.is_active) == (20.0, False)
    assert person.session_version == ui_org.member_a2.session_version + 1  # signed out at once
    assert person.email == "member.a2@x.test" and person.bill_rate == 90


async def test_resetting_a_password_shows_it_once(
    user: User, ui_org: Org, ui_system: System, sign_in: SignIn
) -> None:
    people = await _open(user, ui_org, sign_in, PEOPLE)
    user.find(marker=PEOPLE).trigger("reset", _row(people, email="member.b@x.test"))
    await _confirm(user)
    await wait_for(lambda: has(user, "secret-value"), what="the new password")
    password = element(user, "secret-value").value
    person = _get(ui_system, Person, ui_org.member_b.id)
    assert isinstance(person, Person) and verify_password(person.password_hash, password)


async def test_teams_are_added_and_renamed(
    user: User, ui_org: Org, ui_system: System, sign_in: SignIn
) -> None:
    await _open(user, ui_org, sign_in, TEAMS)
    user.find(marker="admin-team-add").click()
    await fill(user, name="Gamma", lead_id=ui_org.manager_b.id)
    save(user)
    rows = await wait_rows(user, TEAMS, lambda r: len(r) == 3, what="the new team")
    gamma = _row(rows, name="Gamma")
    assert gamma["lead_name"] == "Manager.B"
    user.find(marker=TEAMS).trigger("edit", gamma)
    await fill(user, name="Gamma Ray", lead_id=None)
    save(user)
    await wait_rows(
        user, TEAMS, lambda r: _row(r, id=gamma["id"])["name"] == "Gamma Ray", what="rename"
    )
    team = _get(ui_system, Team, gamma["id"])
    assert isinstance(team, Team) and team.lead_id is None


async def test_a_client_with_a_bad_rate_is_refused_then_archived(
    user: User, ui_org: Org, ui_system: System, sign_in: SignIn
) -> None:
    await _open(user, ui_org, sign_in, CLIENTS)
    user.find(marker="admin-client-add").click()
    await fill(user, name="Delta", target_rate=-5)
    save(user)
    await wait_for(lambda: field_error(user, "target_rate") is not None, what="the message")
    assert field_error(user, "target_rate") == "must be greater than 0"
    await fill(user, target_rate=150, account_lead_id=ui_org.manager_a.id)
    save(user)
    rows = await wait_rows(user, CLIENTS, lambda r: len(r) == 4, what="the new client")
    delta = _row(rows, name="Delta")
    assert (delta["target"], delta["account_lead_name"]) == ("150", "Manager.A")

    user.find(marker=CLIENTS).trigger("archive", delta)
    await _confirm(user)
    await wait_rows(
        user, CLIENTS, lambda r: _row(r, id=delta["id"])["status"] == "archived", what="archive"
    )
    client = _get(ui_system, Client, delta["id"])
    assert isinstance(client, Client) and client.status == "archived"


async def test_a_fixed_fee_project_needs_its_fee(
    user: User, ui_org: Org, ui_system: System, sign_in: SignIn
) -> None:
    await _open(user, ui_org, sign_in, PROJECTS)
    user.find(marker="admin-project-add").click()
    await fill(
        user,
        client_id=ui_org.client_b.id,
        name="Bolt launch",
        billing_model="fixed_fee",
        budget_hours=100,
        starts_on="2026-11-01",
    )
    save(user)
    await wait_for(lambda: field_error(user, "fee") is not None, what="the fee's message")
    assert field_error(user, "fee") == "is required for a fixed fee (the total fee)"
    await fill(user, fee=12000)
    save(user)
    rows = await wait_rows(
        user, PROJECTS, lambda r: any(p["name"] == "Bolt launch" for p in r), what="the project"
    )
    launch = _row(rows, name="Bolt launch")
    assert (launch["billing"], launch["budget"], launch["fee"]) == (
        "Fixed fee",
        "100 in total",
        "12,000",
    )

    user.find(marker=PROJECTS).trigger("archive", launch)
    await wait_rows(
        user, PROJECTS, lambda r: _row(r, id=launch["id"])["status"] == "archived", what="archive"
    )
    project = _get(ui_system, Project, launch["id"])
    assert isinstance(project, Project) and project.status == "archived"


async def test_editing_a_project_keeps_its_other_fields(
    user: User, ui_org: Org, ui_system: System, sign_in: SignIn
) -> None:
    projects = await _open(user, ui_org, sign_in, PROJECTS)
    user.find(marker=PROJECTS).trigger("edit", _row(projects, name="Xeno audit"))
    await fill(user, budget_hours=40, ends_on="2027-03-31")
    save(user)
    await wait_rows(
        user,
        PROJECTS,
        lambda r: _row(r, name="Xeno audit")["ends_on"] == "2027-03-31",
        what="the edit",
    )
    project = _get(ui_system, Project, ui_org.project_x.id)
    assert isinstance(project, Project)
    assert (project.budget_hours, project.client_id, project.billing_model) == (
        40.0,
        ui_org.client_x.id,
        "t_and_m",
    )


async def test_revoking_anyones_token(
    user: User, ui_org: Org, ui_system: System, sign_in: SignIn
) -> None:
    tokens = await _open(user, ui_org, sign_in, TOKENS)
    user.find(marker=TOKENS).trigger("revoke", _row(tokens, user="Member.B"))
    await _confirm(user)
    await wait_rows(user, TOKENS, lambda r: len(r) == 6, what="the revoked token to go")
    with Session(ui_system.engine) as session:
        assert ui_org.member_b.id not in session.exec(select(ApiToken.user_id)).all()


async def test_an_admin_demoted_meanwhile_is_sent_away(
    user: User, ui_org: Org, ui_system: System, sign_in: SignIn
) -> None:
    second = f.user(ui_system.engine, "admin2@x.test", role="admin")
    await sign_in(user, second, path="/admin")
    await wait_rows(user, PEOPLE, bool, what="the people")
    admin = viewer_of(ui_system, ui_org.admin)
    outcome = await write(
        ui_system,
        admin,
        lambda uow: admin_service.update_user(uow, admin, user_id=second.id or 0, role="slt"),
    )
    assert outcome.ok, outcome.error
    user.find(marker="admin-user-add").click()
    await wait_for(lambda: current_path(user) == "/login", what="the page to leave")
    with Session(ui_system.engine) as session:
        assert len(session.exec(select(Person)).all()) == 8  # nothing was added
