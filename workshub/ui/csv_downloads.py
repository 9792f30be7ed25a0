"""CSV download buttons for the pages: time entries through the same code as the API's
`/time-entries.csv` (read off the event loop, scoped to whoever clicks), and a dashboard table
from the data the page shows. The file goes through the page's websocket (`ui.download`), so it
needs no extra route and no token.

A download is placed either as a button element (`entries_button`, `table_button`) or, in a
table's own corner, drawn by the table from a slot template (`download_slot`): no element per
button, the click arriving as the table's `download` event.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from html import escape

from nicegui import events, run, ui

from workshub.app import System
from workshub.csv_export import CSV_MEDIA_TYPE, entries_filename, export_entries
from workshub.domain.errors import DomainError
from workshub.domain.models import Role
from workshub.domain.timeutil import local_date, week_start
from workshub.ui.components import tid
from workshub.ui.session import require

__all__ = [
    "BUTTON_LOOK",
    "Download",
    "corner",
    "download_slot",
    "entries_button",
    "entries_download",
    "table_button",
    "table_download",
    "this_week",
]

# The week whose entries to export, and the team (None: the viewer's own entries).
EntriesScope = Callable[[], tuple[date, int | None]]
# The table as CSV bytes and its file name; None while the page has no data yet.
TableExport = Callable[[], tuple[bytes, str] | None]


def this_week(system: System) -> date:
    """The Monday of the current week in the organisation's timezone."""
    return week_start(local_date(system.clock.now(), system.tz))


@contextmanager
def corner(beside: ui.element | None = None) -> Iterator[ui.row]:
    """The top right corner of a section card, level with its title: the place for its
    download buttons. The card being built, or the one that holds `beside`."""
    slot = ui.context.slot if beside is None else beside.parent_slot
    if slot is None:
        raise ValueError("corner() needs an element inside a card")
    card = slot.parent
    card.classes("relative-position")
    with card, ui.row().classes("absolute-top-right q-ma-sm gap-1 no-wrap") as row:
        yield row


# A download button's look, as an element's props and as a slot template's attributes.
BUTTON_LOOK = 'flat dense no-caps size="sm" color="primary" icon="download"'


@dataclass(frozen=True)
class Download:
    label: str
    marker: str  # its test id, and the name its click sends from a slot template
    run: Callable[[], Awaitable[None]]  # checks who asks, makes the file, sends it


def _button(download: Download) -> ui.button:
    button = ui.button(download.label, on_click=download.run).props(BUTTON_LOOK)
    return tid(button, download.marker)


def download_slot(table: ui.table, downloads: Sequence[Download], slot: str = "top-right") -> None:
    """`downloads` as buttons the table draws in `slot` (a template, no elements); a click sends
    the table a `download` event naming the button's marker."""
    buttons = "".join(
        f'<q-btn {BUTTON_LOOK} label="{escape(d.label)}" data-testid="{escape(d.marker)}"'
        f" @click=\"$parent.$emit('download', {{name: '{escape(d.marker)}'}})\"></q-btn>"
        for d in downloads
    )
    table.add_slot(slot, f'<div class="row no-wrap gap-1">{buttons}</div>')
    by_marker = {d.marker: d for d in downloads}

    async def clicked(event: events.GenericEventArguments) -> None:
        chosen = by_marker.get(str((event.args or {}).get("name")))
        if chosen is not None:
            await chosen.run()

    table.on("download", clicked)


def entries_button(
    system: System,
    *,
    label: str,
    marker: str,
    scope: EntriesScope,
    roles: Iterable[Role] | None = None,
) -> ui.button:
    return _button(entries_download(system, label=label, marker=marker, scope=scope, roles=roles))


def entries_download(
    system: System,
    *,
    label: str,
    marker: str,
    scope: EntriesScope,
    roles: Iterable[Role] | None = None,
) -> Download:
    """Time entries of one week as CSV: the viewer's own, or a team's (`scope()` at click)."""

    async def download() -> None:
        me = await require(system, roles)
        if me is None:
            return
        monday, team_id = scope()
        sunday = monday + timedelta(days=6)
        try:
            content = await run.io_bound(
                export_entries,
                system.engine,
                me,
                first=monday,
                last=sunday,
                tz=system.tz,
                user_id=me.id if team_id is None else None,
                team_id=team_id,
            )
        except DomainError as error:  # e.g. the team is no longer theirs
            ui.notify(error.message, type="warning")
            return
        if content is None:  # the app is shutting down
            return
        prefix = "" if team_id is None else f"team-{team_id}"
        ui.download.content(content, entries_filename(monday, sunday, scope=prefix), CSV_MEDIA_TYPE)

    return Download(label, marker, download)


def table_button(
    system: System,
    *,
    label: str,
    marker: str,
    export: TableExport,
    roles: Iterable[Role] | None = None,
) -> ui.button:
    return _button(table_download(system, label=label, marker=marker, export=export, roles=roles))


def table_download(
    system: System,
    *,
    label: str,
    marker: str,
    export: TableExport,
    roles: Iterable[Role] | None = None,
) -> Download:
    """A dashboard table as CSV, from the data the page shows now (already scoped to it)."""

    async def download() -> None:
        me = await require(system, roles)
        if me is None:
            return
        made = export()
        if made is None:
            ui.notify("Nothing to download yet.", type="info")
            return
        content, filename = made
        ui.download.content(content, filename, CSV_MEDIA_TYPE)

    return Download(label, marker, download)
