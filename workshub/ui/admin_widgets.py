"""Building blocks of /admin: one searchable table per list, row actions as table events, and the
small conversions between a form's values and the admin services' fields."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from nicegui import ui

from workshub.ui import components
from workshub.ui.components import tid

__all__ = [
    "EDIT_ARCHIVE_SLOT",
    "STATUS_CELL",
    "action_slot",
    "changes",
    "column",
    "day_or_none",
    "fmt_number",
    "list_table",
]

STATUS_CELL = r"""
<q-td :props="props">
  <q-badge :color="props.value === 'active' ? 'positive' : 'grey-6'" :label="props.value" />
</q-td>
"""


EDIT_ARCHIVE_SLOT = r"""
<q-td :props="props" class="text-no-wrap">
  <q-btn flat dense round size="sm" icon="edit" aria-label="Edit"
         @click="$parent.$emit('edit', props.row)"><q-tooltip>Edit</q-tooltip></q-btn>
  <q-btn flat dense round size="sm"
         :icon="props.row.status === 'active' ? 'archive' : 'unarchive'"
         :aria-label="props.row.status === 'active' ? 'Archive' : 'Restore'"
         @click="$parent.$emit('archive', props.row)">
    <q-tooltip>{{ props.row.status === 'active' ? 'Archive' : 'Restore' }}</q-tooltip>
  </q-btn>
</q-td>
"""


def column(name: str, label: str, *, align: str = "left") -> dict[str, Any]:
    """Admin lists sort by any column."""
    return components.column(name, label, align, sortable=True)


def action_slot(*actions: tuple[str, str, str]) -> str:
    """A row's buttons: (event, icon, tooltip) each; the click emits the event with the row."""
    buttons = "".join(
        f'<q-btn flat dense round size="sm" icon="{icon}" aria-label="{tip}" '
        f"@click=\"$parent.$emit('{event}', props.row)\"><q-tooltip>{tip}</q-tooltip></q-btn>"
        for event, icon, tip in actions
    )
    return f'<q-td :props="props" class="text-no-wrap">{buttons}</q-td>'


def list_table(
    columns: list[dict[str, Any]], *, test_id: str, search: str = "Search", page_size: int = 25
) -> tuple[ui.row, ui.table]:
    """A toolbar with a search box (the page adds its buttons) and one table, which Quasar
    filters and pages in the browser."""
    with ui.row().classes("w-full items-center gap-2 wrap") as toolbar:
        box = (
            ui.input(placeholder=search).props("outlined dense clearable").classes("min-w-[220px]")
        )
        with box.add_slot("prepend"):
            ui.icon("search")
    table = tid(
        ui.table(
            columns=[*columns, {"name": "actions", "label": "", "field": "id", "align": "right"}],
            rows=[],
            row_key="id",
            pagination=page_size,
        )
        .props("flat dense loading")  # loading until the page's first read fills it
        .classes("w-full"),
        test_id,
    )
    box.bind_value_to(table, "filter")
    return toolbar, table


def fmt_number(value: float | None) -> str:
    """A rate or fee: whole numbers without decimals, others with two; null as —."""
    if value is None:
        return "—"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def day_or_none(value: Any) -> date | None:
    """A form's date text as a date (ValueError if it is not one); empty as None."""
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _same(new: Any, old: Any) -> bool:
    if new in ("", None) and old in ("", None):
        return True
    if isinstance(new, int | float) and isinstance(old, int | float) and not isinstance(new, bool):
        return float(new) == float(old)
    return str(new) == str(old) if new is not None and old is not None else new == old


def changes(
    values: Mapping[str, Any], original: Mapping[str, Any], names: Iterable[str]
) -> dict[str, Any]:
    """The fields the form changed (an empty text counts as no value), as a PATCH body."""
    return {
        name: (None if values[name] == "" else values[name])
        for name in names
        if name in values and not _same(values[name], original.get(name))
    }
