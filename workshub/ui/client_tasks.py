"""A client's tasks on /clients/{id}: create (title, project, assignee, due), reassign, and move
status — through `services.tasks`, under its rules (managers for their teams' people and their
clients' unassigned tasks, admins for anyone, an assignee for the status of their own task).

The list is read through `listing.list_tasks` and reloaded whenever a TaskChanged event names
this client, whoever made the change.

A status change is optimistic (SPEC §1): the list is a `LocalView` whose base is the last read
and whose overlays are the status changes still being saved; the new status shows at once,
marked pending, the next read (as new as the write) replaces it, and a refused change goes back
to the old status with a notification saying why.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from nicegui import context, events, ui

from workshub.domain.events import DomainEvent, TaskChanged
from workshub.domain.models import Role
from workshub.domain.scope import Viewer, load_viewer
from workshub.domain.services import tasks as task_service
from workshub.domain.services.listing import list_tasks
from workshub.domain.services.reference import list_users
from workshub.ui.actions import edit, read, write
from workshub.ui.client_widgets import CELL_SLOT, Reloader
from workshub.ui.components import section, tid
from workshub.ui.edit_ops import task_status_ops
from workshub.ui.edit_widgets import report_failure
from workshub.ui.live import LivePage, LocalView
from workshub.ui.optimistic import PENDING
from workshub.ui.session import current_viewer

if TYPE_CHECKING:
    from sqlmodel import Session

__all__ = ["tasks_panel"]

STATUS_LABELS = {"todo": "To do", "doing": "Doing", "done": "Done"}
UNASSIGNED = 0  # a select needs a value for "nobody"
STATUS_SLOT = r"""
<q-td :props="props">
  <template v-if="props.row.status_editable">
    <q-btn-toggle dense unelevated no-caps size="sm" toggle-color="primary"
      :class="props.row.pending ? 'wh-pending' : ''" :model-value="props.row.status"
      :disable="props.row.pending"
      :options="[{label:'To do',value:'todo'},{label:'Doing',value:'doing'},
                 {label:'Done',value:'done'}]"
      @update:model-value="v => $parent.$emit('status', {id: props.row.id, status: v})" />
    <q-spinner-dots v-if="props.row.pending" size="1.2em" color="grey-6" class="q-ml-xs" />
  </template>
  <span v-else :class="props.row.pending ? 'wh-pending' : ''">{{ props.row.status_text }}</span>
</q-td>
"""
EDIT_SLOT = r"""
<q-td :props="props">
  <q-btn v-if="props.row.editable && !props.row.pending" flat dense round size="sm" icon="edit"
         @click="$parent.$emit('edit', {id: props.row.id})" />
</q-td>
"""


def _reload_tasks(
    session: Session, viewer: Viewer, client_id: int, now: datetime
) -> tuple[Viewer, list[dict[str, Any]], dict[int, str]] | None:
    """The viewer reloaded (a role change or deactivation ends the list), the client's tasks
    they may read, and the people they may assign tasks to."""
    me = load_viewer(session, viewer.id, session_version=viewer.session_version)
    if me is None:
        return None
    tasks = list_tasks(session, me, now=now, client_id=client_id)
    people: dict[int, str] = {}
    if me.role in (Role.manager, Role.admin):
        people = {u["id"]: u["name"] for u in list_users(session, me) if u["is_active"]}
    return me, tasks, people


def _task_row(
    task: dict[str, Any], *, viewer: Viewer, people: dict[int, str], today: date
) -> dict[str, Any]:
    assignee = task.get("assignee_id")
    manages = viewer.is_admin or (
        viewer.role is Role.manager and (assignee is None or assignee in people)
    )
    due = task.get("due_on")
    day = date.fromisoformat(due) if due else None
    overdue = day is not None and day < today and task["status"] != "done"
    return {
        "id": task["id"],
        "version": task["version"],
        "title": task["title"],
        "project": task.get("project_name") or "",
        "project_id": task["project_id"],
        "assignee": task.get("assignee_name") or "",
        "assignee_text": task.get("assignee_name") or "Unassigned",
        "assignee_id": assignee,
        "due": due or "",
        "due_text": _day_text(day, today) + (" · overdue" if overdue else ""),
        "due_class": "text-negative text-weight-medium" if overdue else "",
        "status": task["status"],
        "status_text": STATUS_LABELS.get(task["status"], task["status"]),
        "editable": manages,
        "status_editable": manages or assignee == viewer.id,
        "pending": bool(task.get(PENDING)),  # a status change not saved yet
    }


def _tasks_table() -> ui.table:
    columns: list[dict[str, Any]] = [
        {"name": "title", "label": "Task", "field": "title", "align": "left", "sortable": True},
        {"name": "project", "label": "Project", "field": "project", "align": "left"},
        {
            "name": "assignee",
            "label": "Assignee",
            "field": "assignee",
            "align": "left",
            "sortable": True,
        },
        {"name": "due", "label": "Due", "field": "due", "align": "left", "sortable": True},
        {"name": "status", "label": "Status", "field": "status", "align": "left"},
        {"name": "edit", "label": "", "field": "id", "align": "right"},
    ]
    table = (
        ui.table(columns=columns, rows=[], row_key="id", pagination={"rowsPerPage": 0})
        .props("flat dense loading hide-bottom")
        .classes("w-full")
    )
    table.add_slot("body-cell", CELL_SLOT)
    table.add_slot("body-cell-status", STATUS_SLOT)
    table.add_slot("body-cell-edit", EDIT_SLOT)
    return tid(table, "client-tasks-table")


def _day_text(day: date | None, today: date) -> str:
    """'Thu 26 Nov', with the year when it is not this year's."""
    if day is None:
        return "—"
    return f"{day:%a} {day.day} {day:%b}" + ("" if day.year == today.year else f" {day.year}")


