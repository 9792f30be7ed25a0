"""Every event WorksHub publishes, with its payload, and the in-process hub that carries them.

Domain events are published by domain services *after* their transaction commits; the hub
numbers each with a process-wide sequence number `seq` (SPEC §1: an optimistic overlay waiting
for write `seq` ignores snapshots whose `as_of` is older). UI code subscribes; it never emits.

Dashboard events (SPEC §5) are what the live store pushes to pages and sockets; their names are
the seed's (`dashboard.data_updated`, ...).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, TypeVar

__all__ = [
    "DATA_UPDATED",
    "NOTIFICATION_CREATED",
    "OPTIMISTIC_UPDATE",
    "TEAM_HEALTH_UPDATED",
    "UPDATE_CONFIRMED",
    "DataUpdated",
    "DomainEvent",
    "EntryRef",
    "EventHub",
    "NotificationCreated",
    "NotificationCreatedPush",
    "NotificationRead",
    "OptimisticUpdate",
    "PulseSet",
    "ReferenceChanged",
    "TaskChanged",
    "TeamHealthUpdated",
    "TimeEntryChanged",
    "TimeEntryStarted",
    "TimeEntryStopped",
    "TimeOffChanged",
    "UpdateConfirmed",
]

log = logging.getLogger(__name__)


# --- domain events (after commit) -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EntryRef:
    """Where a time entry lands in the dashboards: its person, team, project, client and start,
    and its project's billing model (None: not known), which says how far revenue reaches."""

    user_id: int
    team_id: int | None
    project_id: int
    client_id: int | None
    started_at: datetime
    billing_model: str | None = None


@dataclass(frozen=True, kw_only=True)
class DomainEvent:
    """Base of every domain event. `seq` is set by the hub when the event is published."""

    actor_id: int | None
    request_id: str | None = None
    seq: int = 0


@dataclass(frozen=True, kw_only=True)
class TimeEntryStarted(DomainEvent):
    """A timer started. `stopped` is the entry a switch stopped first, if any."""

    entry_id: int
    entry: EntryRef
    stopped: EntryRef | None = None


@dataclass(frozen=True, kw_only=True)
class TimeEntryStopped(DomainEvent):
    """A running timer stopped (by its owner, a manager, or the 24 h auto-stop)."""

    entry_id: int
    entry: EntryRef
    auto: bool = False


@dataclass(frozen=True, kw_only=True)
class TimeEntryChanged(DomainEvent):
    """An entry was created, edited or deleted. `refs` holds its place before and after."""

    entry_id: int
    change: str  # created | updated | deleted
    refs: tuple[EntryRef, ...]


@dataclass(frozen=True, kw_only=True)
class TaskChanged(DomainEvent):
    """A task was created or changed. `assignee_ids` holds the old and new assignee."""

    task_id: int
    project_id: int
    client_id: int | None
    assignee_ids: tuple[int, ...]
    team_ids: tuple[int, ...]


@dataclass(frozen=True, kw_only=True)
class TimeOffChanged(DomainEvent):
    """Time off was added or removed: capacity of that person, team and the org changes."""

    user_id: int
    team_id: int | None
    day: date


@dataclass(frozen=True, kw_only=True)
class PulseSet(DomainEvent):
    """A client's pulse for a week was written (replacing any earlier one)."""

    client_id: int
    week: date


@dataclass(frozen=True, kw_only=True)
class NotificationCreated(DomainEvent):
    """A notification was raised for `user_id` (its dedupe key did not exist yet)."""

    notification_id: int
    user_id: int
    kind: str
    title: str
    body: str = ""
    link: str = ""
    created_at: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class NotificationRead(DomainEvent):
    notification_id: int
    user_id: int


@dataclass(frozen=True, kw_only=True)
class ReferenceChanged(DomainEvent):
    """An admin changed a user, team, client or project: everything may depend on it."""

    entity: str
    entity_id: int


# --- dashboard events (pushed by the live store) ----------------------------------------------

DATA_UPDATED = "dashboard.data_updated"
TEAM_HEALTH_UPDATED = "dashboard.team_health_updated"
NOTIFICATION_CREATED = "dashboard.notification_created"
OPTIMISTIC_UPDATE = "dashboard.optimistic_update"
UPDATE_CONFIRMED = "dashboard.update_confirmed"


@dataclass(frozen=True, kw_only=True)
class DataUpdated:
    """`dashboard.data_updated`: a key has a new snapshot. `changed` maps field → new value."""

    key: str
    version: int
    as_of: int
    changed: dict[str, Any]
    name: str = DATA_UPDATED


@dataclass(frozen=True, kw_only=True)
class TeamHealthUpdated:
    """`dashboard.team_health_updated`: that team's metrics or team_data changed."""

    team_id: int
    name: str = TEAM_HEALTH_UPDATED


@dataclass(frozen=True, kw_only=True)
class NotificationCreatedPush:
    """`dashboard.notification_created`: a new notification for `user_id`, shaped as the API
    shows it (id, kind, title, body, link, created_at, read_at), so that person's open pages
    can toast it; listeners for anyone else ignore it."""

    user_id: int
    notification: dict[str, Any]
    name: str = NOTIFICATION_CREATED


@dataclass(frozen=True, kw_only=True)
class OptimisticUpdate:
    """`dashboard.optimistic_update`: sent only to the client that made the edit."""

    request_id: str
    data_type: str
    data: dict[str, Any]
    name: str = OPTIMISTIC_UPDATE


@dataclass(frozen=True, kw_only=True)
class UpdateConfirmed:
    """`dashboard.update_confirmed`: the edit committed (`seq`) or failed (`error`)."""

    request_id: str
    success: bool
    error: str | None = None
    seq: int | None = None
    name: str = UPDATE_CONFIRMED


# --- the hub ----------------------------------------------------------------------------------

E = TypeVar("E", bound=DomainEvent)
Listener = Callable[[DomainEvent], None]


@dataclass
class EventHub:
    """Numbers committed writes and hands each event to every listener on the event loop.

    `publish` may be called from any thread (writes run off the loop); once `attach_loop` has
    been called, listeners always run on that loop, in `seq` order.
    """

    _listeners: list[Listener] = field(default_factory=list)
    _seq: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _loop: asyncio.AbstractEventLoop | None = None

    @property
    def seq(self) -> int:
        return self._seq

    def attach_loop(self, loop: asyncio.AbstractEventLoop | None) -> None:
        self._loop = loop

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Add a listener; returns the function that removes it."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def publish(self, event: E) -> E:
        """Number the event and deliver it. Returns the numbered event."""
        with self._lock:
            self._seq += 1
            event = replace(event, seq=self._seq)
            loop = self._loop
            if loop is not None and not loop.is_closed() and not _on_loop(loop):
                # call_soon_threadsafe keeps FIFO order, so listeners see seq order.
                loop.call_soon_threadsafe(self._deliver, event)
                return event
        self._deliver(event)
        return event

    def _deliver(self, event: DomainEvent) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:  # a listener's bug must never fail the write that already committed
                log.exception("event listener failed for %s", type(event).__name__)


def _on_loop(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False
