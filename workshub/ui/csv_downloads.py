"""CSV download buttons for the pages: time entries through the same code as the API's
`/time-entries.csv` (read off the event loop, scoped to whoever clicks), and a dashboard table
from the data the page shows. The file goes through the page's websocket (`ui.download`), so it
needs no extra route and no token.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta

from nicegui import run, ui

from workshub.app import System
from workshub.csv_export import CSV_MEDIA_TYPE, entries_filename, export_entries
from workshub.domain.errors import DomainError
from workshub.domain.models import Role
from workshub.domain.timeutil import local_date, week_start
from workshub.ui.components import tid
from workshub.ui.session import require

__all__ = ["corner", "entries_button", "table_button", "this_week"]

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


def _button(label: str, marker: str, on_click: Callable[[], object]) -> ui.button:
    button = ui.button(label, icon="download", on_click=on_click)
    return tid(button.props("flat dense no-caps size=sm color=primary"), marker)


def entries_button(
    system: System,
    *,
    label: str,
    marker: str,
    scope: EntriesScope,
    roles: Iterable[Role] | None = None,
) -> ui.button:
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

    return _button(label, marker, download)


def table_button(
    system: System,
    *,
    label: str,
    marker: str,
    export: TableExport,
    roles: Iterable[Role] | None = None,
) -> ui.button:
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

    return _button(label, marker, download)
