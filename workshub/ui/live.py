"""The seed's dashboard hooks as page helpers (SPEC §10): a page subscribes to the live store's
keys, seeds its view-model from the cached snapshot, and applies each pushed diff.

A subscription belongs to the page's client and ends when the client is deleted (a page kept
through a reconnect gap keeps it; past the gap the page is rebuilt and subscribes afresh).
Nothing here polls: the store pushes, the view-model's bindable properties update the few
elements bound to them.

Optimistic edits (SPEC §1) live here too: a view keeps the confirmed base apart from the pending
overlays (`workshub.ui.optimistic.Layers`); `data` is the base with the overlays on top. Edits
reach a view through the store's `optimistic_update` / `update_confirmed` events, which go to
the editing view alone (`workshub.ui.actions.edit`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from nicegui import background_tasks, binding, context

from workshub.app import System
from workshub.domain.dashboards.compute import strip_money
from workshub.domain.dashboards.keys import DashboardKey
from workshub.domain.events import DataUpdated, OptimisticUpdate, UpdateConfirmed
from workshub.domain.scope import Viewer
from workshub.domain.timeutil import iso_utc
from workshub.live.store import Snapshot
from workshub.ui.actions import PendingEdit
from workshub.ui.optimistic import Layers, Op, SetField

__all__ = [
    "SETTLE_AFTER_S",
    "LiveDashboard",
    "LivePage",
    "LocalView",
    "dashboard_socket",
    "live_dashboard",
    "unified_dashboard",
]

log = logging.getLogger(__name__)

OnChange = Callable[[dict[str, Any], dict[str, Any]], None]
EditEvent = OptimisticUpdate | UpdateConfirmed

# A confirmed overlay still waiting this long for a base that includes its write is settled by
# re-reading (a recompute that found nothing changed pushes nothing).
SETTLE_AFTER_S = 10.0


class Layered:
    """What every view with optimistic edits shares: the layers, `pending` for a subtle
    indicator, the edit events, and settling overlays that wait too long."""

    pending = binding.BindableProperty()
    pending_fields = binding.BindableProperty()  # frozenset: the fields pending edits change
    settle_after_s = SETTLE_AFTER_S

    def __init__(self, data_type: str) -> None:
        self.data_type = data_type
        self.layers = Layers()
        self.pending = False
        self.pending_fields = frozenset()
        self._settle_timer: asyncio.TimerHandle | None = None

    def on_edit(self, event: EditEvent) -> None:
        """The store's `dashboard.optimistic_update` / `dashboard.update_confirmed`, for an edit
        made on this view."""
        now = _loop_time()
        fields_before = self.layers.fields()
        rid = event.request_id
        if isinstance(event, OptimisticUpdate):
            self.layers.add(rid, tuple(event.data.get("ops") or ()), now=now)
        elif not event.success:
            if not self.layers.rollback(rid):
                return
        elif not self.layers.confirm(rid, seq=event.seq, now=now):
            self._arm_settle()
            return  # still shown; waits for a base with as_of >= seq
        self._show(None, fields_before)

    def conflicted(self) -> None:
        """A write met a newer version: show the current data as soon as possible."""

    def _show(self, base_changed: Mapping[str, Any] | None, fields_before: frozenset[str]) -> None:
        raise NotImplementedError

    def _mark_pending(self) -> None:
        self.pending = self.layers.pending
        self.pending_fields = self.layers.fields()

    def _reread(self, overdue: list[str]) -> None:
        raise NotImplementedError

    def _arm_settle(self) -> None:
        if self._settle_timer is None:
            loop = asyncio.get_running_loop()
            self._settle_timer = loop.call_later(self.settle_after_s, self._settle_overdue)

    def _settle_overdue(self) -> None:
        self._settle_timer = None
        overdue = self.layers.overdue(now=_loop_time(), after=self.settle_after_s)
        if overdue:
            log.info("%d overlays of %s waited too long; re-reading", len(overdue), self.data_type)
            self._reread(overdue)
        if any(o.confirmed for o in self.layers.overlays.values()):
            self._arm_settle()

    def close(self) -> None:
        """The page is gone: no more settling."""
        self._stop_settling()

    def _stop_settling(self) -> None:
        if self._settle_timer is not None:
            self._settle_timer.cancel()
            self._settle_timer = None


def _loop_time() -> float:
    return asyncio.get_running_loop().time()


def _changed(old: Mapping[str, Any], new: Mapping[str, Any], keys: Iterable[str]) -> dict[str, Any]:
    return {key: new.get(key) for key in keys if key not in old or old.get(key) != new.get(key)}


class LiveDashboard(Layered):
    """One data type in one scope, live (the seed's `useWebSocketDashboard`).

    `data` is the full, money-stripped snapshot for this viewer with this viewer's pending edits
    on top; `on_change(data, changed)` runs after the first snapshot (changed = everything),
    after each pushed diff, and when an edit is shown, confirmed or rolled back.
    """

    # Bindable: what pages show about the view itself. version, computed_at and stale change
    # on every push and nothing binds them, so they are plain attributes (cheaper per push).
    loading = binding.BindableProperty()
    error = binding.BindableProperty()

    def __init__(
        self, system: System, key: DashboardKey, viewer: Viewer, on_change: OnChange | None = None
    ) -> None:
        super().__init__(key.type)
        self.system = system
        self.key = key
        self.viewer = viewer
        self.data: dict[str, Any] = {}
        self.loading = True
        self.error = None
        self.version = 0
        self.computed_at: str | None = None
        self.stale = False
        self._listeners: list[OnChange] = [on_change] if on_change else []
        self._own_listeners: list[OnChange] = list(self._listeners)  # not broadcast-covered
        self._unsubscribe: Callable[[], None] | None = None
        self._touch: OnChange | None = None  # the page's age tracker for this view
        # Shown through broadcast regions (workshub.ui.broadcast): a push's new age reaches the
        # browser with the broadcast, so the page need not send it to this client itself.
        self.shared = False
        self.pushing = False  # inside `_on_push`: the listeners see a pushed diff
        self.adopting = False  # inside `adopt`: the broadcast shows it, not the listeners
        # the newest version the broadcaster will hand over (`promise`): the view's own
        # subscription leaves that push to it
        self.promised = 0

    def on_change(self, listener: OnChange, *, broadcast: bool = False) -> None:
        """`listener(data, changed)` now (once loaded) and on every change. A `broadcast`
        listener shows what the broadcast carries (workshub.ui.broadcast): a push the view
        adopts from it skips that listener."""
        self._listeners.append(listener)
        if not broadcast:
            self._own_listeners.append(listener)
        if not self.loading:
            listener(self.data, self.data)

    async def start(self) -> None:
        """Seed from the cache (or compute once), then follow pushes."""
        store = self.system.store
        self._unsubscribe = store.subscribe(self.key, self._on_push, on_reread=self._on_reread)
        try:
            snapshot = store.get_cached(self.key) or await store.get(self.key)
        except Exception as exc:  # the store logs; the page shows why
            log.debug("first snapshot of %s failed", self.key, exc_info=True)
            self.error = f"Could not load this data: {exc}"
            self.loading = False
            return
        if self._unsubscribe is None:
            return  # stopped (switched away) while the first snapshot was computing
        self._apply_snapshot(snapshot)

    def stop(self) -> None:
        self._stop_settling()
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def refresh(self) -> bool:
        """A manual refresh (throttled by the store to once per key per 5 s). True if accepted."""
        return self.system.store.request_refresh(self.key, manual=True).accepted

    def optimistic_update(
        self,
        data: Mapping[str, Any] | Sequence[Op],
        *,
        action: str = "edit",
        request_id: str | None = None,
    ) -> PendingEdit:
        """The seed's `optimisticUpdate(data)`: show `data` (fields to replace, or overlay
        operations) at once, pending; then `commit` the returned edit's write, or `cancel` it.
        `workshub.ui.actions.edit` does both steps for the common case."""
        ops = [SetField(k, v) for k, v in data.items()] if isinstance(data, Mapping) else data
        return PendingEdit(self.system, self, ops, action=action, request_id=request_id)

    def _visible(self, data: dict[str, Any]) -> dict[str, Any]:
        return data if self.viewer.sees_money else strip_money(self.key.type, data)

    def _apply_snapshot(self, snapshot: Snapshot) -> None:
        if snapshot.version <= self.version:
            return
        first = self.loading
        fields_before = self.layers.fields()
        base = self._visible(dict(snapshot.data))
        self.layers.set_base(base, as_of=snapshot.as_of)
        self._stamp(snapshot.version, snapshot.computed_at.isoformat(), snapshot.stale)
        self._show(None if first else base, fields_before, everything=first)

    def _on_push(self, update: DataUpdated) -> None:
        if update.version <= max(self.version, self.promised):
            return  # versions decide, not arrival order; a promised push comes by `adopt`
        self.take(update)

    def _on_reread(self, version: int, as_of: int) -> None:
        """The store re-read the key as of `as_of` and found the data this view holds: the
        edits waiting for a base that new are confirmed (without it they would wait for the
        next change, or the overdue re-read)."""
        if version != self.version or not self.layers.overlays or as_of <= self.layers.as_of:
            return
        fields_before = self.layers.fields()
        if self.layers.merge_base({}, as_of=as_of):
            self._show(None, fields_before)

    def take(self, update: DataUpdated) -> None:
        """Apply a push (a diff from the version this view holds, or every field)."""
        if update.version <= self.version:
            return
        changed = self._visible(dict(update.changed))
        snapshot = self.system.store.peek(self.key)
        computed_at = iso_utc(snapshot.computed_at) if snapshot else self.computed_at
        self.pushing = True
        try:
            if not self.layers.overlays and not self.loading:
                self._push_plain(update, changed, computed_at)
                return
            fields_before = self.layers.fields()
            self.layers.merge_base(changed, as_of=update.as_of)
            self._stamp(update.version, computed_at, False)
            self._show(changed, fields_before)
        finally:
            self.pushing = False

    def _push_plain(
        self, update: DataUpdated, changed: dict[str, Any], computed_at: str | None
    ) -> None:
        """The common case, once per viewer per push: no pending edits, so the view is the
        base and the pushed diff is what changed (a diff holds only fields that differ)."""
        self.layers.merge_base(changed, as_of=update.as_of)
        self.data = self.layers.base
        self._stamp(update.version, computed_at, False)
        if changed:
            self._notify(changed)

    def promise(self, version: int) -> bool:
        """Whether the broadcaster may hand this view `version` later by `adopt` (no pending
        edits, loaded, older); if so, the view's own subscription skips that push."""
        if self.layers.overlays or self.loading or version <= self.version:
            return False
        self.promised = max(self.promised, version)
        return True

    def adopt(
        self,
        data: dict[str, Any],
        changed: dict[str, Any],
        *,
        version: int,
        as_of: int,
        computed_at: str | None,
    ) -> bool:
        """Take a push the broadcaster already rendered for everyone (workshub.ui.broadcast):
        `data` is the visible snapshot shared by every viewer of this key who sees the same
        money, never mutated; `changed` its visible diff. False, taking nothing, if this view
        shows pending edits or waits for its first snapshot: its own subscription handles the
        push then. The view's own push that follows is older than what it holds: ignored."""
        if self.layers.overlays or self.loading or version <= self.version:
            return False
        self.layers.adopt_base(data, as_of=as_of)
        self.data = data
        self._stamp(version, computed_at, False)
        self.pushing = self.adopting = True
        try:
            self._notify(changed, self._own_listeners)
        finally:
            self.pushing = self.adopting = False
        return True

    def _stamp(self, version: int, computed_at: str | None, stale: bool) -> None:
        self.version = version
        self.computed_at = computed_at
        self.stale = stale
        if self.error is not None:
            self.error = None
        if self.loading:
            self.loading = False

    def _show(
        self,
        base_changed: Mapping[str, Any] | None,
        fields_before: frozenset[str],
        *,
        everything: bool = False,
    ) -> None:
        """Recompute the view; tell the listeners which fields look different now."""
        old, self.data = self.data, self.layers.view()
        self._mark_pending()
        if everything:
            changed = self.data
        else:
            keys = set(base_changed or ()) | fields_before | self.layers.fields()
            changed = _changed(old, self.data, keys)
            if base_changed is None and not changed:
                return  # an edit event that shows nothing new
        if self.loading:
            return  # the first snapshot will tell everything
        self._notify(changed)

    def _notify(self, changed: dict[str, Any], listeners: list[OnChange] | None = None) -> None:
        for listener in self._listeners if listeners is None else listeners:
            try:
                listener(self.data, changed)
            except Exception:
                log.exception("page listener failed for %s", self.key)

    def conflicted(self) -> None:
        self.system.store.request_refresh(self.key, manual=False)

    def _reread(self, overdue: list[str]) -> None:
        """Settle overlays that waited too long: take the store's latest snapshot (its as_of
        moves on even when a recompute changed nothing) and ask for a fresh one."""
        fields_before = self.layers.fields()
        snapshot = self.system.store.get_cached(self.key)
        if snapshot is not None and snapshot.as_of > self.layers.as_of:
            self.layers.set_base(self._visible(dict(snapshot.data)), as_of=snapshot.as_of)
            if snapshot.version > self.version:
                self._stamp(snapshot.version, snapshot.computed_at.isoformat(), snapshot.stale)
        self.layers.drop(overdue)
        self._show(None, fields_before)
        self.system.store.request_refresh(self.key, manual=False)


