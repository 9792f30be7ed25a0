"""The live store: dashboard snapshots computed once, kept fresh by events, pushed as diffs.

SPEC §1: reads answer at once from the cache (an expired snapshot comes back stale while one
background recompute runs); concurrent requests for a key share one computation; a domain event
recomputes exactly the keys that depend on it, leading-edge, with at most one follow-up; each new
snapshot gets a process-wide version and only its changed top-level fields are pushed.

Under a stream of writes a change-driven recompute (a follow-up, or an event's own) starts
about `follow_up_gap_s` after the key's previous recompute began, and events while it waits
join it: each key then recomputes and pushes at most ~10 times a second however fast the
writes come, instead of once per write, which would leave the process no time for the writes
themselves (SPEC §9 writes). Waiting keys join rounds planned one gap apart (`_pause`), so a
stream of writes reaches each page as one frame per round. An event after a quiet spell still
recomputes at once. In a write storm (50 events a second) the gap is 400 ms at once, and under
overload `workshub.live.governor` stretches it (up to 400 ms) while the process is busy.

All state is touched only on the event loop. The computation itself is injected (sync, does
database work) and always runs in a worker thread, never on the loop.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random as _random
import time
from collections import deque
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from workshub.clock import Clock
from workshub.domain.dashboards.keys import DashboardKey
from workshub.domain.events import (
    DataUpdated,
    DomainEvent,
    EventHub,
    NotificationCreated,
    NotificationCreatedPush,
    OptimisticUpdate,
    ReferenceChanged,
    TeamHealthUpdated,
    UpdateConfirmed,
)
from workshub.domain.timeutil import iso_utc
from workshub.live.dependencies import affected_keys

__all__ = [
    "ComputeFn",
    "EditListener",
    "LiveStore",
    "RefreshResult",
    "Snapshot",
    "changed_fields",
]

log = logging.getLogger(__name__)

ComputeFn = Callable[[DashboardKey, datetime], dict[str, Any]]
KeyListener = Callable[[DataUpdated], None]
RereadListener = Callable[[int, int], None]  # (version, as_of): re-read, nothing changed
StorePush = DataUpdated | TeamHealthUpdated | NotificationCreatedPush
StoreListener = Callable[[StorePush], None]
TeamLeadsLoader = Callable[[], Mapping[int, int | None]]
EditListener = Callable[[OptimisticUpdate | UpdateConfirmed], None]

MANUAL_REFRESH_INTERVAL_S = 5.0
FOLLOW_UP_GAP_S = 0.1
JOIN_EARLY = 0.1  # of the gap: how much sooner a follow-up may begin to join a round
# A write storm: this many events within STORM_WINDOW_S (50 a second). During one the gap is
# at least STORM_GAP_S at once, before the governor has sampled the CPU it costs.
STORM_EVENTS = 10
STORM_WINDOW_S = 0.2
STORM_GAP_S = 0.4
RETRY_BASE_S = 1.0
RETRY_MAX_S = 60.0
TEAM_HEALTH_TYPES = frozenset({"metrics", "team_data"})


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One computed dashboard. `data` is never mutated once stored; `stale` is set on copies."""

    key: DashboardKey
    version: int
    computed_at: datetime  # the compute's "now"
    as_of: int  # hub seq when the recompute started
    data: dict[str, Any]
    stale: bool = False


@dataclass(frozen=True, slots=True)
class RefreshResult:
    """`version` is the snapshot served now; the refreshed one arrives as a push."""

    accepted: bool
    throttled: bool
    version: int | None


