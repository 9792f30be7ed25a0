"""/team: a team's week at a glance — KPIs, people against capacity, who is working now and the
workload — live for managers (their teams), slt and admin (any team) (SPEC §7).

Three dashboards feed it (metrics and team_data for the chosen week, active_timers now); the
team and week pickers switch their keys. Money (revenue, effective rate) is shown to slt and
admin only; for everyone else it is neither rendered nor sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi.responses import RedirectResponse
from nicegui import binding, events, ui

from workshub.app import System
from workshub.csv_export import team_members_csv
from workshub.domain.models import Role
from workshub.domain.scope import Viewer
from workshub.domain.services.reference import list_teams
from workshub.domain.timeutil import local_date, week_start
from workshub.ui.actions import read
from workshub.ui.components import fmt_hours, fmt_money, fmt_pct, kpi_tile, section, tid
from workshub.ui.csv_downloads import corner, entries_button, table_button
from workshub.ui.frame import frame
from workshub.ui.live import LiveDashboard, LivePage
from workshub.ui.session import HOME_BY_ROLE, current_viewer
from workshub.ui.team_widgets import (
    currency_prefix,
    member_rows,
    members_table,
    money_per_hour,
    show_workload,
    timer_rows,
    timers_table,
    week_options,
    workload_chart,
)

__all__ = ["TEAM_ROLES", "TeamModel", "register"]

TEAM_ROLES = frozenset({Role.manager, Role.slt, Role.admin})


@binding.bindable_dataclass
class TeamModel:
    """What /team shows outside its tables, one attribute per bound element."""

    kpi_tracked: str = "—"
    kpi_capacity: str = ""
    kpi_utilization: str = "—"
    kpi_billable: str = "—"
    kpi_active: str = "—"
    kpi_revenue: str = "—"
    kpi_rate: str = "—"


@dataclass
class Widgets:
    members: ui.table
    timers: ui.table
    chart: ui.echart
    status: ui.element  # holds the error banner of the current keys; rebuilt on a switch


def this_week(system: System) -> date:
    return week_start(local_date(system.clock.now(), system.tz))


class TeamBoard:
    """One team and one week, live. A switch replaces the affected keys; a push from a key
    that was switched away from (a late first snapshot) is ignored."""

    def __init__(
        self, page: LivePage, model: TeamModel, widgets: Widgets, *, team_id: int, week: date
    ) -> None:
        self.page, self.model, self.widgets = page, model, widgets
        self.system = page.system
        self.team_id, self.week = team_id, week
        self.views: dict[str, LiveDashboard] = {
            "metrics": page.dashboard("metrics", "team", team_id, week, on_change=self._metrics),
            "team_data": page.dashboard(
                "team_data", "team", team_id, week, on_change=self._members
            ),
            "active_timers": page.dashboard(
                "active_timers", "team", team_id, on_change=self._timers
            ),
        }
        self._show_status()

    def show(self, *, team_id: int, week: date) -> None:
        """Switch to another team or week (active_timers has no week: kept on a week switch)."""
        kinds = ["metrics", "team_data"]
        if team_id != self.team_id:
            kinds.append("active_timers")
        elif week == self.week:
            return
        self.team_id, self.week = team_id, week
        for kind in kinds:
            old = self.views[kind]
            change: dict[str, Any] = {"scope_id": team_id}
            if old.key.week is not None:
                change["week"] = week
            self.views[kind] = self.page.replace(old, **change)
        self.widgets.members.props("loading")
        if "active_timers" in kinds:
            self.widgets.timers.props("loading")
        self._show_status()

    def _current(self, kind: str, data: dict[str, Any]) -> bool:
        return data is self.views[kind].data

    def _show_status(self) -> None:
        """The banner follows the current team_data key (the page's main data)."""
        status = self.widgets.status
        status.clear()
        with status:
            view = self.views["team_data"]
            ui.label().classes("wh-banner-error").bind_text_from(
                view, "error"
            ).bind_visibility_from(view, "error", backward=bool)

    def _metrics(self, data: dict[str, Any], _changed: dict[str, Any]) -> None:
        if not self._current("metrics", data):
            return
        model = self.model
        model.kpi_tracked = fmt_hours(data.get("tracked_hours"))
        capacity = fmt_hours(data.get("capacity_hours"))
        model.kpi_capacity = (
            f"of {capacity} h capacity · {week_label(data.get('week'), self.system)}"
        )
        model.kpi_utilization = fmt_pct(data.get("utilization"))
        model.kpi_billable = fmt_pct(data.get("billable_pct"))
        if self.page.viewer.sees_money:
            currency = self.system.org.currency
            revenue = data.get("revenue")
            model.kpi_revenue = (
                "—" if revenue is None else fmt_money(revenue, currency_prefix(currency))
            )
            model.kpi_rate = money_per_hour(data.get("effective_rate"), currency)

    def _members(self, data: dict[str, Any], changed: dict[str, Any]) -> None:
        if not self._current("team_data", data):
            return
        self.widgets.members.props(remove="loading")
        if "members" not in changed:
            return
        members = data.get("members") or []
        today = local_date(self.system.clock.now(), self.system.tz)
        self.widgets.members.rows = member_rows(members, tz=self.system.tz, today=today)
        self.widgets.members.update()
        show_workload(self.widgets.chart, members)

    def _timers(self, data: dict[str, Any], changed: dict[str, Any]) -> None:
        if not self._current("active_timers", data):
            return
        self.widgets.timers.props(remove="loading")
        if "timers" not in changed:
            return
        timers = data.get("timers") or []
        now = self.system.clock.now()
        self.widgets.timers.rows = timer_rows(timers, now=now, tz=self.system.tz)
        self.widgets.timers.update()
        self.model.kpi_active = str(len(timers))


def week_label(week: str | None, system: System) -> str:
    """The current week counts up to today (SPEC §4); a past week counts whole."""
    return "week to date" if week == this_week(system).isoformat() else "whole week"


def register(system: System) -> None:
    @ui.page("/team", title="Team · WorksHub", reconnect_timeout=60)
    async def team_page() -> RedirectResponse | None:
        viewer = await current_viewer(system)
        if viewer is None:
            return RedirectResponse("/login")
        if viewer.role not in TEAM_ROLES:
            return RedirectResponse(HOME_BY_ROLE[viewer.role])
        teams = await read(system, lambda session: list_teams(session, viewer)) or []
        build_team_page(system, viewer, teams)
        return None


def default_team(viewer: Viewer, teams: list[dict[str, Any]]) -> int | None:
    """SPEC §5: a manager's lowest led team; slt and admin start on the lowest team id."""
    ids = sorted(team["id"] for team in teams)
    chosen = viewer.default_team_id()
    if chosen in ids:
        return chosen
    return ids[0] if ids else None


async def allowed_viewer(system: System) -> Viewer | None:
    """Event handlers re-check who is asking (the websocket bypasses HTTP middleware)."""
    me = await current_viewer(system)
    if me is None:
        ui.navigate.to("/login")
        return None
    if me.role not in TEAM_ROLES:
        ui.navigate.to(HOME_BY_ROLE[me.role])
        return None
    return me


def may_see_team(me: Viewer, team_id: int, team_ids: set[int]) -> bool:
    return team_id in team_ids and (me.org_wide or me.leads(team_id))


def build_team_page(system: System, viewer: Viewer, teams: list[dict[str, Any]]) -> None:
    page = LivePage(system, viewer)
    model = TeamModel()
    team_id = default_team(viewer, teams)
    current = this_week(system)
    with frame(page, title="Team", active="/team"):
        if team_id is None:
            no_team_state(viewer)
            return
        team_select, week_select, status = pickers(viewer, teams, team_id=team_id, week=current)
        kpis(model, sees_money=viewer.sees_money)
        widgets = content(status)
    board = TeamBoard(page, model, widgets, team_id=team_id, week=current)
    with corner(beside=widgets.members):  # in the People card
        export_buttons(system, board)
    team_ids = {team["id"] for team in teams}

    async def switch(_: events.ValueChangeEventArguments) -> None:
        me = await allowed_viewer(system)
        if me is None:
            return
        chosen_team = int(team_select.value) if team_select is not None else board.team_id
        try:
            chosen_week = date.fromisoformat(str(week_select.value))
        except ValueError:
            return
        if (
            not may_see_team(me, chosen_team, team_ids)
            or chosen_week > this_week(system)
            or week_start(chosen_week) != chosen_week
        ):
            ui.notify("That team or week is not available.", type="warning")
            return
        board.show(team_id=chosen_team, week=chosen_week)

    week_select.on_value_change(switch)
    if team_select is not None:
        team_select.on_value_change(switch)


def export_buttons(system: System, board: TeamBoard) -> None:
    """The selected team and week as CSV: its time entries (the API's export, scoped again at
    the click) and the people table as the page shows it."""
    entries_button(
        system,
        label="Time entries (CSV)",
        marker="export-team-entries-csv",
        scope=lambda: (board.week, board.team_id),
        roles=TEAM_ROLES,
    )

    def members() -> tuple[bytes, str] | None:
        view = board.views["team_data"]
        if view.loading:
            return None
        content = team_members_csv(view.data.get("members") or [], tz=system.tz)
        return content, f"team-{board.team_id}-people-{board.week.isoformat()}.csv"

    table_button(
        system,
        label="People (CSV)",
        marker="export-team-members-csv",
        export=members,
        roles=TEAM_ROLES,
    )


def no_team_state(viewer: Viewer) -> None:
    with ui.element("div").classes("wh-card w-full"):
        if viewer.org_wide:
            ui.label("No teams yet. An admin can create one on the Admin page.").classes("wh-empty")
        else:
            ui.label("You don't lead a team yet. An admin can make you a team's lead.").classes(
                "wh-empty"
            )


def pickers(
    viewer: Viewer, teams: list[dict[str, Any]], *, team_id: int, week: date
) -> tuple[ui.select | None, ui.select, ui.element]:
    """The team picker (when there is a choice), the week picker, and the status slot."""
    with ui.row().classes("w-full items-center gap-3 wrap"):
        team_select = None
        if viewer.org_wide or len(teams) > 1:
            options = {team["id"]: team["name"] for team in teams}
            team_select = tid(
                ui.select(options, value=team_id, label="Team", with_input=viewer.org_wide)
                .props("outlined dense options-dense")
                .classes("min-w-[200px]"),
                "team-select",
            )
        else:
            ui.label(teams[0]["name"]).classes("text-lg text-weight-bold")
        week_select = tid(
            ui.select(week_options(week), value=week.isoformat(), label="Week")
            .props("outlined dense options-dense")
            .classes("min-w-[240px]"),
            "week-select",
        )
        status = ui.element("div")
    return team_select, week_select, status


def kpis(model: TeamModel, *, sees_money: bool) -> None:
    with ui.element("div").classes("wh-kpis"):
        with ui.element("div").classes("wh-card"):
            ui.label("Hours tracked").classes("wh-kpi-label")
            tid(ui.label().classes("wh-kpi-value"), "kpi-tracked-hours").bind_text_from(
                model, "kpi_tracked"
            )
            ui.label().classes("wh-kpi-hint").bind_text_from(model, "kpi_capacity")
        kpi_tile(
            "Utilization (tracked ÷ capacity)",
            "kpi-utilization",
            model,
            "kpi_utilization",
        )
        kpi_tile("Billable share", "kpi-billable-pct", model, "kpi_billable", "billable ÷ tracked")
        kpi_tile("Working now", "kpi-active-timers", model, "kpi_active", "timers running")
        if sees_money:
            kpi_tile("Revenue", "kpi-revenue", model, "kpi_revenue")
            kpi_tile("Effective rate", "kpi-effective-rate", model, "kpi_rate", "revenue ÷ hours")


def content(status: ui.element) -> Widgets:
    """The lists: empty states are the tables' own no-data rows (no extra elements)."""
    with section("People").classes("w-full"):
        members = members_table()
    with ui.element("div").classes("w-full grid grid-cols-1 lg:grid-cols-2 gap-4 items-start"):
        with section("Working now"):
            timers = timers_table()
        with section("Workload · hours vs capacity"):
            chart = workload_chart()
    return Widgets(members=members, timers=timers, chart=chart, status=status)