class LocalView(Layered):
    """Data a page reads itself (a week of entries, a client's pulses) with the same optimistic
    layers as a live view. The page passes each read as the base with `as_of` = the hub's seq
    taken *before* the read started; `render(data)` shows base + overlays; `reread()` asks the
    page to read again (after a confirmed edit, after a conflict, for an overdue overlay)."""

    def __init__(
        self,
        data_type: str,
        *,
        render: Callable[[dict[str, Any]], None],
        reread: Callable[[], None],
    ) -> None:
        super().__init__(data_type)
        self._render = render
        self._reread_page = reread

    @property
    def data(self) -> dict[str, Any]:
        return self.layers.view()

    def set_base(self, data: Mapping[str, Any], *, as_of: int) -> None:
        if as_of < self.layers.as_of:
            return  # a read that started before the one shown: older, so not shown
        fields_before = self.layers.fields()
        self.layers.set_base(data, as_of=as_of)
        self._show(data, fields_before)

    def reset(self, data: Mapping[str, Any], *, as_of: int) -> None:
        """Another base altogether (another week): pending overlays stop showing here (their
        writes still finish and report)."""
        self.layers.reset(data, as_of=as_of)
        self._show(data, frozenset())

    def on_edit(self, event: EditEvent) -> None:
        super().on_edit(event)
        if isinstance(event, UpdateConfirmed) and event.success:
            self._reread_page()  # the authoritative read replaces the overlay

    def conflicted(self) -> None:
        self._reread_page()

    def _show(self, base_changed: Mapping[str, Any] | None, fields_before: frozenset[str]) -> None:
        self._mark_pending()
        self._render(self.layers.view())

    def _reread(self, overdue: list[str]) -> None:
        self.layers.drop(overdue)
        self._show(None, frozenset())
        self._reread_page()


