"""One message per store key for every page that shows it (SPEC §1, §9).

NiceGUI's own path sends each client the whole changed element, serialised per client. For the
widgets many people watch at once (a team's people and timers, the KPIs), that per-client work
is most of the cost of a write. Here a *region* is one element rendered from one live key by a
pure function of the key's data; every region with the same name, key and money visibility looks
the same for everyone. On each push the broadcaster renders each such group once, keeps every
region's server-side element in step without sending it, and queues one message for the rooms
of all the clients showing it. Once the store's recomputes of the moment are done, the queued
messages go out as one socket.io `wh_live` emit (a list of messages, encoded once by
python-socketio) per set of clients: a timer start that changes a team's timers, hours and
KPIs reaches each manager's page as one frame, not three. `assets/workshub.js` applies each
message to the element whose `data-wh-live` names the region and key, unless that element
already shows a newer version (`data-wh-v`).

A region falls back to NiceGUI's per-client path whenever its page's view differs from the
shared snapshot (pending optimistic edits), for the first snapshot, after a key switch, and on
every (re)connect of its client — broadcasts are not replayed, so a reconnect re-sends each
region's current element, which the server has kept up to date.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from nicegui import background_tasks, core, ui
from nicegui.client import Client

from workshub.app import System
from workshub.domain.dashboards.compute import strip_money
from workshub.domain.dashboards.keys import DashboardKey
from workshub.domain.events import DataUpdated
from workshub.domain.timeutil import iso_utc
from workshub.ui.live import LiveDashboard

__all__ = [
    "EVENT",
    "Patch",
    "Region",
    "Renderer",
    "apply_quietly",
    "broadcaster",
    "region",
    "share_prop",
]

log = logging.getLogger(__name__)

EVENT = "wh_live"
# The longest a message waits for the other keys of its write (see Broadcaster._emit).
BATCH_MAX_WAIT_S = 0.05
# What a region shows, as a patch of its element: {"props": {...}}, {"style": {...}} and/or
# {"text": "..."};
# "m" names a method of the element's Vue component to call after it (e.g. "update_chart").
Patch = dict[str, Any]
Renderer = Callable[[System, Mapping[str, Any]], Patch]
Message = dict[str, Any]  # {"k": key, "v": version, "at": computed_at, "p": {region: patch}}


def apply_quietly(element: ui.element, patch: Patch, version: int) -> None:
    """Set the element's server-side state to `patch` without queueing an update: the state a
    (re)connect or a later per-client update sends. Values are shared by every client and never
    mutated, so they skip NiceGUI's observable wrapping too."""
    props = element._props
    for name, value in (patch.get("props") or {}).items():
        dict.__setitem__(props, name, value)
        if name == "innerHTML":  # ui.html's `content` mirrors it
            object.__setattr__(element, "___content", value)
    dict.__setitem__(props, "data-wh-v", version)
    for name, value in (patch.get("style") or {}).items():
        dict.__setitem__(element._style, name, value)
    if "text" in patch:
        text = patch["text"]
        object.__setattr__(element, "___text", text)
        element._text = text


_SHARED: dict[str, Any] = {}


def share_prop(element: ui.element, name: str, value: Any) -> None:
    """Give `element` a prop value that is the same for every client and never changes in
    place (a table's columns, a picker's options): one copy for all clients instead of
    NiceGUI's observable copy per client (a 26-week picker costs ~35 KB per page otherwise).
    NiceGUI replaces, never mutates, such props, so sharing is safe."""
    key = f"{name}:{value!r}"
    shared = _SHARED.setdefault(key, value)
    dict.__setitem__(element._props, name, shared)


@dataclass(eq=False)
class Region:
    name: str
    element: ui.element
    view: LiveDashboard
    render: Renderer
    client_id: str = ""  # the socket.io room of the element's client
    shown: int = 0  # the version of the key the element's state was rendered from
    overlaid: bool = False  # the element shows pending edits (rendered from the view's data)

    def __post_init__(self) -> None:
        self.client_id = self.element.client.id

    @property
    def client(self) -> Client:
        return self.element.client

    def tag(self) -> str:
        return f"{self.name} {self.view.key}"


Group = tuple[str, bool]  # region name, sees money


