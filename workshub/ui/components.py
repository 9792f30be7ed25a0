"""Small building blocks shared by the pages: test ids, KPI tiles, RAG chips, formatting,
week pickers' labels."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from html import escape
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

from nicegui import ui
from nicegui.element import Element

from workshub.domain.health import round_half_up

if TYPE_CHECKING:
    from workshub.app import System
    from workshub.ui.broadcast import Patch

__all__ = [
    "Kpi",
    "browser_paginated",
    "column",
    "elapsed",
    "fmt_hours",
    "fmt_money",
    "fmt_pct",
    "fmt_per_hour",
    "instant",
    "kpi_billable_share",
    "kpi_effective_rate",
    "kpi_html",
    "kpi_revenue",
    "kpi_tile",
    "kpi_tracked_hours",
    "kpi_utilization",
    "kpi_working_now",
    "local_hm",
    "project_label",
    "rag_html",
    "section",
    "set_choices",
    "tid",
    "week_label",
    "week_options",
]

E = TypeVar("E", bound=Element)

RAG_ICON = {"green": "●", "amber": "▲", "red": "■"}


def tid(element: E, test_id: str) -> E:
    """A stable test id for browsers (data-testid) and for NiceGUI's user fixture (marker)."""
    element.props(f'data-testid="{test_id}"')
    element.mark(test_id)
    return element


def fmt_hours(value: float | None) -> str:
    """Hours with one decimal (SPEC §7); null as an em dash."""
    if value is None:
        return "—"
    tenths = Decimal(repr(round(value, 9))).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{tenths.copy_abs() if tenths == 0 else tenths:.1f}"


def fmt_pct(value: float | None) -> str:
    """A ratio as a whole percentage rounded half up; null as an em dash."""
    if value is None:
        return "—"
    return f"{round_half_up(value * 100)}%"


CURRENCY_SYMBOLS = {"EUR": "€", "GBP": "£", "USD": "$", "JPY": "¥", "CHF": "CHF "}


def fmt_money(value: float | None, currency: str) -> str:
    """Whole units with the organisation's currency (ISO code) as a symbol where there is a
    common one; null as an em dash."""
    if value is None:
        return "—"
    symbol = CURRENCY_SYMBOLS.get(currency, f"{currency} ")
    sign = "−" if value < 0 else ""
    return f"{sign}{symbol}{abs(value):,.0f}"


def fmt_per_hour(value: float | None, currency: str) -> str:
    return "—" if value is None else f"{fmt_money(value, currency)}/h"


def rag_html(rag: str | None) -> str:
    """A RAG chip: colour plus a shape and the word, so it reads without colour too."""
    if rag not in RAG_ICON:
        return '<span class="wh-rag">—</span>'
    return f'<span class="wh-rag wh-rag-{rag}">{RAG_ICON[rag]} {rag.title()}</span>'


def kpi_tile(
    label: str, test_id: str, model: Any = None, attribute: str = "", hint: str = ""
) -> ui.label:
    """A KPI: its label, its value (bound to one view-model attribute when given; else the
    caller fills it, e.g. as a broadcast region), an optional hint."""
    with ui.element("div").classes("wh-card"):
        ui.label(label).classes("wh-kpi-label")
        value = tid(ui.label("—").classes("wh-kpi-value"), test_id)
        if model is not None:
            value.bind_text_from(model, attribute)
        if hint:
            ui.label(hint).classes("wh-kpi-hint")
    return value


def kpi_html(label: str, test_id: str, value: str, hint: str = "") -> str:
    """A KPI tile's content as one element's HTML (a broadcast region re-renders it whole)."""
    hint_html = f'<div class="wh-kpi-hint">{escape(hint)}</div>' if hint else ""
    return (
        f'<div class="wh-kpi-label">{escape(label)}</div>'
        f'<div class="wh-kpi-value" data-testid="{test_id}">{escape(value)}</div>{hint_html}'
    )


@dataclass(frozen=True)
class Kpi:
    """One KPI tile: one element whose HTML is its label, value and hint (SPEC §7 test id on
    the value), rendered from one key's data."""

    label: str
    test_id: str
    data_type: str
    value: Callable[[System, Mapping[str, Any]], str]
    hint: Callable[[System, Mapping[str, Any]], str] | str = ""
    money: bool = False

    def html(self, value: str, hint: str) -> str:
        return kpi_html(self.label, self.test_id, value, hint)

    def shown(self, system: System, data: Mapping[str, Any] | None) -> str:
        """The tile's HTML for `data`; before any data, "—" and the hint if it is fixed."""
        if data is None:
            return self.html("—", self.hint if isinstance(self.hint, str) else "")
        hint = self.hint if isinstance(self.hint, str) else self.hint(system, data)
        return self.html(self.value(system, data), hint)

    def render(self, system: System, data: Mapping[str, Any]) -> Patch:
        return {"props": {"innerHTML": self.shown(system, data)}}