class LivePage:
    """Everything live on one page for one viewer: its dashboards, refresh-all, and the data's
    age shown in the header. Created at the top of a page function."""

    def __init__(self, system: System, viewer: Viewer) -> None:
        self.system = system
        self.viewer = viewer
        self.dashboards: list[LiveDashboard] = []
        self.age: str | None = None  # newest computed_at among this page's dashboards (ISO)
        # (iso, quiet): quiet when the broadcast already carried the new age to the browser
        self.on_age: list[Callable[[str, bool], None]] = []
        context.client.on_delete(self.close)

    def dashboard(
        self,
        data_type: str,
        scope: str,
        scope_id: int,
        week: date | None = None,
        on_change: OnChange | None = None,
    ) -> LiveDashboard:
        key = DashboardKey(data_type, scope, scope_id, week)
        view = LiveDashboard(self.system, key, self.viewer, on_change)
        view._touch = lambda _data, _changed: self._touch(view)
        view.on_change(view._touch)
        self.dashboards.append(view)
        background_tasks.create(view.start(), name=f"live {key}")
        return view

    def replace(self, old: LiveDashboard, **kwargs: Any) -> LiveDashboard:
        """Switch a view to another key (a week or team picker), keeping its listeners."""
        old.stop()
        self.dashboards.remove(old)
        key = DashboardKey(
            kwargs.get("data_type", old.key.type),
            kwargs.get("scope", old.key.scope),
            kwargs.get("scope_id", old.key.scope_id),
            kwargs.get("week", old.key.week),
        )
        view = LiveDashboard(self.system, key, self.viewer)
        # the page's own listeners follow; broadcast regions are moved by their broadcaster
        kept = [listener for listener in old._own_listeners if listener is not old._touch]
        view._touch = lambda _data, _changed: self._touch(view)
        view._listeners = [*kept, view._touch]
        view._own_listeners = list(view._listeners)
        self.dashboards.append(view)
        background_tasks.create(view.start(), name=f"live {key}")
        return view

    def refresh_all(self) -> tuple[int, int]:
        """(accepted, throttled) manual refreshes of every key on the page."""
        results = [view.refresh() for view in self.dashboards]
        return sum(results), len(results) - sum(results)

    def close(self) -> None:
        for view in self.dashboards:
            view.stop()
        self.dashboards.clear()

    def _touch(self, view: LiveDashboard) -> None:
        if view.computed_at and (self.age is None or view.computed_at > self.age):
            self.age = view.computed_at
            quiet = view.shared and view.pushing and not view.layers.pending
            for listener in self.on_age:
                listener(view.computed_at, quiet)


