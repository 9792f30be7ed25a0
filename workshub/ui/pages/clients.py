"""/clients and /clients/{id} (manager for their clients, slt, admin): every client in scope
with its hours and health, and one client's projects, 12 weeks of health, tasks and pulse.

A client outside the viewer's scope is shown exactly like a missing one (SPEC §2): the page
learns the client's name only from the scoped client list, so it can never leak it.
"""

from __future__ import annotations

from typing import Any

from fastapi.responses import RedirectResponse
from nicegui import binding, ui

from workshub.app import System
from workshub.domain.models import Role
from workshub.domain.services.reference import list_clients
from workshub.domain.timeutil import local_date, week_start
from workshub.ui import components
from workshub.ui.actions import read
from workshub.ui.client_detail import client_detail
from workshub.ui.client_widgets import CELL_SLOT, error_banners
from workshub.ui.components import fmt_hours, fmt_money, fmt_per_hour, rag_html, section, tid
from workshub.ui.frame import frame
from workshub.ui.live import LivePage
from workshub.ui.session import HOME_BY_ROLE, current_viewer

__all__ = ["register"]

ROLES = frozenset({Role.manager, Role.slt, Role.admin})
RAG_RANK = {"red": 0, "amber": 1, "green": 2}


@binding.bindable_dataclass
class ClientsModel:
    """What /clients shows besides its table."""

    summary: str = ""
    empty: bool = False


def _client_row(client: dict[str, Any], *, currency: str, money_shown: bool) -> dict[str, Any]:
    projects = client.get("projects") or []
    hot = sum(
        1
        for p in projects
        if (p.get("pace") or 0) > 1 or (p.get("burn_pct") or 0) > 1  # faster than time, or over
    )
    row: dict[str, Any] = {
        "client_id": client["client_id"],
        "client": client["name"],
        "lead": client.get("account_lead") or "",
        "lead_text": client.get("account_lead") or "—",
        "hours_week": client.get("hours_week"),
        "hours_week_text": fmt_hours(client.get("hours_week")),
        "hours_month": client.get("hours_month"),
        "hours_month_text": fmt_hours(client.get("hours_month")),
        "score": client.get("score"),
        "rag": RAG_RANK.get(client.get("rag") or "", -1),
        "rag_html": rag_html(client.get("rag")),
        "alerts": hot,
        "alerts_text": f"⚠ {hot}" if hot else "",
        "alerts_class": "text-warning text-weight-bold" if hot else "",
        "alerts_tip": f"{hot} project(s) over budget or burning faster than time" if hot else "",
    }
    if money_shown:
        rate, target = client.get("effective_rate_week"), client.get("target_rate")
        row |= {
            "revenue": client.get("revenue_week"),
            "revenue_text": fmt_money(client.get("revenue_week"), currency),
            "rate": rate,
            "rate_text": fmt_per_hour(rate, currency),
            "rate_class": "text-negative" if rate is not None and target and rate < target else "",
            "rate_tip": f"Target {fmt_per_hour(target, currency)}" if target else "No target rate",
        }
    return row


def _clients_table(*, money_shown: bool) -> ui.table:
    def column(name: str, label: str, *, align: str = "right") -> dict[str, Any]:
        return components.column(name, label, align, sortable=True)

    columns = [
        column("client", "Client", align="left"),
        column("lead", "Account lead", align="left"),
        column("hours_week", "Hours this week"),
        column("hours_month", "Hours this month"),
        column("score", "Health"),
        column("rag", "RAG", align="left"),
        column("alerts", "Budget"),
    ]
    if money_shown:
        columns += [column("revenue", "Revenue (wk)"), column("rate", "Eff. rate (wk)")]
    table = (
        ui.table(columns=columns, rows=[], row_key="client_id", pagination={"rowsPerPage": 0})
        .props("flat dense loading hide-bottom")
        .classes("w-full")
    )
    table.add_slot("body-cell", CELL_SLOT)
    return tid(table, "clients-table")


def register(system: System) -> None:
    @ui.page("/clients", title="Clients · WorksHub", reconnect_timeout=60)
    async def clients_page() -> RedirectResponse | None:
        viewer = await current_viewer(system)
        if viewer is None:
            return RedirectResponse("/login")
        if viewer.role not in ROLES:
            return RedirectResponse(HOME_BY_ROLE[viewer.role])
        page = LivePage(system, viewer)
        model = ClientsModel()
        currency = system.org.currency
        week = week_start(local_date(system.clock.now(), system.tz))
        scope, scope_id = ("org", 0) if viewer.org_wide else ("manager", viewer.id)

        with frame(page, title="Clients", active="/clients"):
            banners = ui.column().classes("w-full gap-2")
            with section("Clients this week"):
                with ui.row().classes("w-full items-center gap-3 wrap q-mb-sm"):
                    ui.label().classes("wh-subtitle").bind_text_from(model, "summary")
                    ui.space()
                    search = (
                        ui.input(placeholder="Search clients")
                        .props("outlined dense clearable")
                        .classes("min-w-[200px]")
                    )
                    with search.add_slot("prepend"):
                        ui.icon("search")
                table = _clients_table(money_shown=viewer.sees_money)
                search.bind_value_to(table, "filter")
                empty = (
                    "No clients yet. A client is yours when you are its account lead or your "
                    "team logged time on it in the last 12 weeks."
                    if not viewer.org_wide
                    else "No active clients."
                )
                ui.label(empty).classes("wh-empty").bind_visibility_from(model, "empty")

        def show(data: dict[str, Any], changed: dict[str, Any]) -> None:
            if "clients" not in changed:
                return
            clients = data.get("clients") or []
            table.rows = [
                _client_row(c, currency=currency, money_shown=viewer.sees_money) for c in clients
            ]
            table.props(remove="loading")
            table.update()
            rags = [c.get("rag") for c in clients]
            model.summary = (
                f"{len(clients)} clients · {rags.count('green')} green · "
                f"{rags.count('amber')} amber · {rags.count('red')} red"
            )
            model.empty = not clients

        view = page.dashboard("client_data", scope, scope_id, week, on_change=show)
        error_banners(banners, [view])
        return None

    @ui.page("/clients/{client_id}", title="Client · WorksHub", reconnect_timeout=60)
    async def client_page(client_id: str) -> RedirectResponse | None:
        viewer = await current_viewer(system)
        if viewer is None:
            return RedirectResponse("/login")
        if viewer.role not in ROLES:
            return RedirectResponse(HOME_BY_ROLE[viewer.role])
        page = LivePage(system, viewer)
        now = system.clock.now()
        clients = await read(system, lambda s: list_clients(s, viewer, now=now)) or []
        wanted = int(client_id) if client_id.isdigit() else None
        client = next((c for c in clients if c["id"] == wanted), None)
        if client is None:
            with frame(page, title="No such client", active="/clients"):
                with ui.element("div").classes("wh-card w-full"):
                    ui.label("There is no such client, or it is not one of yours.").classes(
                        "wh-empty"
                    )
                    ui.link("← All clients", "/clients").classes("text-primary")
            return None
        await client_detail(page, client)
        return None