def changed_fields(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> dict[str, Any]:
    """Top-level fields whose value differs, with their new values (a dropped field → None)."""
    if old is None:
        return dict(new)
    changed = {name: value for name, value in new.items() if name not in old or old[name] != value}
    changed.update({name: None for name in old if name not in new})
    return changed


@dataclass(eq=False)
class _Subscription:
    callback: KeyListener
    seen: int | None = None  # the last version delivered
    on_reread: RereadListener | None = None


@dataclass(eq=False)
class _Entry:
    key: DashboardKey
    snapshot: Snapshot | None = None
    expires_at: float = 0.0
    inflight: asyncio.Task[Snapshot] | None = None
    begun: bool = False  # the inflight recompute has begun reading (a paced one waits first)
    began: float = -1e9  # time.monotonic() when the last recompute began (or was due to)
    follow_up: bool = False
    subscriptions: list[_Subscription] = field(default_factory=list)
    hits: int = 0
    misses: int = 0
    failures: int = 0
    last_error: str | None = None
    retry_at: float | None = None
    last_manual: float | None = None

    @property
    def wanted(self) -> bool:
        """Cached or watched: only such keys are recomputed without being asked."""
        return self.snapshot is not None or bool(self.subscriptions)


class LiveStore:
    """The process's dashboard cache and its fan-out. Built once by the composition root."""

    def __init__(
        self,
        compute: ComputeFn,
        *,
        clock: Clock,
        tz: ZoneInfo,
        team_leads: TeamLeadsLoader | None = None,
        random: Callable[[], float] = _random.random,
        manual_interval_s: float = MANUAL_REFRESH_INTERVAL_S,
        follow_up_gap_s: float = FOLLOW_UP_GAP_S,
        storm_gap_s: float = STORM_GAP_S,
        retry_base_s: float = RETRY_BASE_S,
        retry_max_s: float = RETRY_MAX_S,
    ) -> None:
        self._compute = compute
        self._clock = clock
        self._tz = tz
        self._load_team_leads = team_leads
        self._random = random
        self._manual_interval_s = manual_interval_s
        self.follow_up_gap_s = follow_up_gap_s
        self._storm_gap_s = storm_gap_s
        self._recent_events: deque[float] = deque(maxlen=STORM_EVENTS)  # time.monotonic()
        self._retry_base_s = retry_base_s
        self._retry_max_s = retry_max_s
        self._entries: dict[DashboardKey, _Entry] = {}
        self._listeners: list[StoreListener] = []
        self._edits: dict[str, EditListener] = {}
        self._version = int(clock.now().timestamp() * 1_000_000)
        self._hub: EventHub | None = None
        self._detach: Callable[[], None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._team_leads: Mapping[int, int | None] | None = None
        self._leads_task: asyncio.Task[None] | None = None
        self._leads_failed = False
        self._last_refresh: dict[str, datetime] = {}
        self._connected = 0
        self._hits = 0
        self._misses = 0
        self._computing = 0  # recomputes reading or storing right now
        self._next_round: float | None = None  # when the latest planned follow-ups begin
        self._idle_callbacks: list[Callable[[], None]] = []
        # Recomputes run one after another on one thread of their own. A recompute is mostly
        # Python (SQLAlchemy, the metric code), so threads side by side gain nothing under the
        # GIL; they only made each other and the API's writers wait longer for it. Measured on
        # a 2-core box, 200 dashboards, 250 timer writes a second: SQLite's write gate busy
        # ~66 → ~50 %, request p99 ~140 → ~110 ms, saturation ~283 → ~303/s.
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="workshub-recompute")

    # --- reads ------------------------------------------------------------------------------

    def get_cached(self, key: DashboardKey) -> Snapshot | None:
        """The cached snapshot at once, or None. Expired → a stale copy, and one recompute."""
        entry = self._entries.get(key)
        if entry is None:
            self._misses += 1
            return None
        return self._read(entry)

    def peek(self, key: DashboardKey) -> Snapshot | None:
        """The latest snapshot as it is, for a subscriber handling its push: not counted as a
        read, and it starts nothing."""
        entry = self._entries.get(key)
        return entry.snapshot if entry is not None else None

    async def get(self, key: DashboardKey) -> Snapshot:
        """Like `get_cached`, but computes a missing snapshot (shared by concurrent callers)."""
        entry = self._entry(key)
        snapshot = self._read(entry)
        if snapshot is not None:
            return snapshot
        # shield: a caller that gives up must not cancel the computation others wait for.
        return await asyncio.shield(self._start(entry, follow_up=False))

    def _read(self, entry: _Entry) -> Snapshot | None:
        snapshot = entry.snapshot
        expired = snapshot is None or self._clock.monotonic() >= entry.expires_at
        if expired:
            entry.misses += 1
            self._misses += 1
        else:
            entry.hits += 1
            self._hits += 1
        if snapshot is None:
            return None
        if expired and entry.failures == 0:  # a failing key waits for its backoff instead
            self._start(entry, follow_up=False)
        return replace(snapshot, stale=True) if self._is_stale(entry) else snapshot

    def _is_stale(self, entry: _Entry) -> bool:
        return entry.failures > 0 or self._clock.monotonic() >= entry.expires_at

    # --- subscriptions ----------------------------------------------------------------------

    def subscribe(
        self,
        key: DashboardKey,
        callback: KeyListener,
        *,
        first: bool = False,
        on_reread: RereadListener | None = None,
    ) -> Callable[[], None]:
        """Push every new snapshot of `key` to `callback` (on the loop) as a `DataUpdated`.

        The first push to a subscriber holds every field; later ones only the changed fields.
        Seed the first render from `get`/`get_cached`. Returns the unsubscribe function.
        `first`: delivered before the subscribers already there (the broadcast that serves
        many views runs before the views themselves). `on_reread(version, as_of)`: a recompute
        found the data of `version` unchanged as of hub seq `as_of` — no push, but an edit
        waiting for a base that new is confirmed by it.
        """
        entry = self._entry(key)
        subscription = _Subscription(callback, on_reread=on_reread)
        if first:
            entry.subscriptions.insert(0, subscription)
        else:
            entry.subscriptions.append(subscription)
        if entry.snapshot is None and entry.failures == 0:
            self._start(entry, follow_up=False)

        def unsubscribe() -> None:
            if subscription in entry.subscriptions:
                entry.subscriptions.remove(subscription)

        return unsubscribe

    def subscribe_all(self, callback: StoreListener) -> Callable[[], None]:
        """Every `DataUpdated` of every key, `TeamHealthUpdated` when a team's metrics or
        team_data changed, and `NotificationCreatedPush` for each new notification (check its
        user_id). For cross-cutting listeners (sockets, status page, a page's bell)."""
        self._listeners.append(callback)

        def unsubscribe() -> None:
            if callback in self._listeners:
                self._listeners.remove(callback)

        return unsubscribe

    def after_recomputes(self, callback: Callable[[], None]) -> None:
        """Call `callback` (once, on the loop) as soon as no recompute is computing: at once if
        none is, else right after the last running one has pushed. The recomputes one event
        starts run side by side, so a listener that waits for this hears all their pushes
        before it acts (the broadcast sends them as one message)."""
        if self._computing == 0:
            _deliver_idle(callback)
        else:
            self._idle_callbacks.append(callback)

    def subscriber_count(self, key: DashboardKey) -> int:
        entry = self._entries.get(key)
        return len(entry.subscriptions) if entry else 0

    # --- refreshes --------------------------------------------------------------------------

    def request_refresh(self, key: DashboardKey, *, manual: bool = True) -> RefreshResult:
        """Recompute `key` now. A person's (manual) refresh runs at most once per key per 5 s."""
        entry = self._entry(key)
        version = entry.snapshot.version if entry.snapshot else None
        now = self._clock.monotonic()
        if manual:
            if entry.last_manual is not None and now - entry.last_manual < self._manual_interval_s:
                return RefreshResult(accepted=False, throttled=True, version=version)
            entry.last_manual = now
        self._start(entry, follow_up=True)
        return RefreshResult(accepted=True, throttled=False, version=version)

    def invalidate(self, key: DashboardKey) -> bool:
        """The key's data changed: recompute it if it is cached or watched (never throttled)."""
        entry = self._entries.get(key)
        if entry is None or not (entry.wanted or entry.inflight):
            return False
        self._start(entry, follow_up=True, delay=self._pause(entry))
        return True

    def _pause(self, entry: _Entry) -> float:
        """How long a change-driven recompute waits: until the gap after the last one began,
        then on to the next of the rounds planned one gap apart, so the keys a stream of writes
        keeps changing recompute, and reach each page, together: one frame per page per round,
        not one per key (that frame is most of a push's cost). It may begin `JOIN_EARLY` of
        the gap early to join a round."""
        now = time.monotonic()
        gap = self._gap(now)
        due = entry.began + gap
        if due <= now or gap <= 0:
            return 0.0
        start = due
        planned = self._next_round
        if planned is not None:
            rounds = max(0, math.ceil((due - gap * JOIN_EARLY - planned) / gap))
            start = max(now, planned + rounds * gap)
        self._next_round = start
        return start - now

    def _gap(self, now: float) -> float:
        """The follow-up gap: the governor's, and at least STORM_GAP_S in a write storm (the
        first rounds of one otherwise came every 100 ms, each a frame to every page)."""
        recent = self._recent_events
        storm = len(recent) == STORM_EVENTS and now - recent[0] <= STORM_WINDOW_S
        return max(self.follow_up_gap_s, self._storm_gap_s) if storm else self.follow_up_gap_s

    def attach(self, hub: EventHub) -> Callable[[], None]:
        """Recompute the affected keys after every domain event; returns the detach function.

        Call it on the running loop, and give the hub that loop (`hub.attach_loop`)."""
        self._hub = hub
        self._loop = asyncio.get_running_loop()
        self._detach = hub.subscribe(self._on_event)
        self._reload_team_leads()
        return self._detach

    def _on_event(self, event: DomainEvent) -> None:
        loop = self._loop
        if loop is not None and not _running_on(loop):
            loop.call_soon_threadsafe(self._on_event, event)  # a hub without a loop
            return
        if isinstance(event, NotificationCreated):
            self._push_notification(event)
        if isinstance(event, ReferenceChanged) or self._team_leads is None:
            self._reload_team_leads()
        candidates = [e.key for e in self._entries.values() if e.wanted or e.inflight]
        affected = affected_keys(event, candidates, tz=self._tz, lookup=_StoreLookup(self))
        if affected:
            self._recent_events.append(time.monotonic())
        for key in affected:
            self.invalidate(key)

    # --- recompute: leading edge, single flight, one follow-up -------------------------------

    def _entry(self, key: DashboardKey) -> _Entry:
        entry = self._entries.get(key)
        if entry is None:
            entry = self._entries[key] = _Entry(key)
        return entry

    def _start(
        self, entry: _Entry, *, follow_up: bool, delay: float = 0.0
    ) -> asyncio.Task[Snapshot]:
        """Start a recompute (after `delay` seconds), or join the one in flight; `follow_up`
        asks for one more after it, because the running one may have read the database before
        the change. A recompute still waiting to begin reads after the change: joining it is
        enough."""
        if entry.inflight is not None:
            if entry.begun:  # reading, or read and finishing: it may have missed the change
                entry.follow_up = entry.follow_up or follow_up
            return entry.inflight
        entry.follow_up, entry.begun = False, False
        at = time.monotonic() + delay
        task = asyncio.create_task(self._recompute(entry, at), name=f"recompute {entry.key}")
        entry.inflight = task
        task.add_done_callback(partial(self._finished, entry))
        return task

    def _finished(self, entry: _Entry, task: asyncio.Task[Snapshot]) -> None:
        entry.inflight = None
        if task.cancelled():
            return
        task.exception()  # retrieved: failures are recorded in _failed
        if entry.follow_up and self._entries.get(entry.key) is entry:
            self._start(entry, follow_up=False, delay=self._pause(entry))

    async def _recompute(self, entry: _Entry, at: float) -> Snapshot:
        wait = at - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        # The time it was due, not the moment the loop got to it, so the next round follows
        # one gap after this one's; but a busy loop that ran it much later gets no recompute
        # straight after it.
        began = time.monotonic()
        entry.begun = True
        entry.began = at if began - at <= JOIN_EARLY * self.follow_up_gap_s else began
        now = self._clock.now()
        started = self._clock.monotonic()
        as_of = self._hub.seq if self._hub else 0
        self._computing += 1
        try:
            try:
                loop = asyncio.get_running_loop()
                data = await loop.run_in_executor(self._worker, self._compute, entry.key, now)
            except Exception as exc:
                self._failed(entry, exc)
                raise
            return self._store(entry, data, now=now, started=started, as_of=as_of)
        finally:
            self._computing -= 1
            if self._computing == 0 and self._idle_callbacks:
                callbacks, self._idle_callbacks = self._idle_callbacks, []
                for callback in callbacks:
                    _deliver_idle(callback)

    def _store(
        self, entry: _Entry, data: dict[str, Any], *, now: datetime, started: float, as_of: int
    ) -> Snapshot:
        previous = entry.snapshot
        entry.expires_at = started + entry.key.ttl
        self._recovered(entry)
        self._last_refresh[entry.key.type] = now
        if previous is not None and previous.data == data:  # same data: same version, no push
            entry.snapshot = replace(previous, computed_at=now, as_of=as_of)
            if as_of > previous.as_of:
                self._announce_reread(entry, previous.version, as_of)
            return entry.snapshot
        self._version += 1
        snapshot = Snapshot(entry.key, self._version, now, as_of, data)
        entry.snapshot = snapshot
        self._push(entry, previous, snapshot)
        return snapshot

    # --- fan-out ----------------------------------------------------------------------------

    def _push(self, entry: _Entry, previous: Snapshot | None, snapshot: Snapshot) -> None:
        key = str(entry.key)
        diff = DataUpdated(
            key=key,
            version=snapshot.version,
            as_of=snapshot.as_of,
            changed=changed_fields(previous.data if previous else None, snapshot.data),
        )
        full: DataUpdated | None = None
        for subscription in list(entry.subscriptions):
            if subscription.seen is not None and subscription.seen >= snapshot.version:
                continue
            if previous is not None and subscription.seen == previous.version:
                update = diff
            else:
                full = full or replace(diff, changed=dict(snapshot.data))
                update = full
            subscription.seen = snapshot.version
            _deliver(subscription.callback, update)
        for listener in list(self._listeners):
            _deliver(listener, diff)
        if entry.key.scope == "team" and entry.key.type in TEAM_HEALTH_TYPES:
            health = TeamHealthUpdated(team_id=entry.key.scope_id)
            for listener in list(self._listeners):
                _deliver(listener, health)

    def _announce_reread(self, entry: _Entry, version: int, as_of: int) -> None:
        for subscription in list(entry.subscriptions):
            if subscription.on_reread is not None:
                try:
                    subscription.on_reread(version, as_of)
                except Exception:
                    log.exception("re-read listener failed for %s", entry.key)

    def _push_notification(self, event: NotificationCreated) -> None:
        push = NotificationCreatedPush(
            user_id=event.user_id,
            notification={
                "id": event.notification_id,
                "kind": event.kind,
                "title": event.title,
                "body": event.body,
                "link": event.link,
                "created_at": iso_utc(event.created_at),
                "read_at": None,
            },
        )
        for listener in list(self._listeners):
            _deliver(listener, push)

    # --- optimistic edits (SPEC §10) ---------------------------------------------------------

    def optimistic_update(
        self, data_type: str, data: Mapping[str, Any], request_id: str, *, listener: EditListener
    ) -> OptimisticUpdate:
        """Announce an edit shown before it is saved (`dashboard.optimistic_update`).

        Only `listener` — the editing client's view — hears it and, later, its
        `dashboard.update_confirmed`; other viewers see the change once it is committed,
        through the normal pushes. Call `update_confirmed` when the write has finished.
        """
        event = OptimisticUpdate(request_id=request_id, data_type=data_type, data=dict(data))
        self._edits[request_id] = listener
        _deliver(listener, event)
        return event

    def update_confirmed(
        self, request_id: str, *, success: bool, error: str | None = None, seq: int | None = None
    ) -> UpdateConfirmed:
        """The edit's write committed as `seq` (or failed with `error`): tell its editor."""
        event = UpdateConfirmed(request_id=request_id, success=success, error=error, seq=seq)
        listener = self._edits.pop(request_id, None)
        if listener is not None:
            _deliver(listener, event)
        return event

    def pending_edits(self) -> int:
        """Edits announced and not yet confirmed or failed."""
        return len(self._edits)

    # --- degradation ------------------------------------------------------------------------

    def _failed(self, entry: _Entry, exc: Exception) -> None:
        """Keep serving the last good snapshot (stale); log on the transition only; back off."""
        entry.failures += 1
        entry.last_error = f"{type(exc).__name__}: {exc}"
        if entry.failures == 1:
            msg = "recompute of %s failed; serving its last good snapshot"
            log.error(msg, entry.key, exc_info=exc)
        backoff = self._retry_base_s * 2 ** min(entry.failures - 1, 30)
        delay = min(self._retry_max_s, backoff) * (0.5 + 0.5 * self._random())
        entry.retry_at = self._clock.monotonic() + delay

    def _recovered(self, entry: _Entry) -> None:
        if entry.failures:
            log.info("recompute of %s recovered after %d failures", entry.key, entry.failures)
        entry.failures = 0
        entry.last_error = None
        entry.retry_at = None

    @property
    def degraded(self) -> bool:
        return any(entry.failures for entry in self._entries.values())

    # --- upkeep (scheduler jobs call these) -------------------------------------------------

    def refresh_ahead(self, *, lead_s: float) -> list[DashboardKey]:
        """Start recomputes of watched keys whose TTL ends within `lead_s`, so viewers never
        see them expire."""
        now = self._clock.monotonic()
        due = [
            entry
            for entry in self._entries.values()
            if entry.subscriptions
            and entry.inflight is None
            and entry.failures == 0
            and (entry.snapshot is None or entry.expires_at - now <= lead_s)
        ]
        for entry in due:
            self._start(entry, follow_up=False)
        return [entry.key for entry in due]

    def retry_due(self) -> list[DashboardKey]:
        """Start recomputes of failing keys whose backoff has run out."""
        now = self._clock.monotonic()
        due = [
            entry
            for entry in self._entries.values()
            if entry.failures
            and entry.wanted
            and entry.inflight is None
            and entry.retry_at is not None
            and entry.retry_at <= now
        ]
        for entry in due:
            self._start(entry, follow_up=False)
        return [entry.key for entry in due]

    def cleanup(self) -> list[DashboardKey]:
        """Drop keys nobody watches whose snapshot expired (or never came)."""
        now = self._clock.monotonic()
        gone = [
            key
            for key, entry in self._entries.items()
            if not entry.subscriptions
            and entry.inflight is None
            and (entry.snapshot is None or now >= entry.expires_at)
        ]
        for key in gone:
            del self._entries[key]
        return gone

    async def wait_idle(self) -> None:
        """Until no background work runs (recomputes with their follow-ups, the lead map)."""
        while tasks := self._background():
            await asyncio.wait(tasks)

    def _background(self) -> list[asyncio.Task[Any]]:
        tasks: list[asyncio.Task[Any]] = [
            e.inflight for e in self._entries.values() if e.inflight is not None
        ]
        if self._leads_task is not None and not self._leads_task.done():
            tasks.append(self._leads_task)
        return tasks

    async def close(self) -> None:
        """Stop listening and cancel running recomputes (the one running finishes on its own)."""
        if self._detach is not None:
            self._detach()
            self._detach = None
        tasks = self._background()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._worker.shutdown(wait=False, cancel_futures=True)

    # --- health -----------------------------------------------------------------------------

    def client_connected(self) -> int:
        """Called by the UI layer when a dashboard client connects; returns the count."""
        self._connected += 1
        return self._connected

    def client_disconnected(self) -> int:
        self._connected = max(0, self._connected - 1)
        return self._connected

    def connection_health(self) -> dict[str, Any]:
        """The seed's `getConnectionHealth()`, plus whether any key is failing."""
        return {
            "connected": self._connected,
            "cache_size": self._cache_size(),
            "subscriptions": sum(len(e.subscriptions) for e in self._entries.values()),
            "last_refresh": {kind: iso_utc(at) for kind, at in sorted(self._last_refresh.items())},
            "degraded": self.degraded,
        }

    def stats(self) -> dict[str, Any]:
        """For /health and /status: totals, and per key its version, age, TTL and errors."""
        now = self._clock.now()
        keys = {}
        for key in sorted(self._entries):
            entry = self._entries[key]
            snapshot = entry.snapshot
            keys[str(key)] = {
                "version": snapshot.version if snapshot else None,
                "computed_at": iso_utc(snapshot.computed_at) if snapshot else None,
                "age_s": (now - snapshot.computed_at).total_seconds() if snapshot else None,
                "ttl_s": key.ttl,
                "hits": entry.hits,
                "misses": entry.misses,
                "subscribers": len(entry.subscriptions),
                "stale": snapshot is None or self._is_stale(entry),
                "last_error": entry.last_error,
            }
        return {
            "degraded": self.degraded,
            "cache_size": self._cache_size(),
            "hits": self._hits,
            "misses": self._misses,
            "keys": keys,
        }

    def _cache_size(self) -> int:
        return sum(1 for entry in self._entries.values() if entry.snapshot is not None)

    # --- the dependency lookup's facts ------------------------------------------------------

    def _reload_team_leads(self) -> None:
        """Who leads which team, read off the loop; until it arrives, manager keys count as
        affected by every client's entries."""
        if self._load_team_leads is None:
            return
        if self._leads_task is None or self._leads_task.done():
            self._leads_task = asyncio.create_task(self._fetch_team_leads())

    async def _fetch_team_leads(self) -> None:
        assert self._load_team_leads is not None
        try:
            self._team_leads = dict(await asyncio.to_thread(self._load_team_leads))
        except Exception:
            if not self._leads_failed:  # retried on the next event; logged once
                log.exception("loading team leads failed; manager keys follow every client")
            self._leads_failed = True
        else:
            self._leads_failed = False

    def _led_team_ids(self, manager_id: int) -> frozenset[int] | None:
        if self._team_leads is None:
            return None
        return frozenset(team for team, lead in self._team_leads.items() if lead == manager_id)

    def _client_ids(self, key: DashboardKey) -> frozenset[int] | None:
        entry = self._entries.get(key)
        if entry is None or entry.snapshot is None:
            return None
        clients = entry.snapshot.data.get("clients")
        if not isinstance(clients, list):
            return None  # not the shape we know: treat as covering everything
        return frozenset(
            c["client_id"] for c in clients if isinstance(c, Mapping) and c.get("client_id")
        )


@dataclass(frozen=True, slots=True)
class _StoreLookup:
    """`dependencies.Lookup` answered from the store's snapshots and its team-lead map."""

    store: LiveStore

    def client_ids(self, key: DashboardKey) -> Collection[int] | None:
        return self.store._client_ids(key)

    def led_team_ids(self, manager_id: int) -> Collection[int] | None:
        return self.store._led_team_ids(manager_id)


def _running_on(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


def _deliver_idle(callback: Callable[[], None]) -> None:
    try:
        callback()
    except Exception:
        log.exception("idle listener failed")


def _deliver(
    callback: Callable[[Any], None], update: StorePush | OptimisticUpdate | UpdateConfirmed
) -> None:
    try:
        callback(update)
    except Exception:  # one broken page must not starve the others
        log.exception("live listener failed for %s", getattr(update, "key", update))
