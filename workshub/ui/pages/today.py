"""/today: the timer, today's entries against the daily target, tasks due, and the own team's
KPIs — what everyone opens first (SPEC §7).

Every edit here is optimistic (SPEC §1): the timer, an entry's change or delete, a task's status
show at once on the page's `today` view, marked pending, and are confirmed or rolled back when
the write answers (`workshub.ui.actions.edit`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from fastapi.responses import RedirectResponse
from nicegui import binding, context, events, ui

from workshub.app import System
from workshub.domain.scope import Viewer
from workshub.domain.services import entries as entry_service
from workshub.domain.services import tasks as task_service
from workshub.domain.services import timer as timer_service
from workshub.domain.services.reference import list_projects
from workshub.domain.timeutil import iso_utc, parse_instant, week_start
from workshub.ui.actions import Outcome, PendingEdit, edit, new_request_id, read
from workshub.ui.broadcast import region
from workshub.ui.client_widgets import NO_DATA_SLOT
from workshub.ui.components import (
    Kpi,
    browser_paginated,
    column,
    elapsed,
    fmt_hours,
    instant,
    kpi_billable_share,
    kpi_html,
    kpi_tracked_hours,
    kpi_utilization,
    kpi_working_now,
    local_hm,
    project_label,
    section,
    set_choices,
    tid,
)
from workshub.ui.csv_downloads import corner, entries_button, this_week
from workshub.ui.edit_ops import (
    entry_delete_ops,
    entry_edit_ops,
    task_status_ops,
    timer_start_ops,
    timer_stop_ops,
)
from workshub.ui.edit_widgets import (
    EntryDeletes,
    on_single_click,
    report_failure,
    saving_indicator,
)
from workshub.ui.form_widgets import FormDialog, FormField
from workshub.ui.frame import frame
from workshub.ui.live import LiveDashboard, LivePage
from workshub.ui.optimistic import PENDING
from workshub.ui.session import current_viewer

__all__ = ["register"]

ENTRY_ALIASES = {"project_id": "project", "started_at": "start", "ended_at": "end"}

ENTRY_ACTIONS = r"""
<q-td :props="props">
  <q-spinner-dots v-if="props.row.pending" size="1.4em" color="grey-6" />
  <template v-else>
    <q-btn flat dense round size="sm" icon="edit" aria-label="Edit entry"
           @click="$parent.$emit('edit', props.row)" />
    <q-btn flat dense round size="sm" icon="delete" aria-label="Delete entry" v-if="props.row.end"
           @click="$parent.$emit('remove', props.row)" />
  </template>
</q-td>
"""

PENDING_CELL = r"""
<q-td :props="props" :class="props.row.pending ? 'wh-pending' : ''">{{ props.value }}</q-td>
"""

TASK_STATUS = r"""
<q-td :props="props">
  <q-btn-toggle dense unelevated size="sm" toggle-color="primary"
    :class="props.row._pending ? 'wh-pending' : ''" :disable="props.row._pending"
    :model-value="props.row.status"
    :options="[{label:'To do',value:'todo'},{label:'Doing',value:'doing'},
               {label:'Done',value:'done'}]"
    @update:model-value="v => $parent.$emit('status', {row: props.row, status: v})" />
  <q-spinner-dots v-if="props.row._pending" size="1.2em" color="grey-6" class="q-ml-xs" />
