"""/leadership (slt, admin): the business this week or any recent week — organisation KPIs with
money, the 12-week utilization trend, client health with week-over-week change, and the
projects burning their budget fastest (SPEC §7)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any

from fastapi.responses import RedirectResponse
from nicegui import binding, events, ui

from workshub.app import System
from workshub.csv_export import budget_burn_csv, client_health_csv
from workshub.domain.models import Role
from workshub.domain.timeutil import local_date, week_start
from workshub.ui.client_widgets import (
    CELL_SLOT,
    burn_rows,
    burn_table,
    change_text,
    error_banners,
    money,
    per_hour,
    week_label,
    week_options,
)
from workshub.ui.components import fmt_hours, fmt_pct, kpi_tile, rag_html, section, tid
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


@binding.bindable_dataclass
class LeadershipModel:
    """What /leadership shows, one attribute per bound element."""

    loading: bool = True
    week: str = ""
    week_caption: str = ""
    kpi_tracked: str = "—"
    kpi_utilization: str = "—"
    kpi_billable: str = "—"
    kpi_active: str = "—"
    kpi_revenue: str = "—"
    kpi_rate: str = "—"
    capacity_hint: str = ""
    health_summary: str = ""
    no_clients: bool = False
    no_budgets: bool = False


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
    table = (
        ui.table(columns=columns, rows=[], row_key="client_id", pagination={"rowsPerPage": 0})
        .props("flat dense loading hide-bottom")
        .classes("w-full")
    )
    table.add_slot("body-cell", CELL_SLOT)
    return tid(table, "client-health-table")


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
        page = LivePage(system, viewer)
        currency = system.org.currency
        current = week_start(local_date(system.clock.now(), system.tz))
        model = LeadershipModel(week=current.isoformat(), week_caption=week_label(current, current))

        with frame(page, title="Leadership", active="/leadership"):
            with ui.row().classes("w-full items-center gap-3 wrap"):
                ui.label().classes("wh-subtitle").bind_text_from(model, "week_caption")
                ui.spinner(size="sm").bind_visibility_from(model, "loading")
                ui.space()
                picker = tid(
                    ui.select(week_options(current, weeks=WEEKS_OFFERED), label="Week")
                    .props("outlined dense options-dense")
                    .classes("min-w-[200px]"),
                    "week-select",
                )
                picker.bind_value(model, "week")
            banners = ui.column().classes("w-full gap-2")

            with ui.element("div").classes("wh-kpis"):
                kpi_tile(
                    "Hours tracked", "kpi-tracked-hours", model, "kpi_tracked", "hours, all work"
                )
                with ui.element("div").classes("wh-card"):
                    ui.label("Utilization (tracked ÷ capacity)").classes("wh-kpi-label")
                    tid(ui.label().classes("wh-kpi-value"), "kpi-utilization").bind_text_from(
                        model, "kpi_utilization"
                    )
                    ui.label().classes("wh-kpi-hint").bind_text_from(model, "capacity_hint")
                kpi_tile("Billable share", "kpi-billable-pct", model, "kpi_billable")
                kpi_tile(
                    "Working now", "kpi-active-timers", model, "kpi_active", "timers running now"
                )
                if viewer.sees_money:
                    kpi_tile("Revenue", "kpi-revenue", model, "kpi_revenue", "recognised")
                    kpi_tile(
                        "Effective rate", "kpi-effective-rate", model, "kpi_rate", "per client hour"
                    )

            with section("Utilization, last 12 weeks"):
                chart = ui.echart(_trend_options()).classes("w-full h-72")

            with section("Client health"):
                ui.label().classes("wh-subtitle q-mb-xs").bind_text_from(model, "health_summary")
                health = _health_table()
                ui.label("No active clients this week.").classes("wh-empty").bind_visibility_from(
                    model, "no_clients"
                )

            with section("Budget burn"):
                ui.label(
                    "Budgeted projects, fastest pace first. Pace = burn ÷ time elapsed; "
                    "above 1.00× the budget runs out before the project ends."
                ).classes("wh-subtitle q-mb-xs")
                burn = burn_table(with_client=True)
                ui.label("No budgeted projects.").classes("wh-empty").bind_visibility_from(
                    model, "no_budgets"
                )

        def this_week(data: dict[str, Any]) -> bool:
            """Drop a late snapshot of the week the picker just left."""
            return data.get("week", model.week) == model.week

        def show_metrics(data: dict[str, Any], _changed: dict[str, Any]) -> None:
            if not this_week(data):
                return
            model.kpi_tracked = fmt_hours(data.get("tracked_hours"))
            model.kpi_utilization = fmt_pct(data.get("utilization"))
            model.kpi_billable = fmt_pct(data.get("billable_pct"))
            count = data.get("active_timer_count")
            model.kpi_active = "—" if count is None else str(count)
            model.capacity_hint = f"of {fmt_hours(data.get('capacity_hours'))} h capacity"
            model.kpi_revenue = money(data.get("revenue"), currency)
            model.kpi_rate = per_hour(data.get("effective_rate"), currency)
            model.loading = False

        def show_trend(data: dict[str, Any], _changed: dict[str, Any]) -> None:
            weeks = data.get("weeks") or []
            if not weeks or weeks[-1]["week"] != model.week:
                return
            days = [date.fromisoformat(w["week"]) for w in weeks]
            chart.options["xAxis"]["data"] = [f"{d.day} {d:%b}" for d in days]
            series = chart.options["series"]
            series[0]["data"] = [_hours_point(w.get("capacity_hours")) for w in weeks]
            series[1]["data"] = [_hours_point(w.get("tracked_hours")) for w in weeks]
            series[2]["data"] = [_pct_point(w.get("utilization")) for w in weeks]
            series[3]["data"] = [_pct_point(w.get("billable_pct")) for w in weeks]
            chart.update()

        def show_health(data: dict[str, Any], changed: dict[str, Any]) -> None:
            if not this_week(data) or "clients" not in changed:
                return
            rows = sorted(
                (_health_row(c) for c in data.get("clients") or []),
                key=lambda r: (r["rag"], r["score"] if r["score"] is not None else 101),
            )
            health.rows = rows
            health.props(remove="loading")
            health.update()
            counts = {
                rag: sum(1 for c in data["clients"] if c.get("rag") == rag) for rag in RAG_RANK
            }
            model.health_summary = (
                f"{len(rows)} clients · {counts['green']} green · {counts['amber']} amber · "
                f"{counts['red']} red"
            )
            model.no_clients = not rows

        def show_burn(data: dict[str, Any], changed: dict[str, Any]) -> None:
            if not this_week(data) or "clients" not in changed:
                return
            rows = burn_rows(data.get("clients") or [])
            burn.rows = rows
            burn.props(remove="loading")
            burn.update()
            model.no_budgets = not rows

        views: dict[str, LiveDashboard] = {
            "metrics": page.dashboard("metrics", "org", 0, current, on_change=show_metrics),
            "utilization_trend": page.dashboard(
                "utilization_trend", "org", 0, current, on_change=show_trend
            ),
            "client_health": page.dashboard(
                "client_health", "org", 0, current, on_change=show_health
            ),
            "client_data": page.dashboard("client_data", "org", 0, current, on_change=show_burn),
        }
        error_banners(banners, views.values())

        async def pick_week(event: events.ValueChangeEventArguments) -> None:
            me = await current_viewer(system)
            if me is None or me.role not in ROLES:
                ui.navigate.to("/login" if me is None else HOME_BY_ROLE[me.role])
                return
            today = week_start(local_date(system.clock.now(), system.tz))
            try:
                chosen = week_start(date.fromisoformat(str(event.value)))
            except ValueError:
                chosen = today
            if chosen > today:  # never a future week
                chosen = today
            model.week = chosen.isoformat()
            model.week_caption = week_label(chosen, today)
            model.loading = True
            for table in (health, burn):
                table.props("loading")
            for name, old in list(views.items()):
                views[name] = page.replace(old, week=chosen)
            error_banners(banners, views.values())

        picker.on_value_change(pick_week)
        with corner(beside=health):  # the tables of the week on show, as listed
            table_button(
                system,
                label="Download CSV",
                marker="export-client-health-csv",
                export=lambda: _clients_csv(
                    views["client_health"], client_health_csv, "client-health"
                ),
                roles=ROLES,
            )
        with corner(beside=burn):
            table_button(
                system,
                label="Download CSV",
                marker="export-budget-burn-csv",
                export=lambda: _clients_csv(views["client_data"], budget_burn_csv, "budget-burn"),
                roles=ROLES,
            )
        return None
