"""What optimistic edits look like on a page: a subtle "Saving…" while an edit is pending, an
undo bar for deletes (and an entry's delete offered with it), and one way to tell the person why
an edit did not stick.

One undo bar per page (not per row): a second delete commits the first one's at once, as mail
clients do with "Undo send".
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from nicegui import binding, context, ui
from nicegui.client import Client

from workshub.app import System
from workshub.domain.scope import Viewer
from workshub.domain.services import entries as entry_service
from workshub.ui.actions import EditTarget, Outcome, PendingEdit, recheck
from workshub.ui.components import tid
from workshub.ui.optimistic import Op
from workshub.ui.session import current_viewer

__all__ = [
    "UNDO_SECONDS",
    "EntryDeletes",
    "UndoBar",
    "on_single_click",
    "report_failure",
    "saving_indicator",
]

UNDO_SECONDS = 5.0

# The browser counts the clicks of a double click (event.detail 2, 3, ...): only the first is
# sent, so a double click on Start starts one timer and two deliberate clicks stay two.
SINGLE_CLICK_JS = "(e) => { if (!(e && e.detail > 1)) emit(); }"

UNDO_STYLE = (
    "position: fixed; left: 50%; bottom: 24px; transform: translateX(-50%); z-index: 6000;"
    "max-width: calc(100vw - 24px); border-radius: 8px; padding: 6px 8px 6px 16px;"
    "box-shadow: 0 6px 24px rgba(15, 23, 42, .25)"
)


def saving_indicator(
    source: Any,
    attribute: str = "pending",
    *,
    when: Callable[[Any], bool] = bool,
    test_id: str = "edit-pending",
) -> ui.row:
    """A small spinner and "Saving…", shown while `when(source.attribute)` holds — next to
    the thing being saved (a view's `pending_fields` tells which parts an edit changes)."""
    with ui.row().classes("items-center gap-1 no-wrap text-grey-7 text-caption") as row:
        ui.spinner("dots", size="1.2em", color="grey-7")
        ui.label("Saving…")
    row.bind_visibility_from(source, attribute, backward=when)
    return tid(row, test_id)


def on_single_click(button: ui.button, handler: Callable[[], Any]) -> ui.button:
    """`handler` for each click of `button`, but once for a double (or triple) click."""
    return button.on("click", handler, js_handler=SINGLE_CLICK_JS)


@binding.bindable_dataclass
class _UndoModel:
    message: str = ""
    open: bool = False


class UndoBar:
    """`await bar.offer("Entry deleted.")` → True if the person pressed Undo within the time,
    False when the time ran out, they closed the bar, or a newer offer replaced this one."""

    def __init__(self, *, seconds: float = UNDO_SECONDS) -> None:
        self.seconds = seconds
        self.model = _UndoModel()
        self._offer: asyncio.Future[bool] | None = None
        with ui.row().classes("items-center no-wrap gap-3 bg-grey-9 text-white") as bar:
            ui.label().classes("text-body2").bind_text_from(self.model, "message")
            tid(
                ui.button("Undo", on_click=lambda: self._answer(True)).props(
                    "flat dense no-caps color=amber-4"
                ),
                "undo-button",
            )
            close = ui.button(icon="close", on_click=lambda: self._answer(False))
            close.props('flat dense round size=sm color=white aria-label="Dismiss"')
            tid(close, "undo-dismiss")
        bar.style(UNDO_STYLE).bind_visibility_from(self.model, "open")
        tid(bar, "undo-bar")

    async def offer(self, message: str) -> bool:
        self._answer(False)  # an earlier offer still open: it goes ahead now
        offer: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._offer = offer
        self.model.message, self.model.open = message, True
        try:
            return await asyncio.wait_for(asyncio.shield(offer), self.seconds)
        except TimeoutError:
            return False
        finally:
            if self._offer is offer:
                self._offer = None
                self.model.open = False

    def _answer(self, undo: bool) -> None:
        if self._offer is not None and not self._offer.done():
            self._offer.set_result(undo)


def report_failure(client: Client, outcome: Outcome[Any], *, what: str) -> None:
    """Why an edit was rolled back, as a notification (messages for fields go next to the
    fields instead). Nothing if the page is gone."""
    if client.is_deleted or outcome.ok:
        return
    with client, contextlib.suppress(RuntimeError):  # the page went away meanwhile
        if outcome.conflict:
            ui.notify(
                f"{what} was changed by someone else just now, so your change was not saved. "
                "It now shows the current version.",
                type="warning",
                multi_line=True,
                timeout=8000,
            )
        else:
            ui.notify(f"{what} was not saved: {outcome.error}", type="negative", multi_line=True)


class EntryDeletes:
    """Deleting time entries on one page: the row goes at once, with Undo for a few seconds, and
    the delete is written only after that (an undone delete writes nothing, and the entry keeps
    its id and history). Builds the page's undo bar where it is created."""

    def __init__(self, system: System, *, seconds: float = UNDO_SECONDS) -> None:
        self.system = system
        self.client = context.client
        self.undo = UndoBar(seconds=seconds)
        self._offered: set[int] = set()  # entries with an undo offer open

    async def delete(
        self,
        target: EditTarget,
        row: Mapping[str, Any],
        *,
        ops: Callable[[], Sequence[Op]],
        label: str,
    ) -> None:
        """Hide `row` on `target` (`ops()`, read once the person is checked), offer Undo with
        `label`, then write the delete at the version shown, or tell why it failed."""
        entry_id, version = int(row["id"]), int(row["version"])
        if entry_id in self._offered:
            return  # a double click: its undo offer is open already
        self._offered.add(entry_id)
        try:
            outcome = await self._offer(target, entry_id, version, ops=ops, label=label)
        finally:
            self._offered.discard(entry_id)
        if outcome is not None:
            report_failure(self.client, outcome, what="The entry")

    async def _offer(
        self,
        target: EditTarget,
        entry_id: int,
        version: int,
        *,
        ops: Callable[[], Sequence[Op]],
        label: str,
    ) -> Outcome[None] | None:
        me = await current_viewer(self.system)
        if me is None:
            ui.navigate.to("/login")
            return None
        pending = PendingEdit(
            self.system,
            target,
            ops(),
            action="entry.delete",
            request_id=f"entry.delete:{entry_id}:{version}",
        )
        if await self.undo.offer(label):
            pending.cancel()
            return None
        viewer = await recheck(self.system, me)  # the click was a while ago
        if viewer is None:
            pending.cancel()
            return None
        return await _write_delete(pending, viewer, entry_id, version)


async def _write_delete(
    pending: PendingEdit, viewer: Viewer, entry_id: int, version: int
) -> Outcome[None]:
    return await pending.commit(
        viewer,
        lambda uow: entry_service.delete_entry(uow, viewer, entry_id=entry_id, version=version),
        args={"entry_id": entry_id, "version": version},
    )