</q-td>
"""


@binding.bindable_dataclass
class TodayModel:
    """What /today shows, one attribute per bound element."""

    running: bool = False
    toggle_label: str = "Start"
    running_label: str = "No timer running"
    elapsed: str = "0:00:00"
    can_switch: bool = False


HOURS_LABEL = "Hours today / target"


def register(system: System) -> None:
    @ui.page("/today", title="Today · WorksHub", reconnect_timeout=60)
    async def today_page() -> RedirectResponse | None:
        viewer = await current_viewer(system)
        if viewer is None:
            return RedirectResponse("/login")
        today = TodayPage(system, viewer)
        # The HTML goes out now, the lists empty; the views load meanwhile, and the data and
        # the project picker's options follow over the socket (SPEC §9: HTML in a few ms).
        client = context.client
        await client.connected()
        if not client.is_deleted:
            await today.show_data()
        return None


class TodayPage:
    """The page's elements and edits for one viewer (one instance per client)."""

    def __init__(self, system: System, viewer: Viewer) -> None:
        self.system = system
        self.viewer = viewer
        self.client = context.client
        self.page = LivePage(system, viewer)
        self.model = TodayModel()
        self.projects: dict[int, dict[str, Any]] = {}
        self.options: dict[int, str] = {}
        self.projects_loaded = asyncio.Event()  # a Start waits for the picker's options
        self.timer_lock = asyncio.Lock()  # timer writes land in the order they were clicked
        self.view: LiveDashboard = self.page.dashboard("today", "user", viewer.id)
        self.hours_text = ""
        with frame(self.page, title="Today", active="/today"):
            self._timer_card()
            with ui.element("div").classes("wh-kpis"):
                self.hours_tile = ui.html(kpi_html(HOURS_LABEL, "today-hours", "—"), sanitize=False)
                self.hours_tile.classes("wh-card").mark("today-hours")
                self.show_team = team_strip(self.page)
            self._entries_section()
            self._tasks_section()
        self.deletes = EntryDeletes(system)  # the undo bar, for deleted entries

    async def show_data(self) -> None:
        """Once the socket is connected: the views' data, then the picker's options."""
        self.view.on_change(self.show)
        if self.show_team is not None:
            self.show_team()
        system, viewer = self.system, self.viewer
        try:
            projects = await read(
                system, lambda s: list_projects(s, viewer, now=system.clock.now())
            )
        finally:
            self.projects_loaded.set()
        if not projects or self.client.is_deleted:
            return
        self.projects = {p["id"]: p for p in projects}
        self.options = {p["id"]: project_label(p["client_name"], p["name"]) for p in projects}
        set_choices(self.picker, self.options, value=projects[0]["id"])

    # --- layout ---------------------------------------------------------------------------

    def _timer_card(self) -> None:
        model = self.model
        with ui.element("div").classes("wh-card w-full"):
            with ui.row().classes("w-full items-center gap-4 wrap"):
                with ui.column().classes("gap-0"):
                    self.elapsed = tid(ui.label().classes("wh-timer"), "timer-elapsed")
                    self.elapsed.bind_text_from(model, "elapsed")
                    self.elapsed.props('data-wh-since=""')
                    with ui.row().classes("items-center gap-2 no-wrap"):
                        ui.label().classes("wh-subtitle").bind_text_from(model, "running_label")
                        saving_indicator(
                            self.view, "pending_fields", when=lambda fields: "running" in fields
                        )
                self.picker = tid(
                    ui.select(
                        self.options,
                        label="Project",
                        with_input=True,
                        on_change=lambda: self._picked(),
                    )
                    .props("outlined dense options-dense")
                    .classes("min-w-[240px] max-w-[420px] grow q-ml-auto"),
                    "timer-project",
                )
                self.note = (
                    ui.input("What are you working on?")
                    .props("outlined dense")
                    .classes("min-w-[200px]")
                )
                switch = ui.button("Switch", icon="swap_horiz").props(
                    'outline no-caps title="Stop the running timer and start this project"'
                )
                on_single_click(switch, self.switch_timer)
                switch.bind_visibility_from(model, "can_switch")
                tid(switch, "timer-switch")
                toggle = tid(ui.button().props("unelevated size=lg"), "timer-toggle")
                on_single_click(toggle, self.toggle_timer)
                toggle.bind_text_from(model, "toggle_label")

    def _entries_section(self) -> None:
        with section("Today's entries"):
            system = self.system
            with corner():  # own entries of this week, as the API's /time-entries.csv
                entries_button(
                    system,
                    label="This week (CSV)",
                    marker="export-entries-csv",
                    scope=lambda: (this_week(system), None),
                )
            self.entries = tid(
                ui.table(
                    columns=[
                        column("project", "Project"),
                        column("start", "Start"),
                        column("end", "End"),
                        column("hours", "Hours", "right"),
                        column("note", "Note") | {"classes": "gt-xs", "headerClasses": "gt-xs"},
                        {"name": "actions", "label": "", "field": "id", "align": "right"},
                    ],
                    rows=[],
                    row_key="id",
                )
                .props('flat dense wrap-cells no-data-label="Nothing tracked yet today."')
                .classes("w-full"),
                "today-entries",
            )
            self.entries.add_slot("no-data", NO_DATA_SLOT)
            browser_paginated(self.entries)
            self.entries.add_slot("body-cell-actions", ENTRY_ACTIONS)
            self.entries.add_slot("body-cell-project", PENDING_CELL)
            self.entries.on("edit", self.edit_entry)
            self.entries.on("remove", self.remove_entry)

    def _tasks_section(self) -> None:
        with section("Tasks due"):
            self.tasks = tid(
                ui.table(
                    columns=[
                        column("title", "Task"),
                        column("project", "Project")
                        | {"classes": "gt-xs", "headerClasses": "gt-xs"},
                        column("due_on", "Due"),
                        column("status", "Status"),
                    ],
                    rows=[],
                    row_key="id",
                )
                .props('flat dense wrap-cells no-data-label="No tasks due."')
                .classes("w-full"),
                "today-tasks",
            )
            self.tasks.add_slot("no-data", NO_DATA_SLOT)
            browser_paginated(self.tasks)
            self.tasks.add_slot("body-cell-status", TASK_STATUS)
            self.tasks.on("status", self.set_status)

    # --- showing the view (base + pending edits) ------------------------------------------

    def show(self, data: dict[str, Any], changed: dict[str, Any]) -> None:
        model, system = self.model, self.system
        running = data.get("running")
        model.running = running is not None
        model.toggle_label = "Stop" if running else "Start"
        if running:
            model.running_label = project_label(running.get("client"), running["project"])
            model.elapsed = elapsed(running["started_at"], system.clock.now())
            self.elapsed.props(f'data-wh-since="{running["started_at"]}"')
        else:
            model.running_label = "No timer running"
            model.elapsed = "0:00:00"
            self.elapsed.props('data-wh-since=""')
        self._follow_picker()
        hours = f"{fmt_hours(data.get('hours_today'))} / {fmt_hours(data.get('target_hours'))}"
        if hours != self.hours_text:
            self.hours_text = hours
            self.hours_tile.set_content(kpi_html(HOURS_LABEL, "today-hours", hours))
        if "entries" in changed or "running" in changed:
            self.entries.rows = [self._entry_row(e) for e in data.get("entries") or []]
            self.entries.update()
        if "tasks" in changed:
            self.tasks.rows = data.get("tasks") or []
            self.tasks.update()

    def _entry_row(self, e: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": e["id"],
            "project": project_label(e.get("client"), e["project"]),
            "project_id": e["project_id"],
            "start": local_hm(e["started_at"], self.system.tz),
            "end": local_hm(e.get("ended_at"), self.system.tz),
            "hours": fmt_hours(e["duration_s"] / 3600) if e.get("duration_s") else "running",
            "note": e.get("note") or "",
            "billable": e.get("billable"),
            "version": e["version"],
            "started_at": e["started_at"],
            "ended_at": e.get("ended_at"),
            "pending": bool(e.get(PENDING)),
        }

    def _follow_picker(self) -> None:
        running = self.view.data.get("running")
        self.model.can_switch = bool(
            running and self.picker.value is not None and self.picker.value != running["project_id"]
        )

    def _picked(self) -> None:
        self.picker.error = None  # a new choice: the last refusal no longer applies
        self._follow_picker()

    # --- the timer ------------------------------------------------------------------------

    async def toggle_timer(self) -> None:
        """Start, or stop: decided by what the page shows now (pending edits included), so a
        Stop right after a Start stops the timer that is still being saved."""
        me = await current_viewer(self.system)
        if me is None:
            ui.navigate.to("/login")
            return
        if self.view.data.get("running"):
            await self._stop(me)
        else:
            await self._start(me)

    async def switch_timer(self) -> None:
        me = await current_viewer(self.system)
        if me is None:
            ui.navigate.to("/login")
            return
        await self._start(me)

    async def _start(self, me: Viewer) -> None:
        await self.projects_loaded.wait()  # a click right after the page opened
        project = self.projects.get(self.picker.value) if self.picker.value is not None else None
        if project is None:
            self.picker.error = "Pick a project first."
            return
        text = self.note.value or ""
        rid = new_request_id()
        ops = timer_start_ops(
            self.view.data,
            project=project,
            note=text,
            now=self.system.clock.now(),
            temp_id=f"new-{rid}",
        )
        pending = PendingEdit(self.system, self.view, ops, action="timer.start", request_id=rid)
        self.note.value = ""
        project_id = int(project["id"])
        async with self.timer_lock:
            outcome = await pending.commit(
                me,
                lambda uow: timer_service.start_timer(uow, me, project_id=project_id, note=text),
                args={"project_id": project_id, "note": text},
            )
        if not outcome.ok:
            self.note.value = self.note.value or text  # give the note back
            self._timer_failed(outcome)

    async def _stop(self, me: Viewer) -> None:
        ops = timer_stop_ops(self.view.data, now=self.system.clock.now())
        pending = PendingEdit(self.system, self.view, ops, action="timer.stop")
        async with self.timer_lock:
            outcome = await pending.commit(me, lambda uow: timer_service.stop_timer(uow, me))
        if not outcome.ok:
            self._timer_failed(outcome)

    def _timer_failed(self, outcome: Outcome[Any]) -> None:
        message = (outcome.fields or {}).get("project_id")
        if message and not self.client.is_deleted:
            self.picker.error = message  # next to the field it is about
        else:
            report_failure(self.client, outcome, what="The timer")

    # --- entries --------------------------------------------------------------------------

    async def edit_entry(self, event: events.GenericEventArguments) -> None:
        row = event.args
        if await current_viewer(self.system) is None:
            ui.navigate.to("/login")
            return
        running = not row["end"]
        values: dict[str, Any] = {
            "project": row["project_id"],
            "start": row["start"],
            "end": row["end"],
            "note": row["note"],
            "billable": bool(row["billable"]),
        }
        rid = new_request_id()  # one intent: this edit, however often Save is pressed
        failed: Outcome[Any] | None = None
        while True:
            changes = await self._entry_form(row, values, running=running, failed=failed)
            if changes is None:
                return  # cancelled
            values = changes.pop("_values")
            me = await current_viewer(self.system)
            if me is None:
                return
            outcome = await self._save_entry(me, row, changes, request_id=rid)
            if outcome.ok or not outcome.fields:
                report_failure(self.client, outcome, what="The entry")
                return
            failed = outcome  # the server refused a field: show the form again with why

    async def _entry_form(
        self,
        row: dict[str, Any],
        values: dict[str, Any],
        *,
        running: bool,
        failed: Outcome[Any] | None,
    ) -> dict[str, Any] | None:
        """The edit dialog; closes as soon as the values parse (the save is optimistic) and
        returns the changes, or None when cancelled."""
        options = dict(self.options)
        options.setdefault(row["project_id"], row["project"])  # an archived project stays
        fields = [
            FormField("project", "Project", "select", options=options, wide=True),
            FormField("start", "Start", "time"),
        ]
        if not running:
            fields.append(FormField("end", "End", "time"))
        fields += [
            FormField("note", "Note", wide=True),
            FormField("billable", "Billable", "switch"),
        ]
        form = FormDialog(
            "Edit running timer" if running else "Edit entry",
            fields,
            values=values,
            aliases=ENTRY_ALIASES,
        )
        if failed is not None:
            form.show_errors(failed)
        day = _local_day(row["started_at"], self.system)

        async def submit(entered: dict[str, Any]) -> Outcome[Any] | None:
            try:
                started = _at(day, entered["start"] or "", self.system)
            except ValueError as exc:
                form.fail("start", str(exc))
                return None
            try:
                ended = None if running else _at(day, entered["end"] or "", self.system)
            except ValueError as exc:
                form.fail("end", str(exc))
                return None
            project_id = int(entered["project"] or row["project_id"])
            project = self.projects.get(project_id)
            changes = {
                "project_id": project_id,
                "project": project["name"] if project else row["project"],
                "client": project.get("client_name") if project else None,
                "started_at": iso_utc(started),
                "note": entered["note"] or "",
                "billable": bool(entered["billable"]),
                "_values": entered,
            }
            if not running:
                changes["ended_at"] = iso_utc(ended)
            return Outcome(value=changes)

        outcome = await form.run(submit)
        return outcome.value if outcome is not None else None

    async def _save_entry(
        self, me: Viewer, row: dict[str, Any], changes: dict[str, Any], *, request_id: str
    ) -> Outcome[Any]:
        now = self.system.clock.now()
        ops = entry_edit_ops(self.view.data, row["id"], changes, now=now)
        started = parse_instant(changes["started_at"], field="started_at")
        ended = (
            parse_instant(changes["ended_at"], field="ended_at") if "ended_at" in changes else None
        )
        args = {k: v for k, v in changes.items() if k not in ("project", "client")}
        args |= {"entry_id": row["id"], "version": row["version"]}
        return await edit(
            self.system,
            me,
            self.view,
            ops,
            lambda uow: entry_service.update_entry(
                uow,
                me,
                entry_id=int(row["id"]),
                version=int(row["version"]),
                project_id=int(changes["project_id"]),
                started_at=started,
                ended_at=ended,
                note=changes["note"],
                billable=bool(changes["billable"]),
            ),
            action="entry.update",
            args=args,
            request_id=request_id,
        )

    async def remove_entry(self, event: events.GenericEventArguments) -> None:
        row = event.args
        entry_id = int(row["id"])
        await self.deletes.delete(
            self.view,
            row,
            ops=lambda: entry_delete_ops(self.view.data, entry_id, now=self.system.clock.now()),
            label=f"Entry deleted · {row['project']} {row['start']}–{row['end']}",
        )

    # --- tasks ----------------------------------------------------------------------------

    async def set_status(self, event: events.GenericEventArguments) -> None:
        row, status = event.args["row"], event.args["status"]
        me = await current_viewer(self.system)
        if me is None:
            ui.navigate.to("/login")
            return
        task_id, version = int(row["id"]), int(row["version"])
        tasks: list[dict[str, Any]] = self.view.data.get("tasks") or []
        if any(t.get("id") == task_id and t.get(PENDING) and t["status"] != status for t in tasks):
            # Another change is still saving: this one would carry the version that write is
            # about to replace and meet a 409. (The same change again is one intent: it goes,
            # with the same request id.)
            return
        outcome = await edit(
            self.system,
            me,
            self.view,
            task_status_ops(task_id, status),
            lambda uow: task_service.update_task(
                uow, me, task_id=task_id, version=version, status=status
            ),
            action="task.status",
            args={"task_id": task_id, "version": version, "status": status},
            # the intent: a double click on the same status is one change, not a conflict
            request_id=f"task.status:{task_id}:{version}:{status}",
        )
        report_failure(self.client, outcome, what="The task")