def live_dashboard(
    page: LivePage, data_type: str, scope: str, scope_id: int, week: date | None = None
) -> LiveDashboard:
    """The seed's `useWebSocketDashboard(type, options)`: one live data type on this page."""
    return page.dashboard(data_type, scope, scope_id, week)


class UnifiedDashboard:
    """The seed's `useUnifiedDashboard`: comprehensive parts, today and client health."""

    def __init__(self, page: LivePage, parts: dict[str, LiveDashboard]) -> None:
        self.page = page
        self.parts = parts
        self.today = parts.get("today")
        self.client_health = parts.get("client_health")
        self.comprehensive = {k: v for k, v in parts.items() if k not in ("today", "client_health")}

    def refresh_all(self) -> tuple[int, int]:
        return self.page.refresh_all()


def unified_dashboard(
    page: LivePage, *, selected_week: date, team_id: int | None = None
) -> UnifiedDashboard:
    viewer = page.viewer
    scope, scope_id = ("team", team_id) if team_id is not None else ("org", 0)
    parts: dict[str, LiveDashboard] = {
        "today": page.dashboard("today", "user", viewer.id),
        "metrics": page.dashboard("metrics", scope, scope_id or 0, selected_week),
    }
    if viewer.org_wide or viewer.led_team_ids:
        parts["team_data"] = page.dashboard("team_data", scope, scope_id or 0, selected_week)
        parts["active_timers"] = page.dashboard("active_timers", scope, scope_id or 0)
        client_scope = ("org", 0) if viewer.org_wide else ("manager", viewer.id)
        parts["client_data"] = page.dashboard("client_data", *client_scope, selected_week)
        parts["client_health"] = page.dashboard("client_health", *client_scope, selected_week)
    return UnifiedDashboard(page, parts)


def dashboard_socket(page: LivePage) -> dict[str, Any]:
    """The seed's `useDashboardWebSocket`: connection health and the store's cached reads."""
    store = page.system.store
    return {
        "connection_health": store.connection_health,
        "request_refresh": lambda key: store.request_refresh(key, manual=True),
        "get_cached_data": store.get_cached,
        "dashboards": tuple(page.dashboards),
    }


def keys_of(views: Iterable[LiveDashboard]) -> list[str]:
    return [str(view.key) for view in views]
