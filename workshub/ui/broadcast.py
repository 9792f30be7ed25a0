"""One message per store key for every page that shows it (SPEC §1, §9).

NiceGUI's own path sends each client the whole changed element, serialised per client. For the
widgets many people watch at once (a team's people and timers, the KPIs), that per-client work
is most of the cost of a write. Here a *region* is one element rendered from one live key by a
pure function of the key's data; every region with the same name, key and money visibility looks
the same for everyone. On each push the broadcaster renders each such group once, keeps every
region's server-side element in step without sending it, and emits one socket.io `wh_live`
message to the rooms of all the clients showing it (encoded once by python-socketio).
`assets/workshub.js` applies it to the element whose `data-wh-live` names the region and key,
unless that element already shows a newer version (`data-wh-v`).

A region falls back to NiceGUI's per-client path whenever its page's view differs from the
shared snapshot (pending optimistic edits), for the first snapshot, after a key switch, and on
every (re)connect of its client — broadcasts are not replayed, so a reconnect re-sends each
region's current element, which the server has kept up to date.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from nicegui import background_tasks, core, ui
from nicegui.client import Client

from workshub.app import System
from workshub.domain.dashboards.compute import strip_money
from workshub.domain.dashboards.keys import DashboardKey
from workshub.domain.events import DataUpdated
from workshub.domain.timeutil import iso_utc
from workshub.ui.live import LiveDashboard

__all__ = ["EVENT", "Patch", "Region", "Renderer", "apply_quietly", "broadcaster", "region"]

log = logging.getLogger(__name__)

EVENT = "wh_live"
# What a region shows, as a patch of its element: {"props": {...}}, {"style": {...}} and/or
# {"text": "..."};
# "m" names a method of the element's Vue component to call after it (e.g. "update_chart").
Patch = dict[str, Any]
Renderer = Callable[[System, Mapping[str, Any]], Patch]


def apply_quietly(element: ui.element, patch: Patch, version: int) -> None:
    """Set the element's server-side state to `patch` without queueing an update: the state a
    (re)connect or a later per-client update sends. Values are shared by every client and never
    mutated, so they skip NiceGUI's observable wrapping too."""
    props = element._props
    for name, value in (patch.get("props") or {}).items():
        dict.__setitem__(props, name, value)
    dict.__setitem__(props, "data-wh-v", version)
    for name, value in (patch.get("style") or {}).items():
        dict.__setitem__(element._style, name, value)
    if "text" in patch:
        text = patch["text"]
        object.__setattr__(element, "___text", text)
        element._text = text


@dataclass(eq=False)
class Region:
    name: str
    element: ui.element
    view: LiveDashboard
    render: Renderer
    shown: int = 0  # the version of the key the element's state was rendered from
    overlaid: bool = False  # the element shows pending edits (rendered from the view's data)

    @property
    def group(self) -> tuple[str, DashboardKey, bool]:
        return self.name, self.view.key, self.view.viewer.sees_money

    @property
    def client(self) -> Client:
        return self.element.client

    def tag(self) -> str:
        return f"{self.name} {self.view.key}"


class Broadcaster:
    """Every region of one process, by key; one `wh_live` emit per key and money visibility."""

    def __init__(self, system: System) -> None:
        self.system = system
        self.regions: dict[DashboardKey, set[Region]] = defaultdict(set)
        self._unsubscribe: dict[DashboardKey, Callable[[], None]] = {}
        self._by_client: dict[str, list[Region]] = {}
        self.emits = 0  # messages emitted (stats and tests)

    # --- membership -------------------------------------------------------------------------

    def add(self, region: Region) -> None:
        client = region.client
        if client.id not in self._by_client:
            self._by_client[client.id] = []
            client.on_connect(lambda: self._resend(client.id))
            client.on_delete(lambda: self._forget(client.id))
        self._by_client[client.id].append(region)
        self._join(region)
        region.view.on_change(lambda data, changed: self._changed(region, data))
        region.view.shared = True

    def move(self, region: Region, view: LiveDashboard) -> None:
        """The region's page switched it to another key (a week or team picker)."""
        self._leave(region)
        region.view, region.shown, region.overlaid = view, 0, False
        dict.__setitem__(region.element._props, "data-wh-live", region.tag())
        self._join(region)
        view.on_change(lambda data, changed: self._changed(region, data))
        view.shared = True

    def _join(self, region: Region) -> None:
        key = region.view.key
        dict.__setitem__(region.element._props, "data-wh-live", region.tag())
        self.regions[key].add(region)
        if key not in self._unsubscribe:
            # subscribed before the views that register after it: the broadcast runs first
            self._unsubscribe[key] = self.system.store.subscribe(key, self._on_push)

    def _leave(self, region: Region) -> None:
        key = region.view.key
        members = self.regions.get(key)
        if members is None:
            return
        members.discard(region)
        if not members:
            del self.regions[key]
            self._unsubscribe.pop(key)()

    def _forget(self, client_id: str) -> None:
        for region in self._by_client.pop(client_id, []):
            self._leave(region)

    # --- per client -------------------------------------------------------------------------

    def _changed(self, region: Region, data: Mapping[str, Any]) -> None:
        """The region's view changed. A push the broadcast already delivered costs nothing
        here; anything else (first data, pending edits, a rollback) goes to this client."""
        view = region.view
        if view.loading or data is not view.data:
            return  # not this region's current view (switched away)
        pending = view.layers.pending
        if region.shown >= view.version and not pending and not region.overlaid:
            return
        self._show(region, view.data, view.version)
        region.overlaid = pending

    def _show(self, region: Region, data: Mapping[str, Any], version: int) -> None:
        apply_quietly(region.element, region.render(self.system, data), version)
        region.shown = version
        region.element.update()

    def _resend(self, client_id: str) -> None:
        """A (re)connect: broadcasts sent while the socket was away are not replayed."""
        for region in self._by_client.get(client_id, []):
            if region.shown:
                region.element.update()

    # --- the broadcast ----------------------------------------------------------------------

    def _on_push(self, update: DataUpdated) -> None:
        key = DashboardKey.parse(update.key)
        snapshot = self.system.store.peek(key)
        if snapshot is None or snapshot.version != update.version:
            return  # a newer push follows; the views fall back for anything missed
        groups: dict[tuple[str, bool], list[Region]] = defaultdict(list)
        for region in self.regions.get(key, ()):
            if region.view.layers.pending or region.overlaid or region.view.loading:
                continue  # shows this viewer's own pending edits: their view renders it
            if region.shown >= snapshot.version:
                continue
            groups[(region.name, region.view.viewer.sees_money)].append(region)
        if not groups:
            return
        at = iso_utc(snapshot.computed_at)
        for money in (True, False):
            data = snapshot.data if money else None
            patches: dict[str, Patch] = {}
            rooms: set[str] = set()
            for (name, sees_money), members in groups.items():
                if sees_money is not money:
                    continue
                if data is None:
                    data = strip_money(key.type, dict(snapshot.data))
                patch = members[0].render(self.system, data)
                patches[name] = patch
                for region in members:
                    apply_quietly(region.element, patch, snapshot.version)
                    region.shown = snapshot.version
                    client = region.client
                    if client.has_socket_connection:
                        rooms.add(client.id)
            if rooms:
                message = {"k": str(key), "v": snapshot.version, "at": at, "p": patches}
                self.emits += 1
                background_tasks.create(
                    core.sio.emit(EVENT, message, room=sorted(rooms)), name="wh_live"
                )


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