def _due(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


async def tasks_panel(page: LivePage, client_id: int) -> Callable[[dict[int, str]], None]:
    """Build the tasks card; returns the function that sets the project picker's options (the
    client's active projects, which arrive with the live client data)."""
    system, viewer = page.system, page.viewer
    client = context.client
    may_create = viewer.role in (Role.manager, Role.admin)
    people: dict[int, str] = {}
    rows_by_id: dict[int, dict[str, Any]] = {}
    reader = viewer  # the viewer as of the last read: the rows follow their rights
    view = LocalView(
        "client_tasks", render=lambda data: render(data), reread=lambda: reloader.trigger()
    )
    client.on_delete(view.close)

    with section("Tasks"):
        if may_create:
            with ui.row().classes("w-full items-start gap-2 wrap q-mb-sm"):
                title = tid(
                    ui.input("New task").props("outlined dense").classes("min-w-[220px] grow"),
                    "task-title",
                )
                project = tid(
                    ui.select({}, label="Project").props("outlined dense options-dense"),
                    "task-project",
                ).classes("min-w-[180px]")
                assignee = tid(
                    ui.select({UNASSIGNED: "Unassigned"}, label="Assignee", value=UNASSIGNED)
                    .props("outlined dense options-dense")
                    .classes("min-w-[180px]"),
                    "task-assignee",
                )
                due = tid(ui.input("Due").props("outlined dense type=date stack-label"), "task-due")
                add = tid(
                    ui.button("Add task", icon="add", on_click=lambda: create()).props(
                        "unelevated"
                    ),
                    "task-add",
                )
            problem = ui.label().classes("wh-banner-error w-full")
            problem.set_visibility(False)
        else:
            ui.label("Managers and admins create and assign tasks.").classes("wh-subtitle")
        table = _tasks_table()
        empty = ui.label("No open work for this client.").classes("wh-empty")
        empty.set_visibility(False)

    def render(data: dict[str, Any]) -> None:
        """The last read with the pending status changes on top."""
        today = system.clock.now().astimezone(system.tz).date()
        rows = [
            _task_row(t, viewer=reader, people=people, today=today) for t in data.get("tasks") or []
        ]
        rows_by_id.clear()
        rows_by_id.update((r["id"], r) for r in rows)
        table.rows = rows
        table.props(remove="loading")
        table.update()
        empty.set_visibility(not rows)

    async def load() -> None:
        nonlocal reader
        as_of = system.hub.seq  # every write up to here is in this read
        found = await read(
            system, lambda s: _reload_tasks(s, viewer, client_id, system.clock.now())
        )
        if found is None:
            table.rows = []
            table.update()
            return
        me, tasks, assignable = found
        reader = me
        people.clear()
        people.update(assignable)
        if may_create:
            assignee.set_options({UNASSIGNED: "Unassigned", **assignable}, value=assignee.value)
        view.set_base({"tasks": tasks}, as_of=as_of)

    reloader = Reloader(load, name=f"tasks of client {client_id}")

    def on_event(event: DomainEvent) -> None:
        if isinstance(event, TaskChanged) and event.client_id == client_id:
            reloader.trigger()

    context.client.on_delete(system.hub.subscribe(on_event))
    await load()

    async def allowed() -> Viewer | None:
        me = await current_viewer(system)
        if me is None or me.role not in (Role.manager, Role.slt, Role.admin):
            ui.navigate.to("/login")
            return None
        return me

    async def create() -> None:
        me = await allowed()
        if me is None or not may_create:
            return
        problem.set_visibility(False)
        if project.value is None:
            problem.set_text("Pick one of the client's projects.")
            problem.set_visibility(True)
            return
        try:
            due_on = _due(due.value)
        except ValueError:
            problem.set_text("Due must be a date.")
            problem.set_visibility(True)
            return
        text, project_id = title.value or "", int(project.value)
        person = None if assignee.value in (None, UNASSIGNED) else int(assignee.value)
        add.disable()
        try:
            outcome = await write(
                system,
                me,
                lambda uow: task_service.create_task(
                    uow, me, project_id=project_id, title=text, assignee_id=person, due_on=due_on
                ),
            )
        finally:
            add.enable()
        if outcome.ok:
            title.value = ""
            due.value = ""
            ui.notify("Task added.", type="positive")
            reloader.trigger()
        else:
            fields = "; ".join(f"{k}: {v}" for k, v in (outcome.fields or {}).items())
            problem.set_text(f"{outcome.error} {fields}".strip())
            problem.set_visibility(True)

    async def set_status(event: events.GenericEventArguments) -> None:
        """Shown at once (pending); confirmed by the next read, or rolled back with why."""
        me = await allowed()
        row = rows_by_id.get(int(event.args.get("id", 0)))
        status = event.args.get("status")
        if me is None or row is None or status not in STATUS_LABELS:
            return
        if row["pending"] and row["status"] != status:
            return  # another change is saving: this one would carry its old version (a 409)
        task_id, version = int(row["id"]), int(row["version"])
        outcome = await edit(
            system,
            me,
            view,
            task_status_ops(task_id, status),
            lambda uow: task_service.update_task(
                uow, me, task_id=task_id, version=version, status=status
            ),
            action="task.status",
            args={"task_id": task_id, "version": version, "status": status},
            # the intent: a double click on the same status is one change, not a conflict
            request_id=f"task.status:{task_id}:{version}:{status}",
        )
        report_failure(client, outcome, what="The task")

    async def edit_task(event: events.GenericEventArguments) -> None:
        me = await allowed()
        row = rows_by_id.get(int(event.args.get("id", 0)))
        if me is None or row is None or not row["editable"] or row["pending"]:
            return  # a pending row has no edit button: its version is about to change
        with ui.dialog() as dialog, ui.card().classes("w-full max-w-[420px]"):
            ui.label("Edit task").classes("text-h6")
            new_title = ui.input("Task", value=row["title"]).props("outlined dense")
            new_title.classes("w-full")
            options = {UNASSIGNED: "Unassigned", **people}
            current = row["assignee_id"] if row["assignee_id"] in people else UNASSIGNED
            new_assignee = tid(
                ui.select(options, label="Assignee", value=current), "task-edit-assignee"
            )
            new_assignee.props("outlined dense options-dense").classes("w-full")
            new_due = ui.input("Due", value=row["due"]).props(
                "outlined dense type=date stack-label"
            )
            failed = ui.label().classes("wh-banner-error w-full")
            failed.set_visibility(False)
            with ui.row().classes("w-full justify-end"):
                ui.button("Cancel", on_click=dialog.close).props("flat")
                save = tid(ui.button("Save").props("unelevated"), "task-edit-save")

        async def do_save() -> None:
            me = await allowed()
            if me is None:
                return
            person = None if new_assignee.value in (None, UNASSIGNED) else int(new_assignee.value)
            try:
                due_on = _due(new_due.value)
            except ValueError:
                failed.set_text("Due must be a date.")
                failed.set_visibility(True)
                return
            outcome = await write(
                system,
                me,
                lambda uow: task_service.update_task(
                    uow,
                    me,
                    task_id=row["id"],
                    version=row["version"],
                    title=new_title.value or "",
                    assignee_id=person,
                    due_on=due_on,
                ),
            )
            if outcome.ok:
                dialog.close()
                ui.notify("Task saved.", type="positive")
                reloader.trigger()
            else:
                failed.set_text(outcome.error or "")
                failed.set_visibility(True)

        save.on_click(do_save)
        dialog.open()
        await dialog
        dialog.delete()

    table.on("status", set_status)
    table.on("edit", edit_task)

    def set_projects(options: dict[int, str]) -> None:
        if may_create:
            value = project.value if project.value in options else next(iter(options), None)
            project.set_options(options, value=value)

    return set_projects
