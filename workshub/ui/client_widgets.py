"""Pieces shared by /leadership and the client pages: pace and change text, the
budget burn table, error banners for live views, and a single-flight reloader for lists that
follow domain events rather than a dashboard key."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from nicegui import background_tasks, ui

from workshub.ui.components import browser_paginated, fmt_hours, fmt_pct, tid
from workshub.ui.live import LiveDashboard

__all__ = [
    "CELL_SLOT",
    "NO_DATA_SLOT",
    "Reloader",
    "burn_rows",
    "burn_table",
    "change_text",
    "error_banners",
    "pace_text",
]

log = logging.getLogger(__name__)

BILLING_LABELS = {
    "retainer": "Retainer",
    "t_and_m": "Time & materials",
    "fixed_fee": "Fixed fee",
    "internal": "Internal",
}
# Every cell of the pages' tables: a link for client names, a RAG chip as HTML, otherwise the
# row's `<column>_text` (pre-formatted) with an optional `<column>_class` and `<column>_tip`.
# Sorting uses the raw `field`, so numbers sort as numbers.
CELL_SLOT = r"""
<q-td :props="props" :title="props.row[props.col.name + '_tip'] || ''">
  <a v-if="props.col.name === 'client'" :href="'/clients/' + props.row.client_id"
     class="text-primary text-weight-medium" style="text-decoration: none">{{ props.value }}</a>
  <span v-else-if="props.col.name === 'rag'" v-html="props.row.rag_html"></span>
  <span v-else :class="props.row[props.col.name + '_class'] || ''"
    >{{ props.row[props.col.name + '_text'] ?? props.value }}</span>
</q-td>
"""
# A table's empty state in its own bottom row (no element of its own); `no-data-label` says it.
NO_DATA_SLOT = r"""<div class="wh-empty" style="padding: 4px 0">{{ props.message }}</div>"""
HOT = "text-negative text-weight-bold"  # over budget
WARM = "text-warning text-weight-bold"  # burning faster than time passes


def pace_text(pace: float | None) -> str:
    """Pace as a multiple of time elapsed: 1.00× is exactly on budget."""
    return "—" if pace is None else f"{pace:.2f}×"


def change_text(change: int | None) -> tuple[str, str]:
    """A week-over-week score change as (text, css classes): ▲ up, ▼ down, ● unchanged."""
    if change is None:
        return "—", ""
    if change > 0:
        return f"▲ {change}", "text-positive text-weight-medium"
    if change < 0:
        return f"▼ {-change}", "text-negative text-weight-medium"
    return "● 0", "text-grey-7"


def burn_rows(
    clients: Iterable[dict[str, Any]], *, client_id: int | None = None, budgeted_only: bool = True
) -> list[dict]:
    """Projects of the given client_data rows (budgeted ones unless told otherwise), fastest
    pace first (no pace last)."""
    rows = []
    for client in clients:
        if client_id is not None and client["client_id"] != client_id:
            continue
        for project in client.get("projects") or []:
            if budgeted_only and project.get("budget_hours") is None:
                continue
            rows.append(_burn_row(client, project))
    rows.sort(key=lambda r: (r["pace"] is None, -(r["pace"] or 0.0), r["client"], r["project"]))
    return rows


def _burn_row(client: dict[str, Any], project: dict[str, Any]) -> dict[str, Any]:
    burn, pace = project.get("burn_pct"), project.get("pace")
    monthly = project.get("budget_period") == "monthly"
    budget = project.get("budget_hours")
    used = f"{fmt_hours(project.get('consumed_hours'))} / {fmt_hours(budget)}"
    over_budget = burn is not None and burn > 1
    fast = pace is not None and pace > 1
    return {
        "id": project["project_id"],
        "client_id": client["client_id"],
        "client": client["name"],
        "project": project["name"],
        "model": BILLING_LABELS.get(project.get("billing_model", ""), ""),
        "model_text": BILLING_LABELS.get(project.get("billing_model", ""), "")
        + (" · monthly" if monthly else ""),
        "hours_week": project.get("hours_week"),
        "hours_week_text": fmt_hours(project.get("hours_week")),
        "used": project.get("consumed_hours"),
        "used_text": "no budget"
        if budget is None
        else used + (" h this month" if monthly else " h"),
        "burn": burn,
        "burn_text": fmt_pct(burn) + (" ⚠" if over_budget else ""),
        "burn_class": HOT if over_budget else "",
        "elapsed": project.get("elapsed"),
        "elapsed_text": fmt_pct(project.get("elapsed")),
        "pace": pace,
        "pace_text": pace_text(pace),
        "pace_class": WARM if fast else "",
        "pace_tip": "Burning faster than time passes" if fast else "",
        "hot": over_budget or fast,
    }


def burn_table(*, with_client: bool, rows_per_page: int = 10) -> ui.table:
    """Budget burn: used against budget, share of time elapsed, and pace (burn ÷ elapsed)."""
    columns: list[dict[str, Any]] = [
        {"name": "project", "label": "Project", "field": "project", "align": "left"},
        {"name": "model", "label": "Billing", "field": "model", "align": "left"},
        {"name": "hours_week", "label": "Hours (wk)", "field": "hours_week", "sortable": True},
        {"name": "used", "label": "Used / budget", "field": "used", "sortable": True},
        {"name": "burn", "label": "Burn", "field": "burn", "sortable": True},
        {"name": "elapsed", "label": "Time elapsed", "field": "elapsed", "sortable": True},
        {"name": "pace", "label": "Pace", "field": "pace", "sortable": True},
    ]
    if with_client:
        columns.insert(
            0,
            {
                "name": "client",
                "label": "Client",
                "field": "client",
                "align": "left",
                "sortable": True,
            },
        )
    table = (
        ui.table(
            columns=columns,
            rows=[],
            row_key="id",
            pagination={"rowsPerPage": rows_per_page},
        )
        .props(
            "flat dense loading :rows-per-page-options='[10, 25, 0]'"
            + ("" if rows_per_page else " hide-bottom")
        )
        .classes("w-full")
    )
    table.add_slot("body-cell", CELL_SLOT)
    return tid(browser_paginated(table), "budget-burn-table")


def error_banners(container: ui.element, views: Iterable[LiveDashboard]) -> None:
    """One banner per live view, shown while its last load failed. Rebuild after a replace."""
    container.clear()
    with container:
        for view in views:
            ui.label().classes("wh-banner-error w-full").bind_text_from(
                view, "error"
            ).bind_visibility_from(view, "error", backward=bool)


class Reloader:
    """Reload a list when a domain event says it changed: one load at a time, and events that
    arrive during a load cause exactly one more (the live store's rule, for a page's list)."""

    def __init__(self, load: Callable[[], Awaitable[None]], *, name: str) -> None:
        self._load = load
        self._name = name
        self._task: asyncio.Task[None] | None = None
        self._again = False

    def trigger(self) -> None:
        if self._task is not None and not self._task.done():
            self._again = True
            return
        self._task = background_tasks.create(self._run(), name=self._name)

    async def _run(self) -> None:
        while True:
            self._again = False
            try:
                await self._load()
            except Exception:
                log.exception("reloading %s failed", self._name)
            if not self._again:
                return
