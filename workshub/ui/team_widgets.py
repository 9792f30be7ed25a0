"""The building blocks of /team: the members table with utilization bars, who is working now,
the workload chart and the week picker's options.

Each list is one element whose rows (or series) are replaced when a push arrives, so a team of
ten costs a handful of elements, not one per person. Rows carry display text formatted here,
in Python, exactly as SPEC §7 says; raw numbers stay beside them for sorting.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from nicegui import ui

from workshub.ui.broadcast import share_prop
from workshub.ui.components import (
    browser_paginated,
    elapsed,
    fmt_hours,
    fmt_pct,
    instant,
    project_label,
    tid,
)

__all__ = [
    "WEEKS_BACK",
    "member_rows",
    "members_table",
    "share_options",
    "timer_rows",
    "timers_table",
    "workload",
    "workload_chart",
]

WEEKS_BACK = 26  # how far back the week picker reaches; older weeks are in the REST API
OVER_CAPACITY = 1.0
ACCENT, OVER, TRACK = "#0f766e", "#b45309", "#e2e8f0"
# The card titles' look (assets/theme.css .wh-card-title), as ECharts draws it.
WORKLOAD_TITLE = {
    "text": "WORKLOAD · HOURS VS CAPACITY",
    "left": 16,
    "top": 16,
    "padding": 0,
    "textStyle": {"fontSize": 12.8, "fontWeight": 600, "color": "#64748b"},
}
# Loading until the first snapshot; the bottom row shows only the empty state (no pagination).
# The table is its own card, titled like the other cards (no wrapper elements).
TABLE_PROPS = 'flat dense wrap-cells hide-pagination loading title-class="wh-card-title"'
CARD = "wh-card wh-table-card w-full"


def local_since(iso: str, *, tz: ZoneInfo, today: date) -> str:
    """A start time as people read it: "09:12" today, "Tue 18:02" on an earlier day."""
    at = instant(iso).astimezone(tz)
    return at.strftime("%H:%M") if at.date() == today else at.strftime("%a %H:%M")


def share_options(select: ui.select) -> ui.select:
    """The picker's option list as NiceGUI builds it, one copy for every client (a select
    re-builds its own copy only when its value changes on that client)."""
    labels = list(select.options.values()) if isinstance(select.options, dict) else select.options
    share_prop(select, "options", [{"value": i, "label": label} for i, label in enumerate(labels)])
    return select


# --- members ---------------------------------------------------------------------------------

_NUMBER = {"align": "right", "sortable": True}
MEMBER_COLUMNS: list[dict[str, Any]] = [
    {"name": "name", "label": "Person", "field": "name", "align": "left", "sortable": True},
    {"name": "hours", "label": "Hours", "field": "hours", ":format": "(v, r) => r.hours_text"}
    | _NUMBER,
    {
        "name": "capacity",
        "label": "Capacity",
        "field": "capacity",
        ":format": "(v, r) => r.capacity_text",
    }
    | _NUMBER,
    {"name": "utilization", "label": "Utilization", "field": "util_sort", "align": "left"}
    | {"sortable": True},
    {"name": "running", "label": "Timer", "field": "running", "align": "left"},
    {"name": "overdue", "label": "Overdue tasks", "field": "overdue"} | _NUMBER,
]

_UTILIZATION_CELL = r"""
<q-td :props="props">
  <div class="row items-center no-wrap" style="gap: 8px; min-width: 120px">
    <q-linear-progress :value="props.row.util_bar" :color="props.row.util_color" rounded
                       size="8px" track-color="grey-3" style="width: 80px" />
    <span style="font-variant-numeric: tabular-nums">{{ props.row.utilization }}</span>
  </div>
</q-td>
"""

_RUNNING_CELL = r"""
<q-td :props="props">
  <div v-if="props.row.running" class="row items-center no-wrap" style="gap: 6px">
    <span class="wh-dot" style="background: #15803d"></span>
    <span>{{ props.row.running }}</span>
    <span class="wh-subtitle">since {{ props.row.since }}</span>
  </div>
  <span v-else class="wh-subtitle">—</span>
</q-td>
"""

_OVERDUE_CELL = r"""
<q-td :props="props">
  <q-badge v-if="props.row.overdue > 0" color="negative" :label="props.row.overdue" />
  <span v-else class="wh-subtitle">0</span>
