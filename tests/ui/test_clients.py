"""/clients and /clients/{id} in the simulated browser: each role's clients, money only for slt
and admin, a client outside the scope shown exactly like a missing one, and the detail page's
projects, health history, tasks and pulse — writes landing and the page following them live.

build_org: manager_a leads Alpha and is Acme's account lead; member_a (Alpha) logged time on
Xeno last week, so manager_a's clients are Acme and Xeno. Bolt belongs to manager_b.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from nicegui import ui
from nicegui.testing.user import User
from sqlmodel import Session, select

from tests.api.conftest import Org
from tests.ui.conftest import SignIn, current_path, expect_text, settle, viewer_of, wait_for
from workshub.app import System
from workshub.domain.models import ClientPulse, Task
from workshub.domain.services import pulse as pulse_service
from workshub.domain.services import tasks as task_service
from workshub.domain.uow import UnitOfWork


def the(user: User, marker: str) -> Any:
    elements = list(user.find(marker=marker).elements)
    assert len(elements) == 1, f"{len(elements)} elements marked {marker!r}"
    return elements[0]


def clients_table(user: User) -> Any:
    return the(user, "clients-table")


def tasks_of(system: System) -> list[Task]:
    with Session(system.engine) as session:
        return list(session.exec(select(Task)).all())


def pulses_of(system: System) -> list[ClientPulse]:
    with Session(system.engine) as session:
        return list(session.exec(select(ClientPulse)).all())


def add_task(system: System, org: Org, title: str, **fields: Any) -> Task:
    me = viewer_of(system, org.manager_a)
    with UnitOfWork(system.engine, system.hub, system.clock, actor_id=me.id) as uow:
        task = task_service.create_task(
            uow, me, project_id=org.project_a.id or 0, title=title, **fields
        )
    return task


async def test_a_manager_lists_their_clients_without_money(
    user: User, ui_org: Org, sign_in: SignIn
) -> None:
    await sign_in(user, "manager", path="/clients")
    assert current_path(user) == "/clients"
    table = clients_table(user)
    await wait_for(lambda: len(table.rows) == 2, what="two clients")
    rows = {row["client"]: row for row in table.rows}
    assert set(rows) == {"Acme", "Xeno"}
    assert (rows["Acme"]["hours_week_text"], rows["Acme"]["hours_month_text"]) == ("7.0", "7.0")
    assert rows["Xeno"]["hours_month_text"] == "2.0"
    assert rows["Acme"]["client_id"] == ui_org.client_a.id
    assert "wh-rag-" in rows["Acme"]["rag_html"]
    assert all(c["sortable"] for c in table.columns)
    names = {c["name"] for c in table.columns}
    assert not names & {"revenue", "rate"}
    assert not any(key in row for row in table.rows for key in ("revenue", "rate_text"))
    await user.should_see("2 clients")
    await user.should_not_see("Bolt")


@pytest.mark.parametrize("role", ["slt", "admin"])
async def test_slt_and_admin_list_every_client_with_money(
    user: User, ui_org: Org, sign_in: SignIn, role: str
) -> None:
    await sign_in(user, role, path="/clients")
    table = clients_table(user)
    await wait_for(lambda: len(table.rows) == 3, what="three clients")
    assert [row["client"] for row in table.rows] == ["Acme", "Bolt", "Xeno"]
    assert {"revenue", "rate"} <= {c["name"] for c in table.columns}
    assert table.rows[0]["rate_tip"] == "Target €100/h"


async def test_a_team_member_is_sent_home(user: User, ui_org: Org, sign_in: SignIn) -> None:
    await sign_in(user, "team_member", path="/clients")
    assert current_path(user) == "/today"
    await sign_in(user, "team_member", path=f"/clients/{ui_org.client_a.id}")
    assert current_path(user) == "/today"


@pytest.mark.parametrize("which", ["outside", "missing", "nonsense"])
async def test_a_client_outside_the_scope_looks_exactly_like_a_missing_one(
    user: User, ui_org: Org, sign_in: SignIn, which: str
) -> None:
    target = {"outside": str(ui_org.client_b.id), "missing": "9999", "nonsense": "abc"}[which]
    await sign_in(user, "manager", path=f"/clients/{target}")
    await user.should_see("No such client")
    await user.should_see("There is no such client, or it is not one of yours.")
    await user.should_not_see("Bolt")
    await user.should_not_see(marker="client-tasks-table")
    await user.should_not_see(marker="pulse-save")


async def test_the_detail_page_shows_projects_health_history_and_kpis(
    user: User, ui_org: Org, sign_in: SignIn
) -> None:
    await sign_in(user, "manager", path=f"/clients/{ui_org.client_x.id}")
    await user.should_see("Xeno")
    await expect_text(user, "client-hours-month", "2.0")
    await expect_text(user, "client-hours-week", "0.0")
    projects = the(user, "budget-burn-table")
    await wait_for(lambda: len(projects.rows) == 1, what="Xeno's project")
    assert projects.rows[0]["project"] == "Xeno audit"
    assert (projects.rows[0]["burn_text"], projects.rows[0]["used_text"]) == ("20%", "2.0 / 10.0 h")
    chart = next(iter(user.find(kind=ui.echart).elements))
    await wait_for(lambda: len(chart.options["xAxis"]["data"]) == 12, what="12 weeks")
    names = [s["name"] for s in chart.options["series"]]
    assert names == ["Hours", "Score", "Pace", "Overservice", "Rate", "Volatility", "Pulse"]
    hours = chart.options["series"][0]["data"]
    assert hours[-2:] == [2.0, 0.0]
    assert all(0 <= p["value"] <= 100 for p in chart.options["series"][1]["data"])
    assert the(user, "client-score").text.isdigit()
    await user.should_not_see(marker="client-rate")  # no money for a manager
    await user.should_not_see("Effective rate")


async def test_slt_sees_money_and_reads_tasks_without_managing_them(
    user: User, ui_org: Org, ui_system: System, sign_in: SignIn
) -> None:
    add_task(ui_system, ui_org, "Send the invoice", assignee_id=ui_org.member_a.id)
    await sign_in(user, "slt", path=f"/clients/{ui_org.client_a.id}")
    await expect_text(user, "client-rate", "€0/h")
    await user.should_see("target €100/h")
    tasks = the(user, "client-tasks-table")
    await wait_for(lambda: len(tasks.rows) == 1, what="the task")
    assert tasks.rows[0]["editable"] is False and tasks.rows[0]["status_editable"] is False
    await user.should_not_see(marker="task-add")
    await user.should_see("Managers and admins create and assign tasks.")


async def test_a_manager_creates_a_task_and_it_lands(
    user: User, ui_org: Org, ui_system: System, sign_in: SignIn
) -> None:
    await sign_in(user, "manager", path=f"/clients/{ui_org.client_a.id}")
    project = the(user, "task-project")
    await wait_for(lambda: project.value == ui_org.project_a.id, what="the project picker")
    assignee = the(user, "task-assignee")
    assert set(assignee.options) == {
        0,
        ui_org.manager_a.id,
        ui_org.member_a.id,
        ui_org.member_a2.id,
    }  # their own team only, and nobody
    user.find(marker="task-title").type("Draft the proposal")
    assignee.set_value(ui_org.member_a2.id)
    the(user, "task-due").set_value("2026-11-30")
    user.find(marker="task-add").click()
    tasks = the(user, "client-tasks-table")
    await wait_for(lambda: len(tasks.rows) == 1, what="the new task")
    (saved,) = tasks_of(ui_system)
    assert (saved.title, saved.assignee_id, saved.due_on) == (
        "Draft the proposal",
        ui_org.member_a2.id,
        date(2026, 11, 30),
    )
    row = tasks.rows[0]
    assert (row["title"], row["assignee_text"], row["due"], row["due_text"]) == (
        "Draft the proposal",
        "Member.A2",
        "2026-11-30",
        "Mon 30 Nov",
    )
    assert row["editable"] and row["status_editable"]


async def test_an_empty_title_is_refused_with_a_reason(
    user: User, ui_org: Org, ui_system: System, sign_in: SignIn
) -> None:
    await sign_in(user, "manager", path=f"/clients/{ui_org.client_a.id}")
    project = the(user, "task-project")
    await wait_for(lambda: project.value == ui_org.project_a.id, what="the project picker")
    user.find(marker="task-add").click()
    await user.should_see("title")
    assert tasks_of(ui_system) == []


async def test_status_and_assignee_changes_land_and_others_see_them_live(
    user: User, ui_org: Org, ui_system: System, sign_in: SignIn
) -> None:
    task = add_task(ui_system, ui_org, "Kick-off deck", assignee_id=ui_org.member_a.id)
    await sign_in(user, "manager", path=f"/clients/{ui_org.client_a.id}")
    tasks = the(user, "client-tasks-table")
    await wait_for(lambda: len(tasks.rows) == 1, what="the task")
    user.find(marker="client-tasks-table").trigger("status", {"id": task.id, "status": "doing"})
    await wait_for(lambda: tasks_of(ui_system)[0].status == "doing", what="status saved")
    await wait_for(
        lambda: tasks.rows[0]["status_text"] == "Doing" and not tasks.rows[0]["pending"],
        what="row shows Doing, saved",
    )

    user.find(marker="client-tasks-table").trigger("edit", {"id": task.id})
    await user.should_see(marker="task-edit-assignee")
    the(user, "task-edit-assignee").set_value(ui_org.member_a2.id)
    user.find(marker="task-edit-save").click()
    await wait_for(
        lambda: tasks_of(ui_system)[0].assignee_id == ui_org.member_a2.id, what="reassigned"
    )
    await wait_for(lambda: tasks.rows[0]["assignee_text"] == "Member.A2", what="row reassigned")

    # someone else adds a task for this client: the list follows without a reload
    add_task(ui_system, ui_org, "Written elsewhere")
    await settle(ui_system)
    await wait_for(lambda: len(tasks.rows) == 2, what="the other task")
    assert {r["title"] for r in tasks.rows} == {"Kick-off deck", "Written elsewhere"}


async def test_a_manager_saves_a_pulse_and_a_second_save_replaces_it(
    user: User, ui_org: Org, ui_system: System, sign_in: SignIn
) -> None:
    await sign_in(user, "manager", path=f"/clients/{ui_org.client_a.id}")
    await user.should_see("No pulse for this week yet.")
    assert the(user, "pulse-week").value == "2026-11-23"
    the(user, "pulse-rating").set_value("amber")
    user.find(marker="pulse-note").type("Slow feedback")
    user.find(marker="pulse-save").click()
    history = the(user, "pulse-table")
    await wait_for(lambda: len(history.rows) == 1, what="the pulse")  # shown at once
    await wait_for(lambda: len(pulses_of(ui_system)) == 1, what="the write")
    (pulse,) = pulses_of(ui_system)
    assert (pulse.week, pulse.rating, pulse.note) == (date(2026, 11, 23), "amber", "Slow feedback")
    assert "Amber" in history.rows[0]["rag_html"]
    await user.should_see("Set by Manager.A; saving replaces it.")

    the(user, "pulse-rating").set_value("red")
    user.find(marker="pulse-save").click()
    await wait_for(lambda: "Red" in history.rows[0]["rag_html"], what="replaced")
    await wait_for(
        lambda: [(p.rating, p.note) for p in pulses_of(ui_system)] == [("red", "Slow feedback")],
        what="the write",
    )
    # the health history follows the pulse: a red pulse this week makes the week red
    await settle(ui_system)
    chart = next(iter(user.find(kind=ui.echart).elements))
    await wait_for(
        lambda: chart.options["series"][-1]["data"][-1] == 0.0, what="S_pulse 0 this week"
    )


async def test_a_pulse_written_elsewhere_shows_up_and_fills_the_form(
    user: User, ui_org: Org, ui_system: System, sign_in: SignIn
) -> None:
    await sign_in(user, "slt", path=f"/clients/{ui_org.client_b.id}")
    history = the(user, "pulse-table")
    admin = viewer_of(ui_system, ui_org.admin)
    with UnitOfWork(ui_system.engine, ui_system.hub, ui_system.clock, actor_id=admin.id) as uow:
        pulse_service.set_pulse(
            uow, admin, client_id=ui_org.client_b.id or 0, week=date(2026, 11, 25), rating="green"
        )
    await settle(ui_system)
    await wait_for(lambda: len(history.rows) == 1, what="the pulse")
    assert the(user, "pulse-rating").value == "green"
    await user.should_see("Set by Admin; saving replaces it.")
