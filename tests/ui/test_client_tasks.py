"""A task's status on /clients/{id} is optimistic, with the test holding (or failing) the write in
its worker thread: the new status shows at once marked pending, a refused change goes back with
the reason and leaves another pending change alone, and a change that meets someone else's newer
one shows the current status and says so.

build_org: manager_a leads Alpha (member_a) and is Acme's account lead; the tasks below are
member_a's, on Acme site.
"""

from __future__ import annotations

from nicegui.testing.user import User

from tests.api.conftest import Org
from tests.ui.conftest import SignIn, settle, viewer_of, wait_for
from tests.ui.form_helpers import rows_of, wait_rows
from tests.ui.optimistic_helpers import Gate, add_tasks, gate, one_refused_the_other_saved, task_of
from workshub.app import System
from workshub.domain.errors import Forbidden
from workshub.domain.services import tasks as task_service
from workshub.domain.uow import UnitOfWork

__all__ = ["gate"]  # the fixture, from optimistic_helpers

TABLE = "client-tasks-table"


def status_of(user: User, task_id: int) -> tuple[str, bool]:
    """What the row shows: its status, and whether that is still being saved."""
    row = next(r for r in rows_of(user, TABLE) if r["id"] == task_id)
    return row["status"], row["pending"]


def click_status(user: User, task_id: int, status: str) -> None:
    user.find(marker=TABLE).trigger("status", {"id": task_id, "status": status})


async def open_tasks(user: User, org: Org, sign_in: SignIn, count: int) -> None:
    await sign_in(user, org.manager_a, path=f"/clients/{org.client_a.id}")
    await wait_rows(user, TABLE, lambda rows: len(rows) == count, what="the tasks")


async def test_a_status_change_shows_at_once_as_pending_until_saved(
    user: User, ui_org: Org, ui_system: System, sign_in: SignIn, gate: Gate
) -> None:
    (task_id,) = add_tasks(ui_system, ui_org, "Write brief")
    await open_tasks(user, ui_org, sign_in, 1)
    assert status_of(user, task_id) == ("todo", False)
    gate.hold("task.status")

    click_status(user, task_id, "doing")
    await wait_for(lambda: status_of(user, task_id) == ("doing", True), what="shown at once")
    await wait_for(lambda: gate.arrived, what="the write to be on its way")
    assert task_of(ui_system, task_id).status == "todo"  # not saved yet
    # A second click while the first is saving waits (the toggle is disabled in the browser):
    # it would carry the version the first write is about to replace, and meet a 409.
    click_status(user, task_id, "done")
    await settle(ui_system)
    assert status_of(user, task_id) == ("doing", True)

    gate.release("task.status")
    await wait_for(lambda: status_of(user, task_id) == ("doing", False), what="confirmed")
    saved = task_of(ui_system, task_id)
    assert (saved.status, saved.version) == ("doing", 2)
    (row,) = rows_of(user, TABLE)
    assert (row["status_text"], row["version"]) == ("Doing", 2)  # the server's row now
    assert gate.arrived == [f"task.status:{task_id}:1:doing"]  # the request id, one write


async def test_a_refused_change_goes_back_with_why_and_another_pending_one_stays(
    user: User, ui_org: Org, ui_system: System, sign_in: SignIn, gate: Gate
) -> None:
    first, second = add_tasks(ui_system, ui_org, "Write brief", "Call Acme")
    await open_tasks(user, ui_org, sign_in, 2)
    await one_refused_the_other_saved(
        user,
        ui_system,
        gate,
        tasks=(first, second),
        click=lambda task_id, status: click_status(user, task_id, status),
        shown=lambda task_id: status_of(user, task_id),
        error=Forbidden("You may not change this task."),
        message="The task was not saved: You may not change this task.",
    )


async def test_a_change_that_meets_a_newer_version_shows_the_current_status(
    user: User, ui_org: Org, ui_system: System, sign_in: SignIn, gate: Gate
) -> None:
    (task_id,) = add_tasks(ui_system, ui_org, "Write brief")
    await open_tasks(user, ui_org, sign_in, 1)
    gate.hold("task.status")
    click_status(user, task_id, "doing")
    await wait_for(lambda: gate.arrived, what="the write to be on its way")

    # Meanwhile the assignee finishes the task: the page reloads, the pending change stays on top.
    member = viewer_of(ui_system, ui_org.member_a)
    with UnitOfWork(ui_system.engine, ui_system.hub, ui_system.clock, actor_id=member.id) as uow:
        task_service.update_task(uow, member, task_id=task_id, version=1, status="done")
    await settle(ui_system)
    await wait_for(lambda: rows_of(user, TABLE)[0]["version"] == 2, what="the newer version")
    assert status_of(user, task_id) == ("doing", True)

    gate.release("task.status")
    await user.should_see("The task was changed by someone else just now", retries=50)
    await wait_for(lambda: status_of(user, task_id) == ("done", False), what="current value")
    saved = task_of(ui_system, task_id)
    assert (saved.status, saved.version) == ("done", 2)  # nothing overwritten
