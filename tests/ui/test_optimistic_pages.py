"""Optimistic edits on the pages, with the test holding (or failing) the write in its worker
thread: what shows before the server confirms, what a rollback looks like and says, edits that
overlap, a double submit, two people editing one task, and other viewers seeing only what was
committed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from nicegui.testing.user import User
from sqlmodel import Session, select

from tests import factories as f
from tests.api.conftest import Org
from tests.ui.conftest import SignIn, expect_text, settle, text_of, viewer_of, wait_for
from tests.ui.form_helpers import element, fill, marked, rows_of, save, wait_rows
from tests.ui.optimistic_helpers import (
    Gate,
    add_tasks,
    gate,
    one_refused_the_other_saved,
    task_of,
)
from workshub.app import System
from workshub.domain.errors import NotFound
from workshub.domain.models import (
    AuditEvent,
    ClientPulse,
    Notification,
    Project,
    TimeEntry,
)
from workshub.domain.services import timer as timer_service
from workshub.domain.services.notifications import raise_notification
from workshub.domain.uow import UnitOfWork

__all__ = ["gate"]  # the fixture, from optimistic_helpers


def entries_of(system: System, user_id: int | None) -> list[TimeEntry]:
    with Session(system.engine) as session:
        found = session.exec(select(TimeEntry).where(TimeEntry.user_id == user_id))
        return sorted(found, key=lambda e: e.id or 0)


def pending_shown(user: User) -> bool:
    return bool(element(user, "edit-pending").visible)


def status_of(user: User, task_id: int) -> tuple[str, bool]:
    row = next(r for r in rows_of(user, "today-tasks") if r["id"] == task_id)
    return row["status"], bool(row.get("_pending"))


async def test_the_timer_runs_at_once_and_others_see_it_only_once_saved(
    user: User,
    create_user: Callable[[], User],
    ui_org: Org,
    ui_system: System,
    sign_in: SignIn,
    gate: Gate,
) -> None:
    manager = create_user()
    await sign_in(manager, ui_org.manager_a, path="/today")
    await expect_text(manager, "kpi-active-timers", "0")
    await sign_in(user, ui_org.member_a)
    await expect_text(user, "timer-toggle", "Start")
    assert not pending_shown(user)
    gate.hold()

    user.find(marker="timer-toggle").click()
    await expect_text(user, "timer-toggle", "Stop")
    await user.should_see("Acme · Acme site")
    assert element(user, "timer-elapsed").props["data-wh-since"] == "2026-11-25T10:00:00Z"
    assert pending_shown(user)
    await wait_for(lambda: gate.arrived, what="the write to start")
    assert [e for e in entries_of(ui_system, ui_org.member_a.id) if e.ended_at is None] == []
    await settle(ui_system)
    assert text_of(manager, "kpi-active-timers") == "0"  # nobody sees it unconfirmed

    gate.release()
    await wait_for(lambda: not pending_shown(user), what="the confirmation")
    running = [e for e in entries_of(ui_system, ui_org.member_a.id) if e.ended_at is None]
    assert len(running) == 1 and running[0].project_id == ui_org.project_a.id
    await expect_text(manager, "kpi-active-timers", "1")
    assert text_of(user, "timer-toggle") == "Stop"
    row = next(r for r in rows_of(user, "today-entries") if r["end"] == "")
    assert row["id"] == running[0].id and not row["pending"]  # the server's row now


async def test_a_start_the_server_refuses_rolls_back_with_the_reason_by_the_picker(
    user: User, ui_org: Org, ui_system: System, sign_in: SignIn, gate: Gate
) -> None:
    await sign_in(user, ui_org.member_a)
    await expect_text(user, "timer-toggle", "Start")
    gate.hold()
    user.find(marker="timer-toggle").click()
    await expect_text(user, "timer-toggle", "Stop")
    with Session(ui_system.engine) as session:  # archived while the write was on its way
        project = session.get(Project, ui_org.project_a.id)
        assert project is not None
        project.status = "archived"
        session.add(project)
        session.commit()

    gate.release()
    await expect_text(user, "timer-toggle", "Start")
    await user.should_see("No timer running")
    assert element(user, "timer-project").error == "is not an active project you can track time on"
    assert not pending_shown(user)
    assert len(entries_of(ui_system, ui_org.member_a.id)) == 2  # nothing half-written


async def test_a_stop_clicked_while_the_start_is_saving_lands_after_it(
    user: User, ui_org: Org, ui_system: System, sign_in: SignIn, gate: Gate
) -> None:
    await sign_in(user, ui_org.member_a)
    await expect_text(user, "timer-toggle", "Start")
    gate.hold()
    user.find(marker="timer-toggle").click()
    await expect_text(user, "timer-toggle", "Stop")
    await wait_for(lambda: gate.arrived, what="the start to be on its way")
    user.find(marker="timer-toggle").click()
    await expect_text(user, "timer-toggle", "Start")  # at once, on top of the pending start

    gate.release()
    await wait_for(lambda: len(gate.arrived) == 2, what="the stop, after the start")
    # Settled by the push of a snapshot as new as the stop (well before the 10 s re-read);
    # on a loaded CI machine the recompute behind it can take a few seconds.
    await wait_for(lambda: not pending_shown(user), what="both confirmed", timeout=8.0)
    mine = entries_of(ui_system, ui_org.member_a.id)
    assert len(mine) == 3 and all(e.ended_at is not None for e in mine)
    assert text_of(user, "timer-toggle") == "Start"


async def test_switching_projects_shows_the_new_timer_at_once(
    user: User, ui_org: Org, ui_system: System, sign_in: SignIn, gate: Gate
) -> None:
    member = viewer_of(ui_system, ui_org.member_a)
    with UnitOfWork(ui_system.engine, ui_system.hub, ui_system.clock, actor_id=member.id) as uow:
        timer_service.start_timer(uow, member, project_id=ui_org.project_a.id or 0)
    await sign_in(user, ui_org.member_a)
    await expect_text(user, "timer-toggle", "Stop")
    switch = element(user, "timer-switch")
    assert not switch.visible
    picker = element(user, "timer-project")
    # the options arrive after the socket connects, and set the picker to the first of them
    await wait_for(lambda: bool(picker.options), what="the project picker's options")
    with user.client:  # type: ignore[union-attr]
        picker.value = ui_org.project_b.id
    await wait_for(lambda: switch.visible, what="the switch button")
    gate.hold()

    user.find(marker="timer-switch").click()
    await user.should_see("Bolt · Bolt app")
    await wait_for(lambda: not switch.visible, what="switched")
    assert pending_shown(user)
    gate.release()
    await wait_for(lambda: not pending_shown(user), what="the confirmation")
    mine = entries_of(ui_system, ui_org.member_a.id)
    running = [e for e in mine if e.ended_at is None]
    assert [e.project_id for e in running] == [ui_org.project_b.id]
    assert [e.ended_at for e in mine if e.project_id == ui_org.project_a.id][-1] is not None


async def test_two_overlapping_edits_one_fails_and_the_other_survives(
    user: User, ui_org: Org, ui_system: System, sign_in: SignIn, gate: Gate
) -> None:
    first, second = add_tasks(ui_system, ui_org, "Write brief", "Call Acme")
    await sign_in(user, ui_org.member_a)
    await wait_rows(user, "today-tasks", lambda rows: len(rows) == 2, what="the tasks")
    rows = {r["id"]: r for r in rows_of(user, "today-tasks")}

    def click(task_id: int, status: str) -> None:
        user.find(marker="today-tasks").trigger("status", {"row": rows[task_id], "status": status})

    await one_refused_the_other_saved(
        user,
        ui_system,
        gate,
        tasks=(first, second),
        click=click,
        shown=lambda task_id: status_of(user, task_id),
        error=NotFound("task"),
        message="The task was not saved: No such task.",
    )


async def test_a_double_submit_is_one_change(
    user: User, ui_org: Org, ui_system: System, sign_in: SignIn, gate: Gate
) -> None:
    (task_id,) = add_tasks(ui_system, ui_org, "Write brief")
    await sign_in(user, ui_org.member_a)
    (row,) = await wait_rows(user, "today-tasks", lambda rows: len(rows) == 1, what="the task")
    tasks = user.find(marker="today-tasks")
    tasks.trigger("status", {"row": row, "status": "doing"})
    tasks.trigger("status", {"row": row, "status": "doing"})  # the same click, sent twice
    await wait_for(lambda: len(gate.arrived) == 2, what="both sends")
    await wait_for(lambda: status_of(user, task_id) == ("doing", False), what="confirmed")
    await settle(ui_system)
    assert gate.arrived[0] == gate.arrived[1]  # one request id: one intent
    assert task_of(ui_system, task_id).version == row["version"] + 1  # written once
    with Session(ui_system.engine) as session:
        updates = session.exec(select(AuditEvent).where(AuditEvent.action == "task.update"))
        assert len(updates.all()) == 1
    await user.should_not_see("changed by someone else")  # and no false conflict


async def test_another_status_while_one_is_saving_waits_instead_of_conflicting(
    user: User, ui_org: Org, ui_system: System, sign_in: SignIn, gate: Gate
) -> None:
    (task_id,) = add_tasks(ui_system, ui_org, "Write brief")
    await sign_in(user, ui_org.member_a)
    (row,) = await wait_rows(user, "today-tasks", lambda rows: len(rows) == 1, what="the task")
    tasks = user.find(marker="today-tasks")
    gate.hold("task.status")
    tasks.trigger("status", {"row": row, "status": "doing"})
    await wait_for(lambda: len(gate.arrived) == 1, what="the first write on its way")
    tasks.trigger("status", {"row": row, "status": "done"})  # quickly on to the next
    await settle(ui_system)
    assert status_of(user, task_id) == ("doing", True)
    gate.release("task.status")
    await wait_for(lambda: status_of(user, task_id) == ("doing", False), what="saved")
    assert len(gate.arrived) == 1 and task_of(ui_system, task_id).status == "doing"
    await user.should_not_see("changed by someone else")


async def test_two_people_edit_one_task_and_the_later_sees_the_current_value(
    user: User,
    create_user: Callable[[], User],
    ui_org: Org,
    ui_system: System,
    sign_in: SignIn,
    gate: Gate,
) -> None:
    (task_id,) = add_tasks(ui_system, ui_org, "Write brief")
    await sign_in(user, ui_org.member_a)
    (stale,) = await wait_rows(user, "today-tasks", lambda rows: len(rows) == 1, what="the task")

    manager = create_user()
    await sign_in(manager, ui_org.manager_a, path=f"/clients/{ui_org.client_a.id}")
    await wait_for(lambda: bool(element(manager, "client-tasks-table").rows), what="tasks")
    manager.find(marker="client-tasks-table").trigger("status", {"id": task_id, "status": "doing"})
    await wait_for(lambda: task_of(ui_system, task_id).status == "doing", what="first write")

    # The member clicks on what their page showed before the manager's change arrived.
    user.find(marker="today-tasks").trigger("status", {"row": stale, "status": "done"})
    await user.should_see("The task was changed by someone else just now", retries=50)
    await wait_for(lambda: status_of(user, task_id) == ("doing", False), what="current value")
    saved = task_of(ui_system, task_id)
    assert (saved.status, saved.version) == ("doing", stale["version"] + 1)  # not overwritten


async def test_a_notification_read_goes_at_once_and_comes_back_if_refused(
    user: User, ui_org: Org, ui_system: System, sign_in: SignIn, gate: Gate
) -> None:
    member_id = ui_org.member_a.id or 0
    with UnitOfWork(ui_system.engine, ui_system.hub, ui_system.clock, actor_id=None) as uow:
        for n in range(2):
            raise_notification(
                uow, user_id=member_id, kind="reminder", title=f"Reminder {n}", dedupe_key=f"r{n}"
            )
    await sign_in(user, ui_org.member_a)
    await expect_text(user, "notification-count", "2")
    user.find(marker="notification-bell").click()  # builds and opens the drawer
    table = element(user, "notifications-table")
    first, second = (row["id"] for row in table.rows)

    gate.hold("notification.read")
    user.find(marker="notifications-table").trigger("read", {"id": first})
    await expect_text(user, "notification-count", "1")  # before the write
    assert [row["id"] for row in table.rows] == [second]
    gate.release("notification.read")
    await wait_for(lambda: read_at(ui_system, first) is not None, what="the write")
    await settle(ui_system)
    assert text_of(user, "notification-count") == "1"

    gate.fail("notification.read", NotFound("notification"))
    gate.hold("notification.read")
    user.find(marker="notifications-table").trigger("read", {"id": second})
    await expect_text(user, "notification-count", "0")
    gate.release("notification.read")
    await expect_text(user, "notification-count", "1")  # rolled back
    await user.should_see("The notification was not saved: No such notification.")
    assert [row["id"] for row in table.rows] == [second] and read_at(ui_system, second) is None


def read_at(system: System, notification_id: int) -> datetime | None:
    with Session(system.engine) as session:
        found = session.get(Notification, notification_id)
        assert found is not None
        return found.read_at


async def test_a_delete_can_be_undone_and_then_nothing_is_written(
    user: User, ui_org: Org, ui_system: System, sign_in: SignIn, gate: Gate
) -> None:
    entry = f.entry(
        ui_system.engine,
        ui_org.member_a,
        ui_org.project_a,
        datetime(2026, 11, 25, 8, tzinfo=UTC),
        1.0,
    )
    await sign_in(user, ui_org.member_a)
    (row,) = await wait_rows(user, "today-entries", lambda rows: len(rows) == 1, what="entry")
    await expect_text(user, "today-hours", "1.0 / 7.5")

    user.find(marker="today-entries").trigger("remove", row)
    user.find(marker="today-entries").trigger("remove", row)  # a double click: one offer
    await wait_rows(user, "today-entries", lambda rows: rows == [], what="gone at once")
    await expect_text(user, "today-hours", "0.0 / 7.5")
    await user.should_see(marker="undo-bar")
    user.find(marker="undo-button").click()
    await wait_rows(user, "today-entries", lambda rows: len(rows) == 1, what="back")
    await expect_text(user, "today-hours", "1.0 / 7.5")
    await user.should_not_see(marker="undo-bar")
    assert gate.arrived == []  # nothing was sent
    assert [e.id for e in entries_of(ui_system, ui_org.member_a.id)].count(entry.id) == 1

    user.find(marker="today-entries").trigger("remove", row)
    await wait_rows(user, "today-entries", lambda rows: rows == [], what="gone again")
    user.find(marker="undo-dismiss").click()  # no undo: delete now
    await wait_for(
        lambda: entry.id not in [e.id for e in entries_of(ui_system, ui_org.member_a.id)],
        what="the delete",
    )
    assert len(gate.arrived) == 1


async def test_a_new_timesheet_entry_is_shown_pending_until_saved(
    user: User, ui_org: Org, ui_system: System, sign_in: SignIn, gate: Gate
) -> None:
    await sign_in(user, ui_org.member_a, path="/timesheet")
    await wait_rows(user, "timesheet-grid", bool, what="the week")
    gate.hold()
    user.find(marker="entry-add").click()
    await fill(user, project=ui_org.project_b.id, date="2026-11-24", start="13:00", end="14:30")
    save(user)
    rows = await wait_rows(
        user, "timesheet-entries", lambda r: len(r) == 2, what="the new row, at once"
    )
    new = next(r for r in rows if r["project_id"] == ui_org.project_b.id)
    assert new["pending"] and new["hours"] == "1.5" and pending_shown(user)
    await expect_text(user, "timesheet-total", "4.5")

    gate.release()
    await wait_rows(
        user, "timesheet-entries", lambda r: not any(x["pending"] for x in r), what="saved"
    )
    saved = [
        e for e in entries_of(ui_system, ui_org.member_a.id) if e.project_id == new["project_id"]
    ]
    assert len(saved) == 1 and saved[0].duration_s == 5400


async def test_a_pulse_shows_as_saving_until_it_lands(
    user: User, ui_org: Org, ui_system: System, sign_in: SignIn, gate: Gate
) -> None:
    await sign_in(user, "manager", path=f"/clients/{ui_org.client_a.id}")
    await user.should_see("No pulse for this week yet.")
    gate.hold()
    element(user, "pulse-rating").set_value("green")
    user.find(marker="pulse-save").click()
    history = element(user, "pulse-table")
    await wait_for(lambda: len(history.rows) == 1, what="the pulse, at once")
    assert history.rows[0]["author_text"] == "Saving…" and "Green" in history.rows[0]["rag_html"]
    with Session(ui_system.engine) as session:
        assert session.exec(select(ClientPulse)).all() == []

    gate.release()
    await wait_for(lambda: "author_text" not in history.rows[0], what="saved")
    assert history.rows[0]["author"] == "Manager.A"
    await user.should_see("Set by Manager.A; saving replaces it.")


async def test_an_entry_edit_shows_at_once_and_a_refused_one_comes_back_with_why(
    user: User, ui_org: Org, ui_system: System, sign_in: SignIn, gate: Gate
) -> None:
    entry = f.entry(
        ui_system.engine,
        ui_org.member_a,
        ui_org.project_a,
        datetime(2026, 11, 25, 8, tzinfo=UTC),
        1.0,
    )
    await sign_in(user, ui_org.member_a)
    (row,) = await wait_rows(user, "today-entries", lambda rows: len(rows) == 1, what="entry")
    gate.hold()
    user.find(marker="today-entries").trigger("edit", row)
    await fill(user, end="08:30", note="Trimmed")
    save(user)
    (shown,) = await wait_rows(
        user, "today-entries", lambda rows: rows[0]["note"] == "Trimmed", what="at once"
    )
    assert (shown["end"], shown["hours"], shown["pending"]) == ("08:30", "0.5", True)
    await expect_text(user, "today-hours", "0.5 / 7.5")
    gate.release()
    (saved,) = await wait_rows(
        user, "today-entries", lambda rows: not rows[0]["pending"], what="confirmed"
    )
    assert saved["version"] == (entry.version or 0) + 1
    stored = next(e for e in entries_of(ui_system, ui_org.member_a.id) if e.id == entry.id)
    assert (stored.duration_s, stored.note) == (1800, "Trimmed")

    # An end before the start: the row comes back, and so does the form, saying why.
    user.find(marker="today-entries").trigger("edit", saved)
    await fill(user, end="07:00")
    save(user)

    def end_error() -> str | None:  # no form while the save is on its way
        fields = marked(user, "field-end")
        return fields[0].error if len(fields) == 1 else None

    await wait_for(end_error, what="the message next to the end")
    assert end_error() == "must be after started_at"
    assert rows_of(user, "today-entries")[0]["end"] == "08:30"  # rolled back
    user.find(content="Cancel").click()
