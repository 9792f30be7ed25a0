"""/today: the timer, today's entries against the daily target, tasks due, and the own team's
KPIs — what everyone opens first (SPEC §7)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fastapi.responses import RedirectResponse
from nicegui import binding, events, ui

from workshub.app import System
from workshub.domain.services import entries as entry_service
from workshub.domain.services import tasks as task_service
from workshub.domain.services import timer as timer_service
from workshub.domain.services.reference import list_projects
from workshub.domain.timeutil import parse_instant, week_start
from workshub.ui.actions import read, write
from workshub.ui.components import fmt_hours, fmt_pct, kpi_tile, section, tid
from workshub.ui.frame import frame
from workshub.ui.live import LivePage
from workshub.ui.session import current_viewer

__all__ = ["register"]


@binding.bindable_dataclass
class TodayModel:
    """What /today shows, one attribute per bound element."""

    running: bool = False
    toggle_label: str = "Start"
    running_label: str = "No timer running"
    elapsed: str = "0:00:00"
    today_hours: str = "0.0 / 0.0"
    kpi_tracked: str = "—"
    kpi_utilization: str = "—"
    kpi_billable: str = "—"
    kpi_active: str = "—"
    pending: bool = False


def _local_hm(iso: str | None, system: System) -> str:
    if not iso:
        return ""
    return (
        datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(system.tz).strftime("%H:%M")
    )


def _elapsed(iso: str, now: datetime) -> str:
    seconds = max(
        0, int((now - datetime.fromisoformat(iso.replace("Z", "+00:00"))).total_seconds())
    )
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def register(system: System) -> None:
    @ui.page("/today", title="Today · WorksHub", reconnect_timeout=60)
    async def today_page() -> RedirectResponse | None:
        viewer = await current_viewer(system)
        if viewer is None:
            return RedirectResponse("/login")
        page = LivePage(system, viewer)
        model = TodayModel()
        projects = await read(system, lambda s: list_projects(s, viewer, now=system.clock.now()))
        options = {p["id"]: _project_label(p["client_name"], p["name"]) for p in projects or []}
        today_view = page.dashboard("today", "user", viewer.id)

        with frame(page, title="Today", active="/today"):
            with ui.element("div").classes("wh-card w-full"):
                with ui.row().classes("w-full items-center gap-4 wrap"):
                    with ui.column().classes("gap-0"):
                        elapsed_label = tid(ui.label().classes("wh-timer"), "timer-elapsed")
                        elapsed_label.bind_text_from(model, "elapsed")
                        elapsed_label.props('data-wh-since=""')
                        ui.label().classes("wh-subtitle").bind_text_from(model, "running_label")
                    ui.space()
                    picker = tid(
                        ui.select(options, label="Project", with_input=True)
                        .props("outlined dense options-dense")
                        .classes("min-w-[260px] max-w-[420px] grow"),
                        "timer-project",
                    )
                    if projects:
                        picker.value = projects[0]["id"]
                    note = (
                        ui.input("What are you working on?")
                        .props("outlined dense")
                        .classes("min-w-[220px]")
                    )
                    toggle = tid(
                        ui.button(on_click=lambda: toggle_timer()).props("unelevated size=lg"),
                        "timer-toggle",
                    )
                    toggle.bind_text_from(model, "toggle_label")
                    toggle.bind_enabled_from(model, "pending", backward=lambda p: not p)

            with ui.element("div").classes("wh-kpis"):
                with ui.element("div").classes("wh-card"):
                    ui.label("Hours today / target").classes("wh-kpi-label")
                    tid(ui.label().classes("wh-kpi-value"), "today-hours").bind_text_from(
                        model, "today_hours"
                    )
                team_strip(page, model)

            with section("Today's entries"):
                entries = (
                    ui.table(
                        columns=[
                            {
                                "name": "project",
                                "label": "Project",
                                "field": "project",
                                "align": "left",
                            },
                            {"name": "start", "label": "Start", "field": "start", "align": "left"},
                            {"name": "end", "label": "End", "field": "end", "align": "left"},
                            {"name": "hours", "label": "Hours", "field": "hours", "align": "right"},
                            {"name": "note", "label": "Note", "field": "note", "align": "left"},
                            {"name": "actions", "label": "", "field": "id", "align": "right"},
                        ],
                        rows=[],
                        row_key="id",
                    )
                    .props("flat dense hide-bottom")
                    .classes("w-full")
                )
                entries.add_slot(
                    "body-cell-actions",
                    r"""
                    <q-td :props="props">
                      <q-btn flat dense round size="sm" icon="edit"
                             @click="$parent.$emit('edit', props.row)" />
                      <q-btn flat dense round size="sm" icon="delete" v-if="props.row.end"
                             @click="$parent.$emit('remove', props.row)" />
                    </q-td>
                    """,
                )
                no_entries = ui.label("Nothing tracked yet today.").classes("wh-empty")

            with section("Tasks due"):
                tasks = (
                    ui.table(
                        columns=[
                            {"name": "title", "label": "Task", "field": "title", "align": "left"},
                            {
                                "name": "project",
                                "label": "Project",
                                "field": "project",
                                "align": "left",
                            },
                            {"name": "due_on", "label": "Due", "field": "due_on", "align": "left"},
                            {
                                "name": "status",
                                "label": "Status",
                                "field": "status",
                                "align": "left",
                            },
                        ],
                        rows=[],
                        row_key="id",
                    )
                    .props("flat dense hide-bottom")
                    .classes("w-full")
                )
                tasks.add_slot(
                    "body-cell-status",
                    r"""
                    <q-td :props="props">
                      <q-btn-toggle dense unelevated size="sm" toggle-color="primary"
                        :model-value="props.row.status"
                        :options="[{label:'To do',value:'todo'},{label:'Doing',value:'doing'},
                                   {label:'Done',value:'done'}]"
                        @update:model-value="v => $parent.$emit('status',
                                                   {row: props.row, status: v})" />
                    </q-td>
                    """,
                )
                no_tasks = ui.label("No tasks due.").classes("wh-empty")

        def show_today(data: dict[str, Any], changed: dict[str, Any]) -> None:
            running = data.get("running")
            model.running = running is not None
            model.toggle_label = "Stop" if running else "Start"
            if running:
                model.running_label = _project_label(running.get("client"), running["project"])
                model.elapsed = _elapsed(running["started_at"], system.clock.now())
                elapsed_label.props(f'data-wh-since="{running["started_at"]}"')
            else:
                model.running_label = "No timer running"
                model.elapsed = "0:00:00"
                elapsed_label.props('data-wh-since=""')
            model.today_hours = (
                f"{fmt_hours(data.get('hours_today'))} / {fmt_hours(data.get('target_hours'))}"
            )
            if "entries" in changed or "running" in changed:
                rows = [
                    {
                        "id": e["id"],
                        "project": _project_label(e.get("client"), e["project"]),
                        "project_id": e["project_id"],
                        "start": _local_hm(e["started_at"], system),
                        "end": _local_hm(e.get("ended_at"), system),
                        "hours": fmt_hours((e["duration_s"] or 0) / 3600)
                        if e.get("duration_s")
                        else "running",
                        "note": e.get("note") or "",
                        "billable": e.get("billable"),
                        "version": e["version"],
                        "started_at": e["started_at"],
                        "ended_at": e.get("ended_at"),
                    }
                    for e in data.get("entries") or []
                ]
                entries.rows = rows
                entries.update()
                no_entries.set_visibility(not rows)
            if "tasks" in changed:
                tasks.rows = data.get("tasks") or []
                tasks.update()
                no_tasks.set_visibility(not tasks.rows)

        today_view.on_change(show_today)

        async def toggle_timer() -> None:
            me = await current_viewer(system)
            if me is None:
                ui.navigate.to("/login")
                return
            model.pending = True
            try:
                if model.running:
                    outcome = await write(system, me, lambda uow: timer_service.stop_timer(uow, me))
                else:
                    if picker.value is None:
                        ui.notify("Pick a project first.", type="warning")
                        return
                    project_id = int(picker.value)
                    text = note.value or ""
                    outcome = await write(
                        system,
                        me,
                        lambda uow: timer_service.start_timer(
                            uow, me, project_id=project_id, note=text
                        ),
                    )
                    if outcome.ok:
                        note.value = ""
                if not outcome.ok:
                    ui.notify(outcome.error, type="negative")
            finally:
                model.pending = False

        async def edit_entry(event: events.GenericEventArguments) -> None:
            row = event.args
            with ui.dialog() as dialog, ui.card().classes("min-w-[360px]"):
                ui.label("Edit entry").classes("text-h6")
                project = (
                    ui.select(options, value=row["project_id"], label="Project")
                    .props("outlined dense")
                    .classes("w-full")
                )
                start = ui.input("Start (HH:MM)", value=row["start"]).props("outlined dense")
                end = ui.input("End (HH:MM)", value=row["end"]).props("outlined dense")
                end.set_visibility(bool(row["end"]))
                note_in = (
                    ui.input("Note", value=row["note"]).props("outlined dense").classes("w-full")
                )
                billable = ui.checkbox("Billable", value=bool(row["billable"]))
                problem = ui.label().classes("wh-banner-error w-full")
                problem.set_visibility(False)
                with ui.row().classes("w-full justify-end"):
                    ui.button("Cancel", on_click=dialog.close).props("flat")
                    save = ui.button("Save").props("unelevated")

            async def do_save() -> None:
                me = await current_viewer(system)
                if me is None:
                    return
                day = (
                    datetime.fromisoformat(row["started_at"].replace("Z", "+00:00"))
                    .astimezone(system.tz)
                    .date()
                )
                try:
                    started = _at(day, start.value, system)
                    ended = _at(day, end.value, system) if row["end"] else None
                except ValueError as exc:
                    problem.set_text(str(exc))
                    problem.set_visibility(True)
                    return
                outcome = await write(
                    system,
                    me,
                    lambda uow: entry_service.update_entry(
                        uow,
                        me,
                        entry_id=row["id"],
                        version=row["version"],
                        project_id=int(project.value),
                        started_at=started,
                        ended_at=ended,
                        note=note_in.value or "",
                        billable=bool(billable.value),
                    ),
                )
                if outcome.ok:
                    dialog.close()
                    ui.notify("Entry saved.", type="positive")
                else:
                    problem.set_text(outcome.error or "")
                    problem.set_visibility(True)

            save.on_click(do_save)
            dialog.open()
            await dialog  # closed by Cancel, Save or Escape; then free its elements
            dialog.delete()

        async def remove_entry(event: events.GenericEventArguments) -> None:
            me = await current_viewer(system)
            if me is None:
                return
            row = event.args
            outcome = await write(
                system,
                me,
                lambda uow: entry_service.delete_entry(
                    uow, me, entry_id=row["id"], version=row["version"]
                ),
            )
            ui.notify(
                "Entry deleted." if outcome.ok else outcome.error,
                type="positive" if outcome.ok else "negative",
            )

        async def set_status(event: events.GenericEventArguments) -> None:
            me = await current_viewer(system)
            if me is None:
                return
            row, status = event.args["row"], event.args["status"]
            outcome = await write(
                system,
                me,
                lambda uow: task_service.update_task(
                    uow, me, task_id=row["id"], version=row["version"], status=status
                ),
            )
            if not outcome.ok:
                ui.notify(outcome.error, type="negative")

        entries.on("edit", edit_entry)
        entries.on("remove", remove_entry)
        tasks.on("status", set_status)
        return None


def _project_label(client: str | None, project: str) -> str:
    """ "Acme · Website" for client work; internal projects by their own name."""
    return f"{client} · {project}" if client else project


def _at(day: date, hm: str, system: System) -> datetime:
    try:
        hour, minute = (int(part) for part in hm.strip().split(":"))
        local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=system.tz)
    except (ValueError, TypeError):
        raise ValueError(f"'{hm}' is not a time like 09:30") from None
    return parse_instant(local.isoformat(), field="time")


def team_strip(page: LivePage, model: TodayModel) -> None:
    """The own team's KPIs this week (a member may read their team's metrics, SPEC §2)."""
    viewer = page.viewer
    if viewer.team_id is not None:
        scope, scope_id = "team", viewer.team_id
    elif viewer.org_wide:
        scope, scope_id = "org", 0
    else:
        return
    week = week_start(page.system.clock.now().astimezone(page.system.tz).date())
    kpi_tile("Team hours this week", "kpi-tracked-hours", model, "kpi_tracked")
    kpi_tile("Utilization (tracked ÷ capacity)", "kpi-utilization", model, "kpi_utilization")
    kpi_tile("Billable share", "kpi-billable-pct", model, "kpi_billable")
    kpi_tile("Working now", "kpi-active-timers", model, "kpi_active")

    def show(data: dict[str, Any], _changed: dict[str, Any]) -> None:
        model.kpi_tracked = fmt_hours(data.get("tracked_hours"))
        model.kpi_utilization = fmt_pct(data.get("utilization"))
        model.kpi_billable = fmt_pct(data.get("billable_pct"))
        count = data.get("active_timer_count")
        model.kpi_active = "—" if count is None else str(count)

    page.dashboard("metrics", scope, scope_id, week, on_change=show)
