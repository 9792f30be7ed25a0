"""/timesheet: one person's week as a grid (project × day, with totals) against their
capacity, for this or any past week; add, edit and delete entries on any day, and keep their
own time off (SPEC §7).

The week is read off the loop from the person's own entries. For the current week the page
follows the person's `today` dashboard (a timer started elsewhere shows up) and re-reads on its
pushes; any week re-reads after the person's own writes. Nothing polls.

Adding, editing and deleting entries is optimistic (SPEC §1): the week is a `LocalView` whose
base is the last read and whose overlays are the edits still being saved; a form closes at once
and comes back with the message next to the field if the server refuses it; a delete can be
undone for a few seconds before it is written.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.responses import RedirectResponse
from nicegui import app, background_tasks, binding, context, events, ui

from workshub.app import System
from workshub.domain.scope import Viewer, load_viewer
from workshub.domain.services import entries as entry_service
from workshub.domain.services import time_off as time_off_service
from workshub.domain.services.reference import list_projects
from workshub.domain.timeutil import iso_utc, local_date, week_start
from workshub.domain.uow import UnitOfWork
from workshub.ui.actions import Outcome, edit, new_request_id, read, write
from workshub.ui.components import column, fmt_hours, fmt_pct, section, tid, week_options
from workshub.ui.edit_ops import week_entry_ops
from workshub.ui.edit_widgets import EntryDeletes, report_failure, saving_indicator
from workshub.ui.form_widgets import FormDialog, FormField, confirm
from workshub.ui.frame import frame
from workshub.ui.live import LivePage, LocalView
from workshub.ui.optimistic import PENDING
from workshub.ui.session import current_viewer
from workshub.ui.timesheet_grid import (
    DAY_FIELDS,
    WeekSheet,
    day_label,
    entry_rows,
    grid_rows,
    load_week,
    summarise,
    time_off_rows,
)

__all__ = ["register"]

log = logging.getLogger(__name__)

WEEKS_BACK = 52
ENTRY_ALIASES = {"project_id": "project", "started_at": "start", "ended_at": "end"}


@binding.bindable_dataclass
class TimesheetModel:
    """What /timesheet shows, one attribute per bound element."""

    loading: bool = True
    error: str = ""
    total: str = "—"
    total_hint: str = ""
    capacity: str = "—"
    capacity_hint: str = ""
    utilization: str = "—"
    filter_label: str = ""
    filtered: bool = False
    progress: float = 0.0
    no_entries: bool = False
    no_time_off: bool = False


@dataclass
class _State:
    monday: date
    sheet: WeekSheet | None = None
    day: date | None = None
    project_id: int | None = None
    busy: bool = False
    again: bool = False


def _selected_week(raw: str | None, current: date) -> date:
    try:
        monday = week_start(date.fromisoformat(raw)) if raw else current
    except ValueError:
        return current
    return min(monday, current)


def _local_instant(day: str, hm: str, tz: ZoneInfo) -> datetime:
    """A local date and HH:MM as an aware instant (ValueError with a message to show)."""
    try:
        on = date.fromisoformat(day)
    except ValueError:
        raise ValueError("pick a date") from None
    try:
        hour, minute = (int(part) for part in hm.strip().split(":")[:2])
        return datetime(on.year, on.month, on.day, hour, minute, tzinfo=tz)
    except (ValueError, TypeError):
        raise ValueError("enter a time like 09:30") from None


def _default_span(day: date, now: datetime) -> tuple[str, str]:
    """A new entry's times: 09:00–10:00, or on today the hour up to now (in quarters)."""
    if day != now.date() or now.hour < 1:
        return "09:00", "10:00"
    end = now.replace(minute=now.minute // 15 * 15)
    start = end - timedelta(hours=1)
    return f"{start:%H:%M}", f"{end:%H:%M}"


def _grid_columns(monday: date, today: date) -> list[dict[str, Any]]:
    columns: list[dict[str, Any]] = [
        {
            "name": "label",
            "label": "Project",
            "field": "label",
            "align": "left",
            "style": "min-width: 150px; max-width: 280px; white-space: normal",
        }
    ]
    for index, name in enumerate(DAY_FIELDS):
        day = monday + timedelta(days=index)
        column = {"name": name, "label": day_label(day), "field": name, "align": "right"}
        if day == today:
            column |= {"classes": "bg-teal-1", "headerClasses": "bg-teal-1 text-primary"}
        elif day.weekday() >= 5:
            column |= {"classes": "bg-grey-1", "headerClasses": "bg-grey-1"}
        columns.append(column)
    columns.append({"name": "total", "label": "Total", "field": "total", "align": "right"})
    return columns


GRID_CELL = r"""
<q-td :props="props"
      :class="[props.row.kind === 'total' || props.col.name === 'total' ? 'text-weight-bold' : '',
               props.row.kind === 'time_off' ? 'text-grey-7' : '',
               props.col.name.startsWith('d') ? 'cursor-pointer' : '']"
      @click="props.col.name.startsWith('d') &&
              $parent.$emit('cell', {kind: props.row.kind, project_id: props.row.project_id,
                                     day: props.col.name, value: props.value})">
  <span v-if="props.col.name === 'label' && props.row.running"
        class="q-mr-xs text-positive" title="Timer running">●</span>{{ props.value }}
</q-td>
"""

ENTRY_ACTIONS = r"""
<q-td :props="props">
  <q-spinner-dots v-if="props.row.pending" size="1.4em" color="grey-6" />
  <template v-else>
    <q-btn flat dense round size="sm" icon="edit" aria-label="Edit entry"
           @click="$parent.$emit('edit', props.row)" />
    <q-btn flat dense round size="sm" icon="delete" aria-label="Delete entry"
           @click="$parent.$emit('remove', props.row)" />
  </template>
</q-td>
"""

ENTRY_PROJECT = r"""
<q-td :props="props" :class="props.row.pending ? 'wh-pending' : ''">{{ props.value }}</q-td>
"""

ENTRY_END = r"""
<q-td :props="props">
  <q-badge v-if="props.row.running" color="positive" label="running" />
  <span v-else>{{ props.value }}</span>
</q-td>
"""

ENTRY_NOTE = r"""
<q-td :props="props">
  <span>{{ props.value }}</span>
  <q-badge v-if="!props.row.billable" outline color="grey-7" class="q-ml-xs"
           label="non-billable" />
</q-td>
"""

TIME_OFF_ACTIONS = r"""
<q-td :props="props">
  <q-btn flat dense round size="sm" icon="delete" aria-label="Remove time off"
         @click="$parent.$emit('remove', props.row)" />
</q-td>
"""


def register(system: System) -> None:
    @ui.page("/timesheet", title="Timesheet · WorksHub", reconnect_timeout=60)
    async def timesheet_page(week: str | None = None) -> RedirectResponse | None:
        viewer = await current_viewer(system)
        if viewer is None:
            return RedirectResponse("/login")
        TimesheetPage(system, viewer, week)
        return None


class TimesheetPage:
    """The page's elements and handlers for one viewer (one instance per client)."""

    def __init__(self, system: System, viewer: Viewer, week: str | None) -> None:
        self.system = system
        self.tz = system.tz
        self.current = week_start(self._today())
        self.state = _State(monday=_selected_week(week, self.current))
        self.model = TimesheetModel()
        self.projects: dict[int, str] = {}
        self.project_names: dict[int, tuple[str | None, str]] = {}  # client name, project name
        self.billable_default: dict[int, bool] = {}
        self.base: WeekSheet | None = None  # the last read; state.sheet is it with the edits
        self.week = LocalView("timesheet", render=self._render, reread=self._reread)
        self.client = context.client
        self.client.on_delete(self.week.close)
        self.storage = app.storage.user  # this browser's session, also outside its requests
        self.page = LivePage(system, viewer)
        # Before the frame, so its bell and this page share one `today` subscription.
        self.seen_today = False
        self.page.dashboard("today", "user", viewer.id, on_change=self._on_today)
        with frame(self.page, title="Timesheet", active="/timesheet"):
            self._toolbar()
            self._kpis()
            self._grid()
            self._entries()
            self._time_off()
        self.deletes = EntryDeletes(system)  # the undo bar, for deleted entries
        background_tasks.create(self._start(), name="timesheet start", context=self.client)

    def _today(self) -> date:
        return local_date(self.system.clock.now(), self.tz)

    # --- layout ---------------------------------------------------------------------------

    def _toolbar(self) -> None:
        with ui.row().classes("w-full items-center gap-2 wrap"):
            with ui.row().classes("items-center gap-1 no-wrap"):
                ui.button(icon="chevron_left", on_click=lambda: self._step(-1)).props(
                    "flat round dense"
                ).tooltip("Previous week")
                self.week_select = tid(
                    ui.select(
                        week_options(self.current, weeks=WEEKS_BACK, selected=self.state.monday),
                        value=self.state.monday.isoformat(),
                        on_change=self._on_week,
                    )
                    .props("outlined dense options-dense")
                    .classes("min-w-[230px]"),
                    "week-select",
                )
                self.next_button = ui.button(icon="chevron_right", on_click=lambda: self._step(1))
                self.next_button.props("flat round dense").tooltip("Next week")
            self.this_week = ui.button("This week", on_click=lambda: self._go(self.current))
            self.this_week.props("flat dense no-caps")
            self._week_buttons()
            ui.space()
            saving_indicator(self.week)
            with ui.row().classes("items-center gap-2 no-wrap"):
                tid(
                    ui.button(
                        "Time off", icon="beach_access", on_click=lambda: self._add_time_off()
                    ).props("outline no-caps"),
                    "time-off-add",
                )
                tid(
                    ui.button("Add entry", icon="add", on_click=lambda: self._add_entry()).props(
                        "unelevated no-caps"
                    ),
                    "entry-add",
                )

    def _kpis(self) -> None:
        model = self.model
        with ui.element("div").classes("wh-kpis"):
            for label, test_id, value, hint in (
                ("Hours this week", "timesheet-total", "total", "total_hint"),
                ("Capacity", "timesheet-capacity", "capacity", "capacity_hint"),
                ("Utilization (tracked ÷ capacity)", "timesheet-utilization", "utilization", ""),
            ):
                with ui.element("div").classes("wh-card"):
                    ui.label(label).classes("wh-kpi-label")
                    tid(ui.label().classes("wh-kpi-value"), test_id).bind_text_from(model, value)
                    if hint:
                        ui.label().classes("wh-kpi-hint").bind_text_from(model, hint)
                    if test_id == "timesheet-utilization":
                        ui.linear_progress(show_value=False, size="6px").props(
                            "rounded color=primary track-color=grey-3"
                        ).classes("q-mt-sm").bind_value_from(model, "progress")

    def _grid(self) -> None:
        with section("Week"):
            banner = ui.label().classes("wh-banner-error w-full")
            banner.bind_text_from(self.model, "error").bind_visibility_from(self.model, "error")
            ui.skeleton("rect", height="180px").classes("w-full").bind_visibility_from(
                self.model, "loading"
            )
            self.grid = tid(
                ui.table(
                    columns=_grid_columns(self.state.monday, self._today()), rows=[], row_key="key"
                )
                .props("flat dense hide-bottom separator=cell")
                .classes("w-full"),
                "timesheet-grid",
            )
            self.grid.add_slot("body-cell", GRID_CELL)
            self.grid.bind_visibility_from(self.model, "loading", backward=lambda v: not v)
            self.grid.on("cell", self._on_cell)
            ui.label("Click a day to see its entries, or an empty day to add one.").classes(
                "wh-kpi-hint"
            )

    def _entries(self) -> None:
        with section("Entries"):
            with (
                ui.row()
                .classes("w-full items-center gap-2")
                .bind_visibility_from(self.model, "filtered")
            ):
                ui.label().classes("wh-subtitle").bind_text_from(self.model, "filter_label")
                ui.button("Show the whole week", on_click=self._clear_filter).props(
                    "flat dense no-caps size=sm"
                )
            self.entries = tid(
                ui.table(
                    columns=[
                        column("day", "Day"),
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
                .props("flat dense hide-bottom wrap-cells")
                .classes("w-full"),
                "timesheet-entries",
            )
            self.entries.bind_visibility_from(self.model, "no_entries", backward=lambda v: not v)
            self.entries.add_slot("body-cell-actions", ENTRY_ACTIONS)
            self.entries.add_slot("body-cell-end", ENTRY_END)
            self.entries.add_slot("body-cell-note", ENTRY_NOTE)
            self.entries.add_slot("body-cell-project", ENTRY_PROJECT)
            self.entries.on("edit", self._edit_entry)
            self.entries.on("remove", self._remove_entry)
            ui.label("No time tracked in this week yet.").classes("wh-empty").bind_visibility_from(
                self.model, "no_entries"
            )

    def _time_off(self) -> None:
        with section("Time off"):
            self.time_off = tid(
                ui.table(
                    columns=[
                        column("day", "Day"),
                        column("hours", "Hours", "right"),
                        {"name": "actions", "label": "", "field": "id", "align": "right"},
                    ],
                    rows=[],
                    row_key="id",
                )
                .props("flat dense hide-bottom")
                .classes("w-full")
                .style("max-width: 420px"),
                "time-off-table",
            )
            self.time_off.bind_visibility_from(self.model, "no_time_off", backward=lambda v: not v)
            self.time_off.add_slot("body-cell-actions", TIME_OFF_ACTIONS)
            self.time_off.on("remove", self._remove_time_off)
            ui.label("No time off in this week.").classes("wh-empty").bind_visibility_from(
                self.model, "no_time_off"
            )

    # --- data -----------------------------------------------------------------------------

    async def _start(self) -> None:
        viewer = await self._session_viewer()
        if viewer is None:
            return
        found = await read(
            self.system, lambda s: list_projects(s, viewer, now=self.system.clock.now())
        )
        for project in found or []:
            label = f"{project['client_name'] or 'Internal'} · {project['name']}"
            self.projects[project["id"]] = label
            self.project_names[project["id"]] = (project["client_name"], project["name"])
            self.billable_default[project["id"]] = bool(project["default_billable"])
        await self.reload()

    async def _viewer(self) -> Viewer | None:
        """The person again, as every handler checks before it reads or writes."""
        viewer = await current_viewer(self.system)
        if viewer is None:
            ui.navigate.to("/login")
        return viewer

    async def _session_viewer(self) -> Viewer | None:
        """The same check from a push (no request of its own): this browser's stored session."""
        user_id, version = self.storage.get("user_id"), self.storage.get("session_version")
        viewer = None
        if isinstance(user_id, int) and isinstance(version, int):
            viewer = await read(
                self.system, lambda s: load_viewer(s, user_id, session_version=version)
            )
        if viewer is None:
            with self.client:
                ui.navigate.to("/login")
        return viewer

    async def reload(self) -> None:
        """Read the selected week again; a read asked for meanwhile runs once more after."""
        state = self.state
        if state.busy:
            state.again = True
            return
        state.busy = True
        try:
            while True:
                state.again = False
                viewer = await self._session_viewer()
                if viewer is None:
                    return
                monday = state.monday
                as_of = self.system.hub.seq  # every write up to here is in this read
                try:
                    sheet = await self._read_week(viewer, monday)
                except Exception as exc:
                    log.exception("reading the week of %s failed", monday)
                    self.model.error = f"Could not load this week: {exc}"
                    self.model.loading = False
                    return
                if sheet is not None and monday == state.monday:
                    self._show(sheet, as_of=as_of)
                if not state.again and monday == state.monday:
                    return
        finally:
            state.busy = False

    async def _read_week(self, viewer: Viewer, monday: date) -> WeekSheet | None:
        return await read(self.system, lambda s: load_week(s, viewer, monday=monday, tz=self.tz))

    def _show(self, sheet: WeekSheet, *, as_of: int) -> None:
        """A new read: the base of the week's layers (another week starts them afresh)."""
        same_week = self.base is not None and self.base.monday == sheet.monday
        if same_week and as_of < self.week.layers.as_of:
            return  # older than what is shown
        self.base = sheet
        if same_week:
            self.week.set_base({"entries": sheet.entries}, as_of=as_of)
        else:
            self.week.reset({"entries": sheet.entries}, as_of=as_of)

    def _render(self, data: dict[str, Any]) -> None:
        """Show the week: the last read with the pending edits on top."""
        base = self.base
        if base is None:
            return
        entries = sorted(data.get("entries") or [], key=lambda e: e["started_at"])  # new ones too
        self._paint(WeekSheet(base.monday, entries, base.time_off, base.person))

    def _reread(self) -> None:
        background_tasks.create(self.reload(), name="timesheet reread", context=self.client)

    def _paint(self, sheet: WeekSheet) -> None:
        now = self.system.clock.now()
        self.state.sheet = sheet
        self.grid.columns = _grid_columns(sheet.monday, self._today())
        self.grid.rows = grid_rows(sheet, tz=self.tz, now=now)
        self.grid.update()
        self._show_entries()
        self.time_off.rows = time_off_rows(sheet)
        self.time_off.update()
        summary = summarise(sheet, tz=self.tz, now=now)
        model = self.model
        model.total = fmt_hours(summary.tracked_hours)
        model.total_hint = f"{fmt_hours(summary.billable_hours)} billable"
        model.capacity = fmt_hours(summary.capacity_hours)
        whole = fmt_hours(summary.week_capacity_hours)
        model.capacity_hint = (
            f"to date · {whole} for the whole week"
            if summary.capacity_hours != summary.week_capacity_hours
            else "working days, less time off"
        )
        model.utilization = fmt_pct(summary.utilization)
        model.progress = min(1.0, summary.utilization or 0.0)
        model.no_time_off = not sheet.time_off
        model.error = ""
        model.loading = False

    def _show_entries(self) -> None:
        sheet, state = self.state.sheet, self.state
        if sheet is None:
            return
        rows = entry_rows(sheet, tz=self.tz, now=self.system.clock.now(), day=state.day)
        if state.project_id is not None:
            rows = [row for row in rows if row["project_id"] == state.project_id]
        pending = {e["id"] for e in sheet.entries if e.get(PENDING)}
        for row in rows:
            row["pending"] = row["id"] in pending
        self.entries.rows = rows
        self.entries.update()
        self.model.filtered = state.day is not None
        if state.day is not None:
            what = self.projects.get(state.project_id or 0) or next(
                (row["project"] for row in rows), ""
            )
            label = f"Showing {state.day:%A %d %B}"
            self.model.filter_label = f"{label} · {what}" if state.project_id else label
        self.model.no_entries = not rows

    def _on_today(self, _data: dict[str, Any], _changed: dict[str, Any]) -> None:
        """The person's own day changed (a timer, an entry, time off): re-read this week."""
        if not self.seen_today:
            self.seen_today = True  # the first snapshot: the initial read covers it
            return
        if self.state.monday == self.current:
            background_tasks.create(self.reload(), name="timesheet reload", context=self.client)

    # --- navigation -----------------------------------------------------------------------

    def _week_buttons(self) -> None:
        at_current = self.state.monday >= self.current
        self.next_button.set_enabled(not at_current)
        self.this_week.set_visibility(not at_current)

    def _go(self, monday: date) -> None:
        monday = min(week_start(monday), self.current)
        if monday not in (date.fromisoformat(k) for k in self.week_select.options):
            self.week_select.set_options(
                week_options(self.current, weeks=WEEKS_BACK, selected=monday)
            )
        self.week_select.value = monday.isoformat()  # → _on_week

    def _step(self, weeks: int) -> None:
        self._go(self.state.monday + timedelta(weeks=weeks))

    async def _on_week(self, event: events.ValueChangeEventArguments) -> None:
        if not event.value:
            return
        monday = date.fromisoformat(event.value)
        if monday == self.state.monday:
            return
        self.state.monday, self.state.day, self.state.project_id = monday, None, None
        self._week_buttons()
        self.model.loading = True
        await self.reload()

    def _clear_filter(self) -> None:
        self.state.day, self.state.project_id = None, None
        self._show_entries()

    async def _on_cell(self, event: events.GenericEventArguments) -> None:
        args = event.args
        if not isinstance(args, dict) or args.get("day") not in DAY_FIELDS:
            return
        day = self.state.monday + timedelta(days=DAY_FIELDS.index(args["day"]))
        kind = args.get("kind")
        has_hours = bool(args.get("value")) and args.get("value") != fmt_hours(0)
        if kind == "time_off":
            await self._add_time_off(day)
        elif has_hours:
            self.state.day = day
            self.state.project_id = args.get("project_id") if kind == "project" else None
            self._show_entries()
        else:
            await self._add_entry(day=day, project_id=args.get("project_id"))

    # --- writes ---------------------------------------------------------------------------

    def _entry_fields(self, *, running: bool) -> list[FormField]:
        fields = [
            FormField("project", "Project", "select", options=self.projects, wide=True),
            FormField("date", "Date", "date", wide=True),
            FormField("start", "Start", "time"),
        ]
        if not running:
            fields.append(FormField("end", "End", "time"))
        fields += [
            FormField("note", "Note", wide=True),
            FormField("billable", "Billable", "switch"),
        ]
        return fields

    def _instants(
        self, form: FormDialog, values: dict[str, Any], *, running: bool
    ) -> tuple[datetime, datetime | None] | None:
        try:
            started = _local_instant(values["date"] or "", values["start"] or "", self.tz)
        except ValueError as exc:
            form.fail("date" if "date" in str(exc) else "start", str(exc))
            return None
        if running:
            return started, None
        try:
            ended = _local_instant(values["date"], values["end"] or "", self.tz)
        except ValueError as exc:
            form.fail("end", str(exc))
            return None
        return started, ended

    async def _entry_form(
        self,
        title: str,
        values: dict[str, Any],
        *,
        running: bool,
        failed: Outcome[Any] | None,
        submit_label: str = "Save",
        extra_option: tuple[int, str] | None = None,
    ) -> dict[str, Any] | None:
        """The entry dialog. It closes as soon as the values parse (the save is optimistic)
        and returns them with their instants; None when cancelled. `failed` shows the server's
        answer to the last try next to its fields."""
        fields = self._entry_fields(running=running)
        if extra_option is not None:  # an archived project stays shown
            options = dict(self.projects)
            options.setdefault(*extra_option)
            fields[0] = FormField("project", "Project", "select", options=options, wide=True)
        form = FormDialog(
            title, fields, values=values, submit_label=submit_label, aliases=ENTRY_ALIASES
        )
        if failed is not None:
            form.show_errors(failed)
        if submit_label == "Add":
            project_select, billable = form.inputs["project"], form.inputs["billable"]
            assert isinstance(project_select, ui.select) and isinstance(billable, ui.switch)
            project_select.on_value_change(
                lambda e: billable.set_value(self.billable_default.get(e.value or 0, True))
            )

        async def submit(entered: dict[str, Any]) -> Outcome[Any] | None:
            instants = self._instants(form, entered, running=running)
            if instants is None:
                return None
            if entered["project"] is None:
                form.fail("project", "pick a project")
                return None
            return Outcome(value={"values": entered, "instants": instants})

        outcome = await form.run(submit)
        return outcome.value if outcome is not None else None

    def _wire(
        self, values: dict[str, Any], started: datetime, ended: datetime | None
    ) -> dict[str, Any]:
        """How the entry will look once saved, for the overlay (the read's wire format)."""
        project_id = int(values["project"])
        client_name, name = self.project_names.get(project_id, (None, ""))
        return {
            "project_id": project_id,
            "project_name": name,
            "client_name": client_name,
            "started_at": iso_utc(started),
            "ended_at": iso_utc(ended),
            "duration_s": None,
            "note": values["note"] or "",
            "billable": bool(values["billable"]),
        }

    def _in_week(self, started: datetime) -> bool:
        return 0 <= (local_date(started, self.tz) - self.state.monday).days < 7

    async def _add_entry(self, *, day: date | None = None, project_id: int | None = None) -> None:
        if await self._viewer() is None:
            return
        picked = project_id if project_id in self.projects else next(iter(self.projects), None)
        day = day or min(self._today(), self.state.monday + timedelta(days=6))
        start, end = _default_span(day, self.system.clock.now().astimezone(self.tz))
        values: dict[str, Any] = {
            "project": picked,
            "date": day,
            "start": start,
            "end": end,
            "billable": self.billable_default.get(picked or 0, True),
        }
        rid = new_request_id()  # one intent: this entry, however often Add is pressed
        failed: Outcome[Any] | None = None
        while True:
            entered = await self._entry_form(
                "Add time", values, running=False, failed=failed, submit_label="Add"
            )
            viewer = await self._viewer() if entered is not None else None
            if entered is None or viewer is None:
                return
            values = entered["values"]
            started, ended = entered["instants"]
            wire = self._wire(values, started, ended)
            ops = week_entry_ops(f"new-{rid}", wire, insert=True) if self._in_week(started) else []
            outcome = await edit(
                self.system,
                viewer,
                self.week,
                ops,
                partial_create(viewer, wire, started, ended),
                action="entry.create",
                args=wire,
                request_id=rid,
            )
            if outcome.ok or not outcome.fields:
                self._report(outcome, "Entry added.", what="The new entry")
                return
            failed = outcome  # refused a field: the form again, with why

    async def _edit_entry(self, event: events.GenericEventArguments) -> None:
        row = event.args
        if await self._viewer() is None:
            return
        running = bool(row["running"])
        values: dict[str, Any] = {
            "project": row["project_id"],
            "date": row["date"],
            "start": row["start"],
            "end": row["end"],
            "note": row["note"],
            "billable": row["billable"],
        }
        rid = new_request_id()  # one intent: this edit, however often Save is pressed
        failed: Outcome[Any] | None = None
        while True:
            entered = await self._entry_form(
                "Edit running timer" if running else "Edit entry",
                values,
                running=running,
                failed=failed,
                extra_option=(row["project_id"], row["project"]),
            )
            viewer = await self._viewer() if entered is not None else None
            if entered is None or viewer is None:
                return
            values = entered["values"]
            started, ended = entered["instants"]
            wire = self._wire(values, started, ended)
            outcome = await edit(
                self.system,
                viewer,
                self.week,
                week_entry_ops(row["id"], wire),
                partial_update(viewer, row, wire, started, ended),
                action="entry.update",
                args={**wire, "entry_id": row["id"], "version": row["version"]},
                request_id=rid,
            )
            if outcome.ok or not outcome.fields:
                self._report(outcome, "Entry saved.", what="The entry")
                return
            failed = outcome

    async def _remove_entry(self, event: events.GenericEventArguments) -> None:
        row = event.args
        what = f"{row['day']} {row['start']}–{row['end'] or 'now'} · {row['project']}"
        done = "Timer discarded" if row["running"] else "Entry deleted"
        await self.deletes.delete(
            self.week,
            row,
            ops=lambda: week_entry_ops(int(row["id"]), None),
            label=f"{done} · {what}",
        )

    async def _add_time_off(self, day: date | None = None) -> None:
        if await self._viewer() is None:
            return
        sheet = self.state.sheet
        per_day = sheet.person.weekly_capacity_hours / 5 if sheet and sheet.person else 7.5
        form = FormDialog(
            "Add time off",
            [
                FormField("day", "Date", "date"),
                FormField(
                    "hours", "Hours", "number", step=0.5, hint="a full day is " + fmt_hours(per_day)
                ),
            ],
            values={"day": day or self._today(), "hours": per_day},
            submit_label="Add",
        )

        async def submit(values: dict[str, Any]) -> Outcome[Any] | None:
            viewer = await self._viewer()
            if viewer is None:
                return None
            try:
                on = date.fromisoformat(values["day"] or "")
            except ValueError:
                form.fail("day", "pick a date")
                return None
            if values["hours"] is None:
                form.fail("hours", "enter the hours away")
                return None
            hours = float(values["hours"])
            return await write(
                self.system,
                viewer,
                lambda uow: time_off_service.add_time_off(uow, viewer, day=on, hours=hours),
            )

        if await form.run(submit):
            ui.notify("Time off added.", type="positive", timeout=1500)
            await self.reload()

    async def _remove_time_off(self, event: events.GenericEventArguments) -> None:
        row = event.args
        if not await confirm(
            "Remove this time off?", ok_label="Remove", detail=f"{row['day']} · {row['hours']} h"
        ):
            return
        viewer = await self._viewer()
        if viewer is None:
            return
        outcome = await write(
            self.system,
            viewer,
            lambda uow: time_off_service.delete_time_off(uow, viewer, time_off_id=int(row["id"])),
        )
        self._report(outcome, "Time off removed.")
        await self.reload()

    def _report(self, outcome: Outcome[Any], done: str, *, what: str = "") -> None:
        if outcome.ok:
            if not self.client.is_deleted:
                with self.client:
                    ui.notify(done, type="positive", timeout=1500)
        elif what:
            report_failure(self.client, outcome, what=what)
        else:
            ui.notify(outcome.error, type="negative")


def partial_create(
    viewer: Viewer, wire: dict[str, Any], started: datetime, ended: datetime | None
) -> Callable[[UnitOfWork], Any]:
    """The write of a new entry from the dialog's values."""
    assert ended is not None

    def work(uow: UnitOfWork) -> Any:
        return entry_service.create_entry(
            uow,
            viewer,
            project_id=wire["project_id"],
            started_at=started,
            ended_at=ended,
            note=wire["note"],
            billable=wire["billable"],
        )

    return work


def partial_update(
    viewer: Viewer,
    row: dict[str, Any],
    wire: dict[str, Any],
    started: datetime,
    ended: datetime | None,
) -> Callable[[UnitOfWork], Any]:
    """The write of an edited entry, at the version the person saw."""

    def work(uow: UnitOfWork) -> Any:
        return entry_service.update_entry(
            uow,
            viewer,
            entry_id=int(row["id"]),
            version=int(row["version"]),
            project_id=wire["project_id"],
            started_at=started,
            ended_at=ended,
            note=wire["note"],
            billable=wire["billable"],
        )

    return work
