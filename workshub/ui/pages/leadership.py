"""/leadership (slt, admin): the business this week or any recent week — organisation KPIs with
money, the 12-week utilization trend, client health with week-over-week change, and the
projects burning their budget fastest (SPEC §7).

Every widget shows an org-wide key that every slt and admin watches, so each is a broadcast
region (workshub.ui.broadcast): rendered once per push for everyone. The HTML goes out with
the widgets empty (tables loading); the data follows over the socket once it is connected.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any

from fastapi.responses import RedirectResponse
from nicegui import context, events, ui

from workshub.app import System
from workshub.csv_export import budget_burn_csv, client_health_csv
from workshub.domain.models import Role
from workshub.domain.scope import Viewer
from workshub.domain.timeutil import local_date, week_start
from workshub.ui.broadcast import Patch, Region, Renderer, broadcaster, region
from workshub.ui.client_widgets import (
    CELL_SLOT,
    NO_DATA_SLOT,
    burn_rows,
    burn_table,
    change_text,
    error_banners,
)
from workshub.ui.components import (
    Kpi,
    browser_paginated,
    fmt_hours,
    kpi_billable_share,
    kpi_effective_rate,
    kpi_revenue,
    kpi_tiles,
    kpi_tracked_hours,
    kpi_utilization,
    kpi_working_now,
    rag_html,
    section,
    tid,
    week_label,
    week_options,
)
from workshub.ui.csv_downloads import corner, table_button
from workshub.ui.frame import frame
from workshub.ui.live import LiveDashboard, LivePage
from workshub.ui.session import HOME_BY_ROLE, current_viewer

__all__ = ["register"]

ROLES = frozenset({Role.slt, Role.admin})
WEEKS_OFFERED = 26
RAG_RANK = {"red": 0, "amber": 1, "green": 2}
COMPONENTS = (
    ("pace", "Pace", "worst_pace", "Worst pace {:.2f}×"),
    ("overservice", "Overservice", "worst_overservice", "Worst retainer load {:.0%}"),
    ("rate", "Rate", "rate_ratio", "Effective rate at {:.0%} of target"),
    ("volatility", "Volatility", "volatility_ratio", "Hours {:.0%} off the 4-week mean"),
    ("pulse", "Pulse", "pulse_rating", "Latest pulse: {}"),
)
TREND_SERIES = ("Capacity", "Tracked", "Utilization", "Billable %")


KPIS: tuple[Kpi, ...] = (
    Kpi("Hours tracked", "kpi-tracked-hours", "metrics", kpi_tracked_hours, hint="hours, all work"),
    Kpi(
        "Utilization (tracked ÷ capacity)",
        "kpi-utilization",
        "metrics",
        kpi_utilization,
        hint=lambda _s, data: f"of {fmt_hours(data.get('capacity_hours'))} h capacity",
    ),
    Kpi("Billable share", "kpi-billable-pct", "metrics", kpi_billable_share),
    Kpi("Working now", "kpi-active-timers", "metrics", kpi_working_now, hint="timers running now"),
    Kpi("Revenue", "kpi-revenue", "metrics", kpi_revenue, hint="recognised", money=True),
    Kpi(
        "Effective rate",
        "kpi-effective-rate",
        "metrics",
        kpi_effective_rate,
        hint="per client hour",
        money=True,
    ),
)


def _trend_options() -> dict[str, Any]:
    axis_label = {"color": "#64748b"}
    return {
        "animationDuration": 300,
        "tooltip": {"trigger": "axis"},
        "legend": {"data": list(TREND_SERIES), "bottom": 0},
        "grid": {"left": 8, "right": 8, "top": 36, "bottom": 48, "containLabel": True},
        "xAxis": {"type": "category", "data": [], "axisLabel": axis_label},
        "yAxis": [
            {"type": "value", "name": "Hours", "axisLabel": axis_label},
            {
                "type": "value",
                "name": "%",
                "min": 0,
                "max": 100,
                "axisLabel": {**axis_label, "formatter": "{value}%"},
                "splitLine": {"show": False},
            },
        ],
        "series": [
            {
                "name": "Capacity",
                "type": "bar",
                "data": [],
                "barGap": "-100%",
                "itemStyle": {"color": "#e2e8f0"},
            },
            {"name": "Tracked", "type": "bar", "data": [], "itemStyle": {"color": "#5eead4"}},
            {
                "name": "Utilization",
                "type": "line",
                "yAxisIndex": 1,
                "data": [],
                "smooth": True,
                "itemStyle": {"color": "#0f766e"},
                "lineStyle": {"width": 3},
            },
            {
                "name": "Billable %",
                "type": "line",
                "yAxisIndex": 1,
                "data": [],
                "smooth": True,
                "itemStyle": {"color": "#f59e0b"},
                "lineStyle": {"type": "dashed"},
            },
        ],
    }


def _pct_point(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


def _hours_point(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _health_row(client: dict[str, Any]) -> dict[str, Any]:
    components = client.get("components") or {}
    text, css = change_text(client.get("change"))
    row: dict[str, Any] = {
        "client_id": client["client_id"],
        "client": client["name"],
        "score": client.get("score"),
        "rag": RAG_RANK.get(client.get("rag") or "", -1),
        "rag_html": rag_html(client.get("rag")),
        "change": client.get("change"),
        "change_text": text,
        "change_class": css,
    }
    for name, _label, raw, tip in COMPONENTS:
        value = components.get(name)
        row[name] = None if value is None else round(value)
        row[f"{name}_text"] = "—" if value is None else str(round(value))
        found = components.get(raw)
        row[f"{name}_tip"] = tip.format(found) if found is not None else ""
    return row


def _health_table() -> ui.table:
    columns = [
        {"name": "client", "label": "Client", "field": "client", "align": "left", "sortable": True},
        {"name": "score", "label": "Score", "field": "score", "sortable": True},
        {"name": "rag", "label": "RAG", "field": "rag", "align": "left", "sortable": True},
        {"name": "change", "label": "vs last week", "field": "change", "sortable": True},
    ] + [
        {"name": name, "label": label, "field": name, "sortable": True}
        for name, label, _raw, _tip in COMPONENTS
    ]
    # Worst first (RAG, then score), a page at a time: the browser renders 25 rows, not every
    # client of a large organisation.
    table = (
        ui.table(columns=columns, rows=[], row_key="client_id", pagination={"rowsPerPage": 25})
        .props(
            "flat dense loading :rows-per-page-options='[25, 50, 0]' "
            'no-data-label="No active clients this week."'
        )
        .classes("w-full")
    )
    table.add_slot("body-cell", CELL_SLOT)
    table.add_slot("no-data", NO_DATA_SLOT)
    return tid(browser_paginated(table), "client-health-table")


def _trend(_system: System, data: Mapping[str, Any]) -> Patch:
    """The 12 weeks as the chart's whole options (twelve points per series: cheaper to resend
    than to diff)."""
    weeks = data.get("weeks") or []
    options = _trend_options()
    days = [date.fromisoformat(w["week"]) for w in weeks]
    options["xAxis"]["data"] = [f"{d.day} {d:%b}" for d in days]
    series = options["series"]
    series[0]["data"] = [_hours_point(w.get("capacity_hours")) for w in weeks]
    series[1]["data"] = [_hours_point(w.get("tracked_hours")) for w in weeks]
    series[2]["data"] = [_pct_point(w.get("utilization")) for w in weeks]
    series[3]["data"] = [_pct_point(w.get("billable_pct")) for w in weeks]
    return {"props": {"options": options}, "m": "update_chart"}


def _health(_system: System, data: Mapping[str, Any]) -> Patch:
    rows = sorted(
        (_health_row(c) for c in data.get("clients") or []),
        key=lambda r: (r["rag"], r["score"] if r["score"] is not None else 101),
    )
    return {"props": {"rows": rows, "loading": False}}


def _health_summary(_system: System, data: Mapping[str, Any]) -> Patch:
    clients = data.get("clients") or []
    counts = {rag: sum(1 for c in clients if c.get("rag") == rag) for rag in RAG_RANK}
    return {
        "text": f"{len(clients)} clients · {counts['green']} green · {counts['amber']} amber · "
        f"{counts['red']} red"
    }


def _burn(_system: System, data: Mapping[str, Any]) -> Patch:
    return {"props": {"rows": burn_rows(data.get("clients") or []), "loading": False}}


def _clients_csv(
    view: LiveDashboard, make: Callable[[Iterable[Mapping[str, Any]]], bytes], name: str
) -> tuple[bytes, str] | None:
    """A client table of the week on show, as CSV; None until its first snapshot."""
    if view.loading:
        return None
    content = make(view.data.get("clients") or [])
    return content, f"{name}-{view.data.get('week', '')}.csv"


def register(system: System) -> None:
    @ui.page("/leadership", title="Leadership · WorksHub", reconnect_timeout=60)
    async def leadership_page() -> RedirectResponse | None:
        viewer = await current_viewer(system)
        if viewer is None:
            return RedirectResponse("/login")
        if viewer.role not in ROLES:
            return RedirectResponse(HOME_BY_ROLE[viewer.role])
        board = LeadershipBoard(system, viewer)
        # The HTML goes out now, the widgets empty; the views load meanwhile, and their data
        # follows over the socket (SPEC §9: server HTML in a few ms).
        client = context.client
        await client.connected()
        if not client.is_deleted:
            board.show()
        return None


class LeadershipBoard:
    """The page's widgets for one viewer and the org keys of the week on show."""

    def __init__(self, system: System, viewer: Viewer) -> None:
        self.system = system
        self.page = page = LivePage(system, viewer)
        self.today = week_start(local_date(system.clock.now(), system.tz))
        self.week = self.today
        with frame(page, title="Leadership", active="/leadership"):
            with ui.row().classes("w-full items-center gap-3 wrap"):
                self.caption = ui.label(week_label(self.week, self.today)).classes("wh-subtitle")
                self.picker = tid(
                    ui.select(
                        week_options(self.today, weeks=WEEKS_OFFERED),
                        label="Week",
                        value=self.week.isoformat(),
                    )
                    .props("outlined dense options-dense")
                    .classes("min-w-[200px] q-ml-auto"),
                    "week-select",
                )
            self.banners = ui.column().classes("w-full gap-2")
            with ui.element("div").classes("wh-kpis"):
                self.kpis = kpi_tiles(system, KPIS, sees_money=viewer.sees_money, classes="wh-card")
            with section("Utilization, last 12 weeks"):
                self.chart = ui.echart(_trend_options()).classes("w-full h-72")
            with section("Client health"):
                self.summary = ui.label().classes("wh-subtitle q-mb-xs")
                self.health = _health_table()
            with section("Budget burn"):
                ui.label(
                    "Budgeted projects, fastest pace first. Pace = burn ÷ time elapsed; "
                    "above 1.00× the budget runs out before the project ends."
                ).classes("wh-subtitle q-mb-xs")
                self.burn = burn_table(with_client=True)
                self.burn.props('no-data-label="No budgeted projects."')
                self.burn.add_slot("no-data", NO_DATA_SLOT)
        # Loading starts now, while the HTML is on its way; `show` puts the data on screen.
        self.views: dict[str, LiveDashboard] = {
            kind: page.dashboard(kind, "org", 0, self.week)
            for kind in ("metrics", "utilization_trend", "client_health", "client_data")
        }
        self.regions: dict[str, list[Region]] = {kind: [] for kind in self.views}
        error_banners(self.banners, self.views.values())
        self._export_buttons()

    def show(self) -> None:
        """Once the socket is connected: each widget becomes a broadcast region of its key."""

        def add(kind: str, name: str, element: ui.element, render: Renderer) -> None:
            view = self.views[kind]
            self.regions[kind].append(
                region(self.system, f"leadership.{name}", element, view, render)
            )

        for kpi in KPIS:
            if kpi.test_id in self.kpis:
                add(kpi.data_type, kpi.test_id, self.kpis[kpi.test_id], kpi.render)
        add("utilization_trend", "trend", self.chart, _trend)
        add("client_health", "health", self.health, _health)
        add("client_health", "health-summary", self.summary, _health_summary)
        add("client_data", "burn", self.burn, _burn)
        self.picker.on_value_change(self._pick_week)

    async def _pick_week(self, event: events.ValueChangeEventArguments) -> None:
        me = await current_viewer(self.system)
        if me is None or me.role not in ROLES:
            ui.navigate.to("/login" if me is None else HOME_BY_ROLE[me.role])
            return
        today = week_start(local_date(self.system.clock.now(), self.system.tz))
        try:
            chosen = week_start(date.fromisoformat(str(event.value)))
        except ValueError:
            chosen = today
        chosen = min(chosen, today)  # never a future week
        if chosen == self.week:
            return
        self.week = chosen
        self.caption.set_text(week_label(chosen, today))
        for table in (self.health, self.burn):
            table.props("loading")
        for kind, old in list(self.views.items()):
            view = self.views[kind] = self.page.replace(old, week=chosen)
            for moved in self.regions[kind]:
                broadcaster(self.system).move(moved, view)
        error_banners(self.banners, self.views.values())

    def _export_buttons(self) -> None:
        """The tables of the week on show, as listed."""
        views = self.views
        with corner(beside=self.health):
            table_button(
                self.system,
                label="Download CSV",
                marker="export-client-health-csv",
                export=lambda: _clients_csv(
                    views["client_health"], client_health_csv, "client-health"
                ),
                roles=ROLES,
            )
        with corner(beside=self.burn):
            table_button(
                self.system,
                label="Download CSV",
                marker="export-budget-burn-csv",
                export=lambda: _clients_csv(views["client_data"], budget_burn_csv, "budget-burn"),
                roles=ROLES,
            )
