"""The body of /clients/{id}: the client's KPIs, 12 weeks of health, its projects' burn and pace
(all live from the store), then its tasks and its pulse (lists that follow domain events).

Only called once the page has checked the client is in the viewer's scope.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from nicegui import binding, ui

from workshub.domain.timeutil import local_date, week_start
from workshub.ui.client_pulse import pulse_panel
from workshub.ui.client_tasks import tasks_panel
from workshub.ui.client_widgets import (
    burn_rows,
    burn_table,
    change_text,
    error_banners,
)
from workshub.ui.components import (
    fmt_hours,
    fmt_money,
    fmt_per_hour,
    kpi_tile,
    rag_html,
    section,
    tid,
)
from workshub.ui.frame import frame
from workshub.ui.live import LivePage

__all__ = ["client_detail"]

COMPONENT_SERIES = (
    ("pace", "Pace", "#6366f1"),
    ("overservice", "Overservice", "#0ea5e9"),
    ("rate", "Rate", "#a855f7"),
    ("volatility", "Volatility", "#64748b"),
    ("pulse", "Pulse", "#f59e0b"),
)
RAG_COLOURS = {"green": "#15803d", "amber": "#b45309", "red": "#b91c1c"}


@binding.bindable_dataclass
class ClientModel:
    """The scalar displays of one client's page."""

    loading: bool = True
    score: str = "—"
    rag_chip: str = rag_html(None)
    change: str = ""
    components: str = ""
    hours_week: str = "—"
    hours_month: str = "—"
    revenue: str = "—"
    rate: str = "—"
    rate_hint: str = ""
    no_projects: bool = False


def _history_options() -> dict[str, Any]:
    axis_label = {"color": "#64748b"}
    series: list[dict[str, Any]] = [
        {
            "name": "Hours",
            "type": "bar",
            "yAxisIndex": 1,
            "data": [],
            "itemStyle": {"color": "#e2e8f0"},
            "z": 1,
        },
        {
            "name": "Score",
            "type": "line",
            "data": [],
            "symbolSize": 9,
            "lineStyle": {"width": 3, "color": "#0f172a"},
            "itemStyle": {"color": "#0f172a"},
            "z": 5,
        },
    ]
    series += [
        {
            "name": label,
            "type": "line",
            "data": [],
            "symbol": "none",
            "lineStyle": {"width": 1.5, "color": colour, "opacity": 0.8},
            "itemStyle": {"color": colour},
        }
        for _name, label, colour in COMPONENT_SERIES
    ]
    return {
        "animationDuration": 300,
        "tooltip": {"trigger": "axis"},
        "legend": {"bottom": 0},
        "grid": {"left": 8, "right": 8, "top": 36, "bottom": 56, "containLabel": True},
        "xAxis": {"type": "category", "data": [], "axisLabel": axis_label},
        "yAxis": [
            {"type": "value", "name": "Score", "min": 0, "max": 100, "axisLabel": axis_label},
            {
                "type": "value",
                "name": "Hours",
                "axisLabel": axis_label,
                "splitLine": {"show": False},
            },
        ],
        "series": series,
    }


def _score_point(week: dict[str, Any]) -> dict[str, Any]:
    colour = RAG_COLOURS.get(week.get("rag") or "", "#0f172a")
    return {"value": week.get("score"), "itemStyle": {"color": colour}}


def _component_text(components: dict[str, Any]) -> str:
    parts = [
        f"{label} {round(components[name])}"
        for name, label, _colour in COMPONENT_SERIES
        if components.get(name) is not None
    ]
    return " · ".join(parts)


