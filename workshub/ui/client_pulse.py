"""A client's pulse on /clients/{id}: how the client feels this week (or an earlier one) — green,
amber or red with a note — written through `services.pulse.set_pulse` (a second write for the
same week replaces the first), and the recent pulses. Reloaded on every PulseSet for the client.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from nicegui import context, ui

from workshub.domain.events import DomainEvent, PulseSet
from workshub.domain.models import Role
from workshub.domain.scope import Viewer, load_viewer
from workshub.domain.services import pulse as pulse_service
from workshub.domain.timeutil import local_date, week_start
from workshub.ui.actions import read, write
from workshub.ui.client_widgets import CELL_SLOT, Reloader, week_label, week_options
from workshub.ui.components import RAG_ICON, rag_html, section, tid
from workshub.ui.live import LivePage
from workshub.ui.session import current_viewer

if TYPE_CHECKING:
    from sqlmodel import Session

__all__ = ["pulse_panel"]

PULSE_WEEKS = 12
HISTORY_WEEKS = 26
RATINGS = {rag: f"{icon} {rag.title()}" for rag, icon in RAG_ICON.items()}


def _reload_pulses(
    session: Session, viewer: Viewer, client_id: int, *, current: date, now: datetime
) -> list[dict[str, Any]] | None:
    me = load_viewer(session, viewer.id, session_version=viewer.session_version)
    if me is None:
        return None
    return pulse_service.list_pulses(
        session,
        me,
        client_id=client_id,
        first=current - timedelta(weeks=HISTORY_WEEKS - 1),
        last=current,
        now=now,
    )


def _pulse_row(pulse: dict[str, Any], current: date) -> dict[str, Any]:
    monday = date.fromisoformat(pulse["week"])
    return {
        "id": pulse["id"],
        "week": pulse["week"],
        "week_text": week_label(monday, current),
        "rag": pulse["rating"],
        "rag_html": rag_html(pulse["rating"]),
        "note": pulse.get("note") or "",
        "author": pulse.get("author_name") or "—",
    }


def _history_table() -> ui.table:
    columns: list[dict[str, Any]] = [
        {"name": "week", "label": "Week", "field": "week", "align": "left", "sortable": True},
        {"name": "rag", "label": "Pulse", "field": "rag", "align": "left"},
        {"name": "note", "label": "Note", "field": "note", "align": "left"},
        {"name": "author", "label": "By", "field": "author", "align": "left"},
    ]
    table = (
        ui.table(columns=columns, rows=[], row_key="id", pagination={"rowsPerPage": 5})
        .props("flat dense loading wrap-cells")
        .classes("w-full")
    )
    table.add_slot("body-cell", CELL_SLOT)
    return tid(table, "pulse-table")


async def pulse_panel(page: LivePage, client_id: int) -> None:
    """Build the pulse card: a week, a rating and a note, and the pulses of recent weeks."""
    system = page.system
    viewer = page.viewer
    current = week_start(local_date(system.clock.now(), system.tz))
    by_week: dict[str, dict[str, Any]] = {}

    with section("Pulse"):
        ui.label(
            "How does this client feel? One rating per week; saving again replaces it."
        ).classes("wh-subtitle q-mb-sm")
        with ui.row().classes("w-full items-center gap-3 wrap"):
            week = tid(
                ui.select(week_options(current, weeks=PULSE_WEEKS), value=current.isoformat())
                .props("outlined dense options-dense")
                .classes("min-w-[200px]"),
                "pulse-week",
            )
            rating = tid(ui.toggle(RATINGS).props("no-caps unelevated"), "pulse-rating")
            note = tid(
                ui.input("Note").props("outlined dense").classes("min-w-[220px] grow"),
                "pulse-note",
            )
            save = tid(
                ui.button("Save pulse", on_click=lambda: save_pulse()).props("unelevated"),
                "pulse-save",
            )
        state = ui.label().classes("wh-subtitle")
        table = _history_table()

    filled: list[object] = [None]  # what the form was last filled from

    def show_week(*, refill: bool = True) -> None:
        """Fill the form from the chosen week's pulse — on a reload only if that pulse changed,
        so a reload never overwrites what the user is typing."""
        found = by_week.get(str(week.value))
        stored = (week.value, found and (found["rating"], found.get("note"), found["author_id"]))
        if refill or stored != filled[0]:
            rating.value = found["rating"] if found else None
            note.value = found.get("note", "") if found else ""
            filled[0] = stored
        if found:
            state.set_text(f"Set by {found.get('author_name') or 'someone'}; saving replaces it.")
        else:
            state.set_text("No pulse for this week yet.")

    async def load() -> None:
        found = await read(
            system,
            lambda s: _reload_pulses(s, viewer, client_id, current=current, now=system.clock.now()),
        )
        if found is None:
            return
        by_week.clear()
        by_week.update((p["week"], p) for p in found)
        table.rows = [_pulse_row(p, current) for p in found]
        table.props(remove="loading")
        table.update()
        show_week(refill=False)

    reloader = Reloader(load, name=f"pulses of client {client_id}")

    def on_event(event: DomainEvent) -> None:
        if isinstance(event, PulseSet) and event.client_id == client_id:
            reloader.trigger()

    context.client.on_delete(system.hub.subscribe(on_event))
    week.on_value_change(lambda: show_week())
    await load()

    async def save_pulse() -> None:
        me = await current_viewer(system)
        if me is None or me.role not in (Role.manager, Role.slt, Role.admin):
            ui.navigate.to("/login")
            return
        if rating.value not in RATINGS:
            ui.notify("Pick green, amber or red first.", type="warning")
            return
        chosen = date.fromisoformat(str(week.value))
        value, text = str(rating.value), note.value or ""
        save.disable()
        try:
            outcome = await write(
                system,
                me,
                lambda uow: pulse_service.set_pulse(
                    uow,
                    me,
                    client_id=client_id,
                    week=chosen,
                    rating=value,
                    note=text,
                    tz=system.tz,
                ),
            )
        finally:
            save.enable()
        if outcome.ok:
            ui.notify("Pulse saved.", type="positive")
            reloader.trigger()
        else:
            ui.notify(outcome.error, type="negative")