class Broadcaster:
    """Every region of one process, by key and group; one message per key and money
    visibility, batched into one `wh_live` emit per set of clients."""

    def __init__(self, system: System) -> None:
        self.system = system
        self.regions: dict[DashboardKey, dict[Group, set[Region]]] = {}
        self._unsubscribe: dict[DashboardKey, Callable[[], None]] = {}
        self._by_client: dict[str, list[Region]] = {}
        # the latest render of each group: (version, patch), shared by every page that shows
        # the group's shared data at that version (a page connecting, a first snapshot)
        self._rendered: dict[tuple[DashboardKey, Group], tuple[int, Patch]] = {}
        self.emits = 0  # socket.io emits (stats and tests)
        self._queued: dict[tuple[DashboardKey, bool], tuple[Message, list[str]]] = {}
        self._waiting = False  # queued messages wait for the store's recomputes (or the cap)
        self._asked_store = False  # an after_recomputes callback is registered
        self._cap: asyncio.TimerHandle | None = None
        self._sending = False
        self._adoptions: list[_Adoption] = []  # pushes queued or sent, not yet adopted

    # --- membership -------------------------------------------------------------------------

    def add(self, region: Region) -> None:
        client = region.client
        if client.id not in self._by_client:
            self._by_client[client.id] = []
            client.on_connect(lambda: self._resend(client.id))
            client.on_delete(lambda: self._forget(client.id))
        self._by_client[client.id].append(region)
        self._join(region)

    def move(self, region: Region, view: LiveDashboard) -> None:
        """The region's page switched it to another key (a week or team picker)."""
        self._leave(region)
        region.view, region.shown, region.overlaid = view, 0, False
        self._join(region)

    def _join(self, region: Region) -> None:
        view = region.view
        key = view.key
        dict.__setitem__(region.element._props, "data-wh-live", region.tag())
        group = (region.name, view.viewer.sees_money)
        self.regions.setdefault(key, {}).setdefault(group, set()).add(region)
        view.on_change(lambda data, changed: self._changed(region, view, data), broadcast=True)
        view.shared = True
        if key not in self._unsubscribe:
            # before every view of the key: they find the push delivered and skip it
            self._unsubscribe[key] = self.system.store.subscribe(key, self._on_push, first=True)

    def _leave(self, region: Region) -> None:
        key = region.view.key
        groups = self.regions.get(key)
        if groups is None:
            return
        group = (region.name, region.view.viewer.sees_money)
        members = groups.get(group)
        if members is not None:
            members.discard(region)
            if not members:
                del groups[group]
                self._rendered.pop((key, group), None)
        if not groups:
            del self.regions[key]
            self._unsubscribe.pop(key)()

    def _forget(self, client_id: str) -> None:
        for region in self._by_client.pop(client_id, []):
            self._leave(region)

    # --- per client -------------------------------------------------------------------------

    def _changed(self, region: Region, view: LiveDashboard, data: Mapping[str, Any]) -> None:
        """The region's view changed. A push the broadcast delivers costs nothing here;
        anything else (first data, pending edits, a rollback) goes to this client."""
        if view is not region.view or view.loading or view.adopting:
            return  # switched away, not loaded yet, or the broadcast shows it
        pending = view.layers.pending
        if region.shown >= view.version and not pending and not region.overlaid:
            return
        if pending:  # this viewer's own edits on top: rendered for this page alone
            patch = region.render(self.system, data)
        else:
            patch = self._render(region, view.key, data, view.version)
        apply_quietly(region.element, patch, view.version)
        region.shown, region.overlaid = view.version, pending
        region.element.update()

    def _render(
        self, region: Region, key: DashboardKey, data: Mapping[str, Any], version: int
    ) -> Patch:
        """The group's patch for the shared data at `version`, rendered once."""
        slot = (key, (region.name, region.view.viewer.sees_money))
        cached = self._rendered.get(slot)
        if cached is not None and cached[0] == version:
            return cached[1]
        patch = region.render(self.system, data)
        self._rendered[slot] = (version, patch)
        return patch

    def _resend(self, client_id: str) -> None:
        """A (re)connect: broadcasts sent while the socket was away are not replayed."""
        self._adopt()  # the elements first catch up with what was queued or sent
        for region in self._by_client.get(client_id, []):
            if region.shown:
                region.element.update()

    # --- the broadcast ----------------------------------------------------------------------

    def _on_push(self, update: DataUpdated) -> None:
        """Render each group once, queue its message for the pages that can take it, and
        leave the per-page bookkeeping (each view and element brought to the new version) to
        `_adopt`, after the message is sent: it costs ~15 µs a page, 3 ms a key at 200 pages,
        and would hold the message back while the other keys of the write still compute."""
        key = DashboardKey.parse(update.key)
        groups = self.regions.get(key)
        snapshot = self.system.store.peek(key)
        if not groups or snapshot is None or snapshot.version != update.version:
            return  # a newer push follows; the views fall back for anything missed
        version, at = snapshot.version, iso_utc(snapshot.computed_at)
        for money in (True, False):
            data: dict[str, Any] | None = None
            changed: dict[str, Any] = {}
            patches: dict[str, Patch] = {}
            rooms: set[str] = set()
            taking: list[tuple[Region, LiveDashboard, Patch]] = []
            for (name, sees_money), members in groups.items():
                if sees_money is not money:
                    continue
                if data is None:
                    data, changed = _visible(key, snapshot.data, update.changed, money)
                patch: Patch | None = None
                for region in members:
                    if not region.view.promise(version):
                        continue  # pending edits or no first snapshot: its own path shows it
                    if patch is None:
                        patch = self._render(region, key, data, version)
                    taking.append((region, region.view, patch))
                    rooms.add(region.client_id)
                if patch is not None:
                    patches[name] = patch
            if rooms:
                assert data is not None
                adoption = _Adoption(update, snapshot.data, data, changed, at, taking)
                self._adoptions.append(adoption)
                message = {"k": update.key, "v": version, "at": at, "p": patches}
                self._emit((key, money), message, list(rooms))

    def _adopt(self) -> None:
        """Bring each view and element of the messages sent to the version they carried:
        the state a (re)connect or a per-client update sends from now on."""
        adoptions, self._adoptions = self._adoptions, []
        for adoption in adoptions:
            adoption.apply(self._by_client)

    def _emit(self, slot: tuple[DashboardKey, bool], message: Message, rooms: list[str]) -> None:
        """Queue the message for the next batch; a newer message of the same key and
        visibility replaces one not yet sent (each renders every region of its key in full,
        so nothing is lost). The batch goes once the store has no recompute running — the
        keys one write changes (a team's timers, hours and KPIs) recompute side by side — so
        each client gets one message per write instead of one per key: the fan-out, a task
        and a websocket frame per client and message, is most of a push's cost. A store that
        is never idle (writes all over the organisation) holds a batch `BATCH_MAX_WAIT_S` at
        most."""
        self._queued[slot] = (message, rooms)
        if self._waiting:
            return
        self._waiting = True
        if not self._asked_store:
            self._asked_store = True
            self.system.store.after_recomputes(self._store_idle)  # at once if it is idle
        if self._waiting:
            self._cap = asyncio.get_running_loop().call_later(BATCH_MAX_WAIT_S, self._flush)

    def _store_idle(self) -> None:
        self._asked_store = False
        self._flush()

    def _flush(self) -> None:
        self._waiting = False
        if self._cap is not None:
            self._cap.cancel()
            self._cap = None
        if not self._sending and self._queued:
            self._sending = True
            background_tasks.create(self._send(), name="wh_live")

    async def _send(self) -> None:
        """Send the queued messages, one emit per set of clients, until none is left (while an
        emit is under way, newer messages queue: the sockets never fall behind on stale ones)."""
        try:
            while self._queued:
                queued, self._queued = self._queued, {}
                for rooms, messages in _by_rooms(queued.values()):
                    self.emits += 1
                    await core.sio.emit(EVENT, messages, room=rooms)
        finally:
            self._sending = False
            # behind the sockets' writer tasks the emits woke: the frames leave first
            asyncio.get_running_loop().call_soon(self._adopt)