def kpi_tiles(
    system: System, kpis: Iterable[Kpi], *, sees_money: bool, classes: str
) -> dict[str, ui.html]:
    """The tiles, one element each (`classes` place them), their test id → element; money
    tiles only for a viewer who sees money (neither rendered nor sent otherwise). The board's
    regions fill them."""
    tiles: dict[str, ui.html] = {}
    for kpi in kpis:
        if kpi.money and not sees_money:
            continue
        tile = ui.html(kpi.shown(system, None), sanitize=False).classes(classes)
        tiles[kpi.test_id] = tile.mark(kpi.test_id)
    return tiles


# The values KPI tiles show, from a metrics snapshot (SPEC §7), shared by the pages.


def kpi_tracked_hours(_system: System, data: Mapping[str, Any]) -> str:
    return fmt_hours(data.get("tracked_hours"))


def kpi_utilization(_system: System, data: Mapping[str, Any]) -> str:
    return fmt_pct(data.get("utilization"))


def kpi_billable_share(_system: System, data: Mapping[str, Any]) -> str:
    return fmt_pct(data.get("billable_pct"))


def kpi_working_now(_system: System, data: Mapping[str, Any]) -> str:
    count = data.get("active_timer_count")
    return "—" if count is None else str(count)


def kpi_revenue(system: System, data: Mapping[str, Any]) -> str:
    return fmt_money(data.get("revenue"), system.org.currency)


def kpi_effective_rate(system: System, data: Mapping[str, Any]) -> str:
    return fmt_per_hour(data.get("effective_rate"), system.org.currency)


def section(title: str) -> ui.element:
    """A card with a small caps title; use as a context manager for its content."""
    card = ui.element("div").classes("wh-card w-full")
    with card:
        ui.label(title).classes("wh-card-title q-mb-sm")
    return card


def set_choices(select: ui.select, options: dict[Any, str], *, value: Any = None) -> None:
    """Give a select its options (and value) and send it once. The options list is replaced,
    never mutated, so it skips NiceGUI's observable wrapping of each option (a project picker
    holds hundreds)."""
    select.options = options
    select._update_values_and_labels()
    choices = [{"value": index, "label": label} for index, label in enumerate(select._labels)]
    dict.__setitem__(select._props, "options", choices)
    select.value = value if value in select._values else None
    Element.update(select)  # ChoiceElement.update would rebuild (and wrap) the options


def column(name: str, label: str, align: str = "left", *, sortable: bool = False) -> dict[str, Any]:
    """A table column showing the row's field `name`."""
    shown = {"name": name, "label": label, "field": name, "align": align}
    return {**shown, "sortable": True} if sortable else shown


def browser_paginated(table: ui.table) -> ui.table:
    """The browser keeps the table's page and rows per page. NiceGUI listens for them by
    default, and Quasar reports its pagination as soon as a table mounts: the server then
    resends the whole table, rows included, to that browser — twice the bytes on every load."""
    listeners = table._event_listeners
    for listener_id, listener in list(listeners.items()):
        if listener.type == "update:pagination":
            del listeners[listener_id]
    return table


def _short(day: date, *, year: bool) -> str:
    return f"{day.day} {day:%b}" + (f" {day.year}" if year else "")


def week_label(monday: date, current: date) -> str:
    """'This week · 23–29 Nov', 'Last week · 16–22 Nov', '26 Oct – 1 Nov' (year if not this)."""
    sunday = monday + timedelta(days=6)
    year = sunday.year != current.year
    if monday.month == sunday.month:
        span = f"{monday.day}–{_short(sunday, year=year)}"
    else:
        span = f"{_short(monday, year=monday.year != sunday.year)} – {_short(sunday, year=year)}"
    if monday == current:
        return f"This week · {span}"
    if monday == current - timedelta(weeks=1):
        return f"Last week · {span}"
    return span


@lru_cache(maxsize=64)
def week_options(current: date, *, weeks: int, selected: date | None = None) -> dict[str, str]:
    """ISO Monday → label for every week picker: the current week and the `weeks - 1` before
    it, newest first; `selected` (a week further away) joins them. One dict for every page that
    asks the same (a 26-week picker's labels cost ~4 KB per page otherwise): never mutate it."""
    mondays = {current - timedelta(weeks=back) for back in range(weeks)}
    if selected is not None:
        mondays.add(selected)
    return {m.isoformat(): week_label(m, current) for m in sorted(mondays, reverse=True)}


# --- what the wire's instants and names look like on a page ----------------------------------


def instant(iso: str) -> datetime:
    """An ISO instant from the API or a snapshot ("…Z") as an aware datetime."""
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


def local_hm(iso: str | None, tz: ZoneInfo) -> str:
    """The organisation's wall-clock time of an instant, "09:05"; blank for none."""
    return "" if not iso else instant(iso).astimezone(tz).strftime("%H:%M")


def elapsed(iso: str, now: datetime) -> str:
    """H:MM:SS since `iso`; the browser ticks it on from here (assets/workshub.js)."""
    seconds = max(0, int((now - instant(iso)).total_seconds()))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def project_label(client: str | None, project: str) -> str:
    """ "Acme · Website" for client work; an internal project by its own name."""
    return f"{client} · {project}" if client else project