def _local_day(iso: str, system: System) -> date:
    return instant(iso).astimezone(system.tz).date()


def _at(day: date, hm: str, system: System) -> datetime:
    try:
        hour, minute = (int(part) for part in hm.strip().split(":")[:2])
        local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=system.tz)
    except (ValueError, TypeError):
        raise ValueError("enter a time like 09:30") from None
    return parse_instant(local.isoformat(), field="time")


TEAM_KPIS: tuple[Kpi, ...] = (
    Kpi("Team hours this week", "kpi-tracked-hours", "metrics", kpi_tracked_hours),
    Kpi("Utilization (tracked ÷ capacity)", "kpi-utilization", "metrics", kpi_utilization),
    Kpi("Billable share", "kpi-billable-pct", "metrics", kpi_billable_share),
    Kpi("Working now", "kpi-active-timers", "metrics", kpi_working_now),
)


def team_strip(page: LivePage) -> Callable[[], None] | None:
    """The own team's KPIs this week (a member may read their team's metrics, SPEC §2): one
    tile each, broadcast regions of the team's metrics key, shared by everyone on the team.
    Returns what to call once the socket is connected to show them."""
    viewer, system = page.viewer, page.system
    if viewer.team_id is not None:
        scope, scope_id = "team", viewer.team_id
    elif viewer.org_wide:
        scope, scope_id = "org", 0
    else:
        return None
    tiles = {}
    for kpi in TEAM_KPIS:
        tile = ui.html(kpi.html("—", ""), sanitize=False).classes("wh-card")
        tiles[kpi] = tile.mark(kpi.test_id)
    week = week_start(system.clock.now().astimezone(system.tz).date())
    view = page.dashboard("metrics", scope, scope_id, week)

    def show() -> None:
        for kpi, tile in tiles.items():
            region(system, f"today.{kpi.test_id}", tile, view, kpi.render)

    return show