@dataclass(eq=False)
class _Adoption:
    """One push's message, sent (or about to be), to be taken by the regions it went to."""

    update: DataUpdated
    snapshot_data: Mapping[str, Any]  # every field, for a view that cannot adopt any more
    data: dict[str, Any]  # visible to the group's viewers, shared
    changed: dict[str, Any]
    computed_at: str | None
    regions: list[tuple[Region, LiveDashboard, Patch]]  # each with the view it had then

    def apply(self, live_clients: Mapping[str, list[Region]]) -> None:
        update, version = self.update, self.update.version
        for region, view, patch in self.regions:
            if region.client_id not in live_clients or region.view is not view:
                continue  # its page closed, or switched the region to another key
            if view.data is not self.data:  # not adopted through another region of the view
                if view.version >= version:
                    continue  # it already shows this version or a newer one its own way
                if not view.adopt(
                    self.data,
                    self.changed,
                    version=version,
                    as_of=update.as_of,
                    computed_at=self.computed_at,
                ):
                    # an edit of its own began since the push: its own path shows the push,
                    # over the broadcast the browser already has
                    view.take(replace(update, changed=dict(self.snapshot_data)))
                    continue
            apply_quietly(region.element, patch, version)
            region.shown, region.overlaid = version, False


def _by_rooms(queued: Iterable[tuple[Message, list[str]]]) -> list[tuple[list[str], list[Message]]]:
    """The messages grouped by the exact set of clients they go to, in their order."""
    groups: dict[frozenset[str], tuple[list[str], list[Message]]] = {}
    for message, rooms in queued:
        group = groups.setdefault(frozenset(rooms), (rooms, []))
        group[1].append(message)
    return list(groups.values())


def _visible(
    key: DashboardKey, data: Mapping[str, Any], changed: Mapping[str, Any], money: bool
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The snapshot and its diff as viewers with (or without) money see them."""
    if money:
        return dict(data), dict(changed)
    return strip_money(key.type, dict(data)), strip_money(key.type, dict(changed))


def broadcaster(system: System) -> Broadcaster:
    found = system.extras.get("broadcaster")
    if not isinstance(found, Broadcaster):
        found = Broadcaster(system)
        system.extras["broadcaster"] = found
    return found


def region(
    system: System, name: str, element: ui.element, view: LiveDashboard, render: Renderer
) -> Region:
    """Show `render(system, data)` of `view`'s key in `element`, broadcast to everyone who
    shows the same region of the same key. `render` must depend on nothing but its arguments."""
    made = Region(name, element, view, render)
    broadcaster(system).add(made)
    return made
