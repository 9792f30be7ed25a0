"""/team: a team's week at a glance — KPIs, people against capacity, who is working now and the
workload — live for managers (their teams), slt and admin (any team) (SPEC §7).

Three dashboards feed it (metrics and team_data for the chosen week, active_timers now); the
team and week pickers switch their keys. Money (revenue, effective rate) is shown to slt and
admin only; for everyone else it is neither rendered nor sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi.responses import RedirectResponse
from nicegui import binding, context, events, ui

from workshub.app import System
from workshub.csv_export import team_members_csv
from workshub.domain.models import Role
from workshub.domain.scope import Viewer
from workshub.domain.services.reference import list_teams
from workshub.domain.timeutil import local_date, week_start
from workshub.ui.actions import read
from workshub.ui.broadcast import Patch, Region, Renderer, broadcaster, region
from workshub.ui.components import (
    Kpi,
    fmt_hours,
    kpi_billable_share,
    kpi_effective_rate,
    kpi_revenue,
    kpi_tracked_hours,
    kpi_utilization,
    tid,
    week_options,
)
from workshub.ui.csv_downloads import download_slot, entries_download, table_download
from workshub.ui.frame import frame
from workshub.ui.live import LiveDashboard, LivePage
from workshub.ui.session import HOME_BY_ROLE, current_viewer
from workshub.ui.team_widgets import (
    WEEKS_BACK,
    member_rows,
    members_table,
    share_options,
    timer_rows,
    timers_table,
    workload,
    workload_chart,
)

__all__ = ["TEAM_ROLES", "TeamBoard", "register"]

TEAM_ROLES = frozenset({Role.manager, Role.slt, Role.admin})


@dataclass(frozen=True)
class KpiGroup:
    """KPI tiles one key fills (its money tiles are another group), as one element: its HTML
    is the tiles, which the page's grid places as if they were its own children
    (`.wh-kpi-group` is `display: contents`). One element instead of one a tile: each costs
    every open page ~4 KB on the server."""

    element: ui.html
    tiles: tuple[Kpi, ...]

    @property
    def kind(self) -> str:
        return self.tiles[0].data_type

    @property
    def name(self) -> str:
        """The broadcast region; money tiles are a group and a region of their own."""
        return f"team.kpis.{self.kind}" + (".money" if self.tiles[0].money else "")

    def render(self, system: System, data: Mapping[str, Any]) -> Patch:
        return {"props": {"innerHTML": _tiles_html(self.tiles, system, data)}}


def _tiles_html(tiles: tuple[Kpi, ...], system: System, data: Mapping[str, Any] | None) -> str:
    return "".join(f'<div class="wh-card wh-tile">{kpi.shown(system, data)}</div>' for kpi in tiles)


@dataclass
class Widgets:
    members: ui.table
    timers: ui.table
    chart: ui.echart
    kpis: list[KpiGroup]  # the tiles, one element per key (and money tiles apart)
    banner: ui.label  # the current team_data key's error, shown only while there is one


def this_week(system: System) -> date:
    return week_start(local_date(system.clock.now(), system.tz))


# --- what each region shows: pure functions of the key's data (workshub.ui.broadcast) ----------


def _members(system: System, data: Mapping[str, Any]) -> Patch:
    today = local_date(system.clock.now(), system.tz)
    rows = member_rows(data.get("members") or [], tz=system.tz, today=today)
    return {"props": {"rows": rows, "loading": False}}


def _workload(_system: System, data: Mapping[str, Any]) -> Patch:
    return workload(list(data.get("members") or []))


def _timers(system: System, data: Mapping[str, Any]) -> Patch:
    rows = timer_rows(data.get("timers") or [], now=system.clock.now(), tz=system.tz)
    return {"props": {"rows": rows, "loading": False}}


def _capacity(system: System, data: Mapping[str, Any]) -> str:
    capacity = fmt_hours(data.get("capacity_hours"))
    return f"of {capacity} h capacity · {week_label(data.get('week'), system)}"


KPIS: tuple[Kpi, ...] = (
    Kpi("Hours tracked", "kpi-tracked-hours", "metrics", kpi_tracked_hours, hint=_capacity),
    Kpi("Utilization (tracked ÷ capacity)", "kpi-utilization", "metrics", kpi_utilization),
    Kpi(
        "Billable share",
        "kpi-billable-pct",
        "metrics",
        kpi_billable_share,
        hint="billable ÷ tracked",
    ),
    Kpi(
        "Working now",
        "kpi-active-timers",
        "active_timers",
        lambda _s, data: str(len(data.get("timers") or [])),
        hint="timers running",
    ),
    Kpi("Revenue", "kpi-revenue", "metrics", kpi_revenue, money=True),
    Kpi(
        "Effective rate",
        "kpi-effective-rate",
        "metrics",
        kpi_effective_rate,
        hint="revenue ÷ hours",
        money=True,
    ),
)


class TeamBoard:
    """One team and one week, live: each widget is a broadcast region of its key. A switch
    moves the affected regions to the new keys."""

    def __init__(self, page: LivePage, widgets: Widgets, *, team_id: int, week: date) -> None:
        self.page, self.widgets = page, widgets
        self.system = page.system
        self.team_id, self.week = team_id, week
        self.views: dict[str, LiveDashboard] = {
            "metrics": page.dashboard("metrics", "team", team_id, week),
            "team_data": page.dashboard("team_data", "team", team_id, week),
            "active_timers": page.dashboard("active_timers", "team", team_id),
        }
        self.regions: dict[str, list[Region]] = {kind: [] for kind in self.views}
        self._show_status()

    def attach(self) -> None:
        """Once the socket is connected: each widget becomes a broadcast region of its key
        (the HTML went out empty and small; the views loaded meanwhile)."""
        widgets = self.widgets

        def add(kind: str, name: str, element: ui.element, render: Renderer) -> None:
            self.regions[kind].append(region(self.system, name, element, self.views[kind], render))

        add("team_data", "team.members", widgets.members, _members)
        add("team_data", "team.workload", widgets.chart, _workload)
        add("active_timers", "team.timers", widgets.timers, _timers)
        for group in widgets.kpis:
            add(group.kind, group.name, group.element, group.render)

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
            view = self.views[kind] = self.page.replace(old, **change)
            for moved in self.regions[kind]:
                broadcaster(self.system).move(moved, view)
        self.widgets.members.props("loading")
        if "active_timers" in kinds:
            self.widgets.timers.props("loading")
        self._show_status()

    def _show_status(self) -> None:
        """The banner follows the current team_data key (the page's main data)."""
        banner = self.widgets.banner
        binding.remove([banner])  # the previous key's view
        view = self.views["team_data"]
        banner.bind_text_from(view, "error").bind_visibility_from(view, "error", backward=bool)


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
        board = build_team_page(system, viewer, teams)
        client = context.client
        await client.connected()
        if board is not None and not client.is_deleted:
            board.attach()
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


def build_team_page(
    system: System, viewer: Viewer, teams: list[dict[str, Any]]
) -> TeamBoard | None:
    """The page with its widgets empty and its views loading; None without a team."""
    page = LivePage(system, viewer)
    team_id = default_team(viewer, teams)
    current = this_week(system)
    picks_team = viewer.org_wide or len(teams) > 1
    title = "Team" if picks_team or team_id is None else f"Team · {teams[0]['name']}"
    with frame(page, title=title, active="/team"):
        if team_id is None:
            no_team_state(viewer)
            return None
        team_select, week_select = pickers(
            teams, team_id=team_id, week=current, picks_team=picks_team, searchable=viewer.org_wide
        )
        banner = ui.label().classes("wh-banner-error")
        values = kpis(system, sees_money=viewer.sees_money)
        widgets = content(banner, values)
        # One CSS grid lays out the whole page: no containers for the tiles or the lists
        # (each element costs every open page ~4 KB on the server).
        tiles = sum(len(group.tiles) for group in values)
        context.client.content.classes(f"wh-board wh-kpis-{tiles}")
    board = TeamBoard(page, widgets, team_id=team_id, week=current)
    export_buttons(system, board)  # beside the People title
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
    return board


def export_buttons(system: System, board: TeamBoard) -> None:
    """The selected team and week as CSV, drawn by the people table beside its title: its time
    entries (the API's export, scoped again at the click) and the people table as shown."""

    def members() -> tuple[bytes, str] | None:
        view = board.views["team_data"]
        if view.loading:
            return None
        content = team_members_csv(view.data.get("members") or [], tz=system.tz)
        return content, f"team-{board.team_id}-people-{board.week.isoformat()}.csv"

    entries = entries_download(
        system,
        label="Time entries (CSV)",
        marker="export-team-entries-csv",
        scope=lambda: (board.week, board.team_id),
        roles=TEAM_ROLES,
    )
    people = table_download(
        system,
        label="People (CSV)",
        marker="export-team-members-csv",
        export=members,
        roles=TEAM_ROLES,
    )
    download_slot(board.widgets.members, [entries, people])


def no_team_state(viewer: Viewer) -> None:
    with ui.element("div").classes("wh-card w-full"):
        if viewer.org_wide:
            ui.label("No teams yet. An admin can create one on the Admin page.").classes("wh-empty")
        else:
            ui.label("You don't lead a team yet. An admin can make you a team's lead.").classes(
                "wh-empty"
            )


def pickers(
    teams: list[dict[str, Any]], *, team_id: int, week: date, picks_team: bool, searchable: bool
) -> tuple[ui.select | None, ui.select]:
    """The team picker (when there is a choice; the title names a manager's only team) beside
    the week picker; alone, the week picker needs no row around it."""
    if not picks_team:
        return None, week_picker(week)
    with ui.row().classes("w-full items-center gap-3 wrap"):
        options = {team["id"]: team["name"] for team in teams}
        team_select = tid(
            ui.select(options, value=team_id, label="Team", with_input=searchable)
            .props("outlined dense options-dense")
            .classes("min-w-[200px]"),
            "team-select",
        )
        return team_select, week_picker(week)


def week_picker(week: date) -> ui.select:
    return share_options(  # last: setting props rebuilds the options per client
        tid(
            ui.select(week_options(week, weeks=WEEKS_BACK), value=week.isoformat(), label="Week")
            .props("outlined dense options-dense")
            .classes("min-w-[240px]"),
            "week-select",
        )
    )


def kpis(system: System, *, sees_money: bool) -> list[KpiGroup]:
    """The KPI tiles in KPIS's order, one element for the tiles of one key — the money tiles
    apart, and only for who sees money — placed by the page's grid (`.wh-board`). Each element
    is marked with its tiles' test ids."""
    groups: list[KpiGroup] = []
    for kind, money in dict.fromkeys((kpi.data_type, kpi.money) for kpi in KPIS):
        if money and not sees_money:
            continue  # neither rendered nor sent
        tiles = tuple(k for k in KPIS if (k.data_type, k.money) == (kind, money))
        element = ui.html(_tiles_html(tiles, system, None), sanitize=False)
        element.classes("wh-kpi-group").mark(*(kpi.test_id for kpi in tiles))
        groups.append(KpiGroup(element, tiles))
    return groups


def content(banner: ui.label, kpis: list[KpiGroup]) -> Widgets:
    """The lists: empty states are the tables' own no-data rows (no extra elements). Who is
    working and the workload chart share a row on wide screens (`.wh-half`)."""
    members = members_table(title="People")  # the card and its title are the table's own
    timers = timers_table(title="Working now").classes("wh-half")
    chart = workload_chart().classes("wh-half")
    return Widgets(members=members, timers=timers, chart=chart, kpis=kpis, banner=banner)