</q-td>
"""


# The empty state in the table's own bottom row: no warning icon, and no element of its own.
_NO_DATA = r"""<div class="wh-empty" style="padding: 4px 0">{{ props.message }}</div>"""


def members_table(*, title: str) -> ui.table:
    table = tid(
        ui.table(columns=[], rows=[], row_key="user_id", pagination=0, title=title)
        .props(f'{TABLE_PROPS} no-data-label="No one is in this team yet."')
        .classes(CARD),
        "team-members-table",
    )
    share_prop(table, "columns", MEMBER_COLUMNS)
    browser_paginated(table)
    table.add_slot("body-cell-utilization", _UTILIZATION_CELL)
    table.add_slot("body-cell-running", _RUNNING_CELL)
    table.add_slot("body-cell-overdue", _OVERDUE_CELL)
    table.add_slot("no-data", _NO_DATA)
    return table


def member_rows(
    members: Iterable[Mapping[str, Any]], *, tz: ZoneInfo, today: date
) -> list[dict[str, Any]]:
    """team_data's members as table rows: display text, bar value and colour, sort keys."""
    rows = []
    for member in members:
        utilization = member.get("utilization")
        running = member.get("running")
        rows.append(
            {
                "user_id": member["user_id"],
                "name": member["name"],
                "hours": member["hours"],
                "hours_text": fmt_hours(member["hours"]),
                "capacity": member["capacity"],
                "capacity_text": fmt_hours(member["capacity"]),
                "utilization": fmt_pct(utilization),
                "util_sort": -1.0 if utilization is None else utilization,
                "util_bar": min(utilization or 0.0, 1.0),
                "util_color": "warning" if (utilization or 0) > OVER_CAPACITY else "primary",
                "running": project_label(running.get("client"), running["project"])
                if running
                else "",
                "since": local_since(running["since"], tz=tz, today=today) if running else "",
                "overdue": member.get("overdue_tasks", 0),
            }
        )
    return rows


# --- who is working now ----------------------------------------------------------------------

TIMER_COLUMNS: list[dict[str, Any]] = [
    {"name": "user", "label": "Person", "field": "user", "align": "left"},
    {"name": "project", "label": "Project", "field": "project", "align": "left"},
    {"name": "client", "label": "Client", "field": "client", "align": "left"},
    {"name": "elapsed", "label": "Elapsed", "field": "elapsed", "align": "right"},
]

# The span's text is the server's value at push time; workshub.js ticks it every 500 ms.
_ELAPSED_CELL = r"""
<q-td :props="props">
  <span :data-wh-since="props.row.started_at" style="font-variant-numeric: tabular-nums"
        :title="'since ' + props.row.since">{{ props.row.elapsed }}</span>
</q-td>
"""


def timers_table(*, title: str) -> ui.table:
    table = tid(
        ui.table(columns=[], rows=[], row_key="entry_id", pagination=0, title=title)
        .props(f'{TABLE_PROPS} no-data-label="No one is tracking time right now."')
        .classes(CARD),
        "active-timers-list",
    )
    share_prop(table, "columns", TIMER_COLUMNS)
    browser_paginated(table)
    table.add_slot("body-cell-elapsed", _ELAPSED_CELL)
    table.add_slot("no-data", _NO_DATA)
    return table


def timer_rows(
    timers: Iterable[Mapping[str, Any]], *, now: datetime, tz: ZoneInfo
) -> list[dict[str, Any]]:
    today = now.astimezone(tz).date()
    return [
        {
            "entry_id": timer["entry_id"],
            "user": timer["user"],
            "project": timer["project"],
            "client": timer.get("client") or "Internal",
            "started_at": timer["started_at"],
            "since": local_since(timer["started_at"], tz=tz, today=today),
            "elapsed": elapsed(timer["started_at"], now),
        }
        for timer in timers
    ]


# --- workload chart --------------------------------------------------------------------------


def _workload_options(names: list[str], capacity: list[float], hours: list[Any]) -> dict[str, Any]:
    bar = {"type": "bar", "barWidth": "55%", "barGap": "-100%"}
    return {
        "animationDuration": 300,
        "title": WORKLOAD_TITLE,
        "grid": {"left": 24, "right": 40, "top": 76, "bottom": 16, "containLabel": True},
        "legend": {"top": 42, "left": 16, "data": ["Hours", "Capacity"]},
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "xAxis": {"type": "value", "axisLabel": {"formatter": "{value} h"}},
        "yAxis": {"type": "category", "inverse": True, "data": names},
        "series": [
            {"name": "Capacity", "itemStyle": {"color": TRACK}, "data": capacity, **bar},
            {"name": "Hours", "itemStyle": {"color": ACCENT}, "data": hours, **bar},
        ],
    }


def chart_height(members: int) -> str:
    """The card's height: a bar per person, at least a few, plus its title and legend (ECharts
    draws the card's inset: the card has no padding of its own)."""
    return f"{max(256, 34 * members + 116)}px"


def workload_chart() -> ui.echart:
    """Hours against capacity per person: a light capacity track with the hours bar over it.
    The chart is its own card, its title drawn by ECharts (one element, not three)."""
    chart = ui.echart({}).classes("wh-card wh-chart-card w-full")
    chart.style(f"height: {chart_height(0)}")
    share_prop(chart, "options", _workload_options([], [], []))  # shared by every client
    return chart


def workload(members: list[Mapping[str, Any]]) -> dict[str, Any]:
    """The chart for these members, as a patch of its element (options, height): a team is
    small, so resending its series is cheaper than diffing them."""
    hours: list[Any] = []
    for member in members:
        value = round(member["hours"], 1)
        over = (member.get("utilization") or 0) > OVER_CAPACITY
        hours.append({"value": value, "itemStyle": {"color": OVER}} if over else value)
    options = _workload_options(
        [member["name"] for member in members],
        [round(member["capacity"], 1) for member in members],
        hours,
    )
    return {
        "props": {"options": options},
        "style": {"height": chart_height(len(members))},
        "m": "update_chart",
    }