async def client_detail(page: LivePage, client: dict[str, Any]) -> None:
    """Build the page for `client` (a row of `list_clients` in the viewer's scope)."""
    system, viewer = page.system, page.viewer
    client_id: int = client["id"]
    currency = system.org.currency
    week = week_start(local_date(system.clock.now(), system.tz))
    model = ClientModel()
    lead = client.get("account_lead_name") or "no account lead"
    status = "" if client.get("status") == "active" else f" · {client.get('status')}"

    with frame(page, title=client["name"], active="/clients"):
        with ui.row().classes("w-full items-center gap-3 wrap"):
            ui.link("← All clients", "/clients").classes("wh-subtitle")
            ui.label(f"Account lead: {lead}{status}").classes("wh-subtitle")
            ui.spinner(size="sm").bind_visibility_from(model, "loading")
        banners = ui.column().classes("w-full gap-2")

        with ui.element("div").classes("wh-kpis"):
            with ui.element("div").classes("wh-card"):
                ui.label("Health this week").classes("wh-kpi-label")
                with ui.row().classes("items-center gap-2"):
                    tid(ui.label().classes("wh-kpi-value"), "client-score").bind_text_from(
                        model, "score"
                    )
                    ui.html("").bind_content_from(model, "rag_chip")
                ui.label().classes("wh-kpi-hint").bind_text_from(model, "change")
            kpi_tile("Hours this week", "client-hours-week", model, "hours_week")
            kpi_tile("Hours this month", "client-hours-month", model, "hours_month")
            if viewer.sees_money:
                kpi_tile("Revenue this week", "client-revenue", model, "revenue", "recognised")
                with ui.element("div").classes("wh-card"):
                    ui.label("Effective rate this week").classes("wh-kpi-label")
                    tid(ui.label().classes("wh-kpi-value"), "client-rate").bind_text_from(
                        model, "rate"
                    )
                    ui.label().classes("wh-kpi-hint").bind_text_from(model, "rate_hint")

        with section("Health, last 12 weeks"):
            ui.label().classes("wh-subtitle").bind_text_from(model, "components")
            chart = ui.echart(_history_options()).classes("w-full h-72")

        with section("Projects"):
            projects = burn_table(with_client=False, rows_per_page=0)
            ui.label("No active projects.").classes("wh-empty").bind_visibility_from(
                model, "no_projects"
            )

        set_projects = await tasks_panel(page, client_id)
        await pulse_panel(page, client_id)

    def show_client(data: dict[str, Any], changed: dict[str, Any]) -> None:
        if "clients" not in changed:
            return
        row = next((c for c in data.get("clients") or [] if c["client_id"] == client_id), None)
        found = row or {}
        model.hours_week = fmt_hours(found.get("hours_week"))
        model.hours_month = fmt_hours(found.get("hours_month"))
        if viewer.sees_money:
            model.revenue = fmt_money(found.get("revenue_week"), currency)
            model.rate = fmt_per_hour(found.get("effective_rate_week"), currency)
            target = found.get("target_rate")
            model.rate_hint = f"target {fmt_per_hour(target, currency)}" if target else "no target"
        rows = burn_rows([row] if row else [], budgeted_only=False)
        projects.rows = rows
        projects.props(remove="loading")
        projects.update()
        model.no_projects = not rows
        set_projects({r["id"]: r["project"] for r in rows})

    def show_history(data: dict[str, Any], changed: dict[str, Any]) -> None:
        if "weeks" not in changed:
            return
        weeks = data.get("weeks") or []
        if not weeks:
            return
        last = weeks[-1]
        model.score = "—" if last.get("score") is None else str(last["score"])
        model.rag_chip = rag_html(last.get("rag"))
        if len(weeks) > 1 and weeks[-2].get("score") is not None and last.get("score") is not None:
            text, _css = change_text(last["score"] - weeks[-2]["score"])
            model.change = f"{text} vs last week"
        model.components = _component_text(last.get("components") or {})
        days = [date.fromisoformat(w["week"]) for w in weeks]
        chart.options["xAxis"]["data"] = [f"{d.day} {d:%b}" for d in days]
        series = chart.options["series"]
        series[0]["data"] = [
            None if w.get("hours") is None else round(w["hours"], 1) for w in weeks
        ]
        series[1]["data"] = [_score_point(w) for w in weeks]
        for index, (name, _label, _colour) in enumerate(COMPONENT_SERIES, start=2):
            series[index]["data"] = [
                None
                if (w.get("components") or {}).get(name) is None
                else round(w["components"][name], 1)
                for w in weeks
            ]
        chart.update()
        model.loading = False

    scope, scope_id = ("org", 0) if viewer.org_wide else ("manager", viewer.id)
    views = [
        page.dashboard("client_data", scope, scope_id, week, on_change=show_client),
        page.dashboard("client_history", "client", client_id, week, on_change=show_history),
    ]
    error_banners(banners, views)
