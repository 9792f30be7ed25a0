"""The seed's dashboard hooks as page helpers (SPEC §10): a page subscribes to the live store's
keys, seeds its view-model from the cached snapshot, and applies each pushed diff.

A subscription belongs to the page's client and ends when the client is deleted (a page kept
through a reconnect gap keeps it; past the gap the page is rebuilt and subscribes afresh).
Nothing here polls: the store pushes, the view-model's bindable properties update the few
elements bound to them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from nicegui import background_tasks, binding, context

from workshub.app import System
from workshub.domain.dashboards.compute import strip_money
from workshub.domain.dashboards.keys import DashboardKey
from workshub.domain.events import DataUpdated
from workshub.domain.scope import Viewer
from workshub.domain.timeutil import iso_utc
from workshub.live.store import Snapshot

__all__ = ["LiveDashboard", "LivePage", "dashboard_socket", "live_dashboard", "unified_dashboard"]

log = logging.getLogger(__name__)

OnChange = Callable[[dict[str, Any], dict[str, Any]], None]


class LiveDashboard:
    """One data type in one scope, live (the seed's `useWebSocketDashboard`).

    `data` is the full, money-stripped snapshot for this viewer; `on_change(data, changed)` runs
    after the first snapshot (changed = everything) and after each pushed diff.
    """

    loading = binding.BindableProperty()
    error = binding.BindableProperty()
    version = binding.BindableProperty()
    computed_at = binding.BindableProperty()
    stale = binding.BindableProperty()

    def __init__(
        self, system: System, key: DashboardKey, viewer: Viewer, on_change: OnChange | None = None
    ) -> None:
        self.system = system
        self.key = key
        self.viewer = viewer
        self.data: dict[str, Any] = {}
        self.loading = True
        self.error = None
        self.version = 0
        self.computed_at = None
        self.stale = False
        self._listeners: list[OnChange] = [on_change] if on_change else []
        self._unsubscribe: Callable[[], None] | None = None
        self._touch: OnChange | None = None  # the page's age tracker for this view

    def on_change(self, listener: OnChange) -> None:
        self._listeners.append(listener)
        if not self.loading:
            listener(self.data, self.data)

    async def start(self) -> None:
        """Seed from the cache (or compute once), then follow pushes."""
        store = self.system.store
        self._unsubscribe = store.subscribe(self.key, self._on_push)
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
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def refresh(self) -> bool:
        """A manual refresh (throttled by the store to once per key per 5 s). True if accepted."""
        return self.system.store.request_refresh(self.key, manual=True).accepted

    def _visible(self, data: dict[str, Any]) -> dict[str, Any]:
        return data if self.viewer.sees_money else strip_money(self.key.type, data)

    def _apply_snapshot(self, snapshot: Snapshot) -> None:
        if snapshot.version <= self.version:
            return
        self.data = self._visible(dict(snapshot.data))
        self._commit(snapshot.version, snapshot.computed_at.isoformat(), snapshot.stale, self.data)

    def _on_push(self, update: DataUpdated) -> None:
        if update.version <= self.version:
            return  # versions decide, not arrival order
        changed = self._visible(dict(update.changed))
        self.data = {**self.data, **changed}
        snapshot = self.system.store.get_cached(self.key)
        computed_at = iso_utc(snapshot.computed_at) if snapshot else self.computed_at
        self._commit(update.version, computed_at, False, changed)

    def _commit(
        self, version: int, computed_at: str | None, stale: bool, changed: dict[str, Any]
    ) -> None:
        self.version = version
        self.computed_at = computed_at
        self.stale = stale
        self.error = None
        self.loading = False
        for listener in self._listeners:
            try:
                listener(self.data, changed)
            except Exception:
                log.exception("page listener failed for %s", self.key)


class LivePage:
    """Everything live on one page for one viewer: its dashboards, refresh-all, and the data's
    age shown in the header. Created at the top of a page function."""

    def __init__(self, system: System, viewer: Viewer) -> None:
        self.system = system
        self.viewer = viewer
        self.dashboards: list[LiveDashboard] = []
        self.age: str | None = None  # newest computed_at among this page's dashboards (ISO)
        self.on_age: list[Callable[[str], None]] = []
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
        view._listeners = [listener for listener in old._listeners if listener is not old._touch]
        view._touch = lambda _data, _changed: self._touch(view)
        view._listeners.append(view._touch)
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
            for listener in self.on_age:
                listener(view.computed_at)


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
