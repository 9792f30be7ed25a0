"""A client's pulse on /clients/{id}: how the client feels this week (or an earlier one) — green,
amber or red with a note — written through `services.pulse.set_pulse` (a second write for the
same week replaces the first), and the recent pulses. Reloaded on every PulseSet for the client.

Saving is optimistic (SPEC §1): the week's row shows the new rating at once, marked as saving,
and the next read (as new as the write) replaces it; a refused save goes away again with the
message next to its field.
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
from workshub.ui.actions import edit, read
from workshub.ui.client_widgets import CELL_SLOT, Reloader
from workshub.ui.components import RAG_ICON, rag_html, section, tid, week_label, week_options
from workshub.ui.edit_ops import pulse_ops
from workshub.ui.edit_widgets import on_single_click, report_failure, saving_indicator
from workshub.ui.live import LivePage, LocalView
from workshub.ui.optimistic import PENDING
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
    row = {
        "id": pulse["id"],
        "week": pulse["week"],
        "week_text": week_label(monday, current),
        "rag": pulse["rating"],
        "rag_html": rag_html(pulse["rating"]),
        "note": pulse.get("note") or "",
        "author": pulse.get("author_name") or "—",
    }
    if pulse.get(PENDING):  # not saved yet: a subtle mark instead of the author
        row |= {"author_text": "Saving…", "note_class": "wh-pending", "week_class": "wh-pending"}
    return row


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
    view = LocalView("pulses", render=lambda data: render(data), reread=lambda: reloader.trigger())
    context.client.on_delete(view.close)

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
            save = tid(ui.button("Save pulse").props("unelevated"), "pulse-save")
            on_single_click(save, lambda: save_pulse())  # a double click saves once
        with ui.row().classes("items-center gap-3"):
            state = ui.label().classes("wh-subtitle")
            saving_indicator(view)
        table = _history_table()

    filled: list[object] = [None]  # what the form was last filled from

    def render(data: dict[str, Any]) -> None:
        pulses = data.get("pulses") or []
        by_week.clear()
        by_week.update((p["week"], p) for p in pulses)
        table.rows = [_pulse_row(p, current) for p in pulses]
        table.props(remove="loading")
        table.update()
        show_week(refill=False)

    def show_week(*, refill: bool = True) -> None:
        """Fill the form from the chosen week's pulse — on a reload only if that pulse changed,
        so a reload never overwrites what the user is typing."""
        found = by_week.get(str(week.value))
        stored = (
            week.value,
            found and (found["rating"], found.get("note"), found.get("author_id")),
        )
        if refill or stored != filled[0]:
            rating.value = found["rating"] if found else None
            note.value = found.get("note", "") if found else ""
            filled[0] = stored
        if found and found.get(PENDING):
            state.set_text("Saving…")
        elif found:
            state.set_text(f"Set by {found.get('author_name') or 'someone'}; saving replaces it.")
        else:
            state.set_text("No pulse for this week yet.")

    async def load() -> None:
        as_of = system.hub.seq  # every write up to here is in this read
        found = await read(
            system,
            lambda s: _reload_pulses(s, viewer, client_id, current=current, now=system.clock.now()),
        )
        if found is None:
            return
        view.set_base({"pulses": found}, as_of=as_of)

    reloader = Reloader(load, name=f"pulses of client {client_id}")

    def on_event(event: DomainEvent) -> None:
        if isinstance(event, PulseSet) and event.client_id == client_id:
            reloader.trigger()

    context.client.on_delete(system.hub.subscribe(on_event))
    week.on_value_change(lambda: show_week())
    await load()

    async def save_pulse() -> None:
        client = context.client
        me = await current_viewer(system)
        if me is None or me.role not in (Role.manager, Role.slt, Role.admin):
            ui.navigate.to("/login")
            return
        if rating.value not in RATINGS:
            ui.notify("Pick green, amber or red first.", type="warning")
            return
        chosen = date.fromisoformat(str(week.value))
        value, text = str(rating.value), note.value or ""
        note.error = None
        shown = {
            "id": f"new-{chosen.isoformat()}",
            "week": chosen.isoformat(),
            "rating": value,
            "note": text,
            "author_id": me.id,
            "author_name": me.name,
        }
        outcome = await edit(
            system,
            me,
            view,
            pulse_ops(shown),
            lambda uow: pulse_service.set_pulse(
                uow,
                me,
                client_id=client_id,
                week=chosen,
                rating=value,
                note=text,
                tz=system.tz,
            ),
            action="pulse.set",
            args={"client_id": client_id, "week": chosen, "rating": value, "note": text},
        )
        if outcome.ok:
            ui.notify("Pulse saved.", type="positive")
            return
        rating.value, note.value = value, text  # rolled back: keep what they chose
        if outcome.fields and "note" in outcome.fields:
            note.error = outcome.fields["note"]  # next to the field it is about
        else:
            report_failure(client, outcome, what="The pulse")
