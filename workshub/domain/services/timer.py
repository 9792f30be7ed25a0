"""Running timers: start (a running one is stopped first: a switch, in the same transaction),
stop, and the scheduler's rules for timers left running (10 h notice, 24 h auto-stop).

At most one timer runs per person; the partial unique index `ux_entry_one_running` is the
authority, so a racing second start ends as a 409, never a 500 and never two timers.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from workshub.domain.errors import NoRunningTimer, VersionConflict
from workshub.domain.events import EntryRef, TimeEntryStarted, TimeEntryStopped
from workshub.domain.models import Notification, Project, TimeEntry, User
from workshub.domain.scope import Viewer
from workshub.domain.services.common import (
    NOTE_MAX,
    TrackableProject,
    audit_entry,
    bill_rate,
    entry_ref,
    require_manage,
    text_field,
    trackable_project,
)
from workshub.domain.services.notifications import raise_notification
from workshub.domain.services.public import entry_public
from workshub.domain.uow import UnitOfWork

__all__ = [
    "AUTO_STOP_AFTER",
    "AUTO_STOP_SUFFIX",
    "LONG_TIMER_AFTER",
    "MAX_ENTRY",
    "auto_stop_long_timers",
    "bill_rate_for",
    "close_entry",
    "long_timer_notices",
    "running_entry",
    "start_timer",
    "stop_timer",
]

MAX_ENTRY = timedelta(hours=24)
AUTO_STOP_AFTER = MAX_ENTRY
LONG_TIMER_AFTER = timedelta(hours=10)
AUTO_STOP_SUFFIX = "[auto-stopped]"


# The timer path reads and writes with Core statements built once, on the unit of work's
# connection: a start or stop is the hottest write there is (SPEC §9: 250 a second with 200
# dashboards open), and the ORM's identity map and flush cost several times the SQL itself.
# Entries come back as detached `TimeEntry` values; nothing here is left in the session.
_ENTRY = TimeEntry.__table__  # type: ignore[attr-defined]
_RUNNING = (
    select(_ENTRY)
    .where(_ENTRY.c.user_id == bindparam("user_id"))
    .where(_ENTRY.c.ended_at.is_(None))
    .with_for_update()
)
# The running entries by the partial index `ux_entry_one_running` (one row per person who is
# tracking), then the cutoff. Given the cutoff and the order directly, SQLite's planner walked
# `ix_entry_started` through the whole history instead (~1 s at 850k entries, with the write
# lock held, twice a minute).
_RUNNING_SINCE = (
    select(_ENTRY)
    .where(_ENTRY.c.id.in_(select(_ENTRY.c.id).where(_ENTRY.c.ended_at.is_(None))))
    .where(_ENTRY.c.started_at <= bindparam("cutoff"))
    .order_by(_ENTRY.c.started_at, _ENTRY.c.id)
)
_CLOSE = (
    update(_ENTRY)
    .where(_ENTRY.c.id == bindparam("entry_id"))
    .values(
        ended_at=bindparam("new_ended_at"),
        duration_s=bindparam("new_duration_s"),
        bill_rate=bindparam("new_bill_rate"),
        note=bindparam("new_note"),
        version=bindparam("new_version"),
        updated_at=bindparam("new_updated_at"),
    )
)
_INSERT = insert(_ENTRY)
_PROJECT = Project.__table__  # type: ignore[attr-defined]
_PLACE = select(_PROJECT.c.client_id, _PROJECT.c.billing_model).where(
    _PROJECT.c.id == bindparam("project_id")
)


def _entries(session: Session, statement: Any, params: dict[str, Any]) -> list[TimeEntry]:
    return [TimeEntry(**row._mapping) for row in session.connection().execute(statement, params)]


def running_entry(session: Session, user_id: int) -> TimeEntry | None:
    """The person's running entry, locked for this transaction (PostgreSQL; SQLite's writers
    are serialised by BEGIN IMMEDIATE anyway)."""
    found = _entries(session, _RUNNING, {"user_id": user_id})
    return found[0] if found else None


def bill_rate_for(session: Session, entry: TimeEntry) -> float | None:
    """The rate in force now: the project's, else the person's (fixed on stop and on save)."""
    return bill_rate(session, project_id=entry.project_id, user_id=entry.user_id)


def close_entry(uow: UnitOfWork, entry: TimeEntry, *, at: datetime, auto: bool = False) -> bool:
    """Stops a running entry at `at` in whole seconds (at least 1 s, at most 24 h), in the
    database and on `entry` (a detached value, as `running_entry` returns it).

    A timer that ran past 24 h ends at started_at + 24 h with the "[auto-stopped]" suffix, as
    the scheduler would have stopped it. Returns whether it was cut that way.
    """
    seconds = int((at - entry.started_at).total_seconds())
    capped = auto or seconds > MAX_ENTRY.total_seconds()
    duration = max(1, min(seconds, int(MAX_ENTRY.total_seconds())))
    entry.bill_rate = bill_rate_for(uow.session, entry)
    entry.ended_at = entry.started_at + timedelta(seconds=duration)
    entry.duration_s = duration
    if capped and not entry.note.endswith(AUTO_STOP_SUFFIX):
        entry.note = f"{entry.note} {AUTO_STOP_SUFFIX}".lstrip()
    entry.version += 1
    entry.updated_at = uow.now
    uow.session.connection().execute(
        _CLOSE,
        {
            "entry_id": entry.id,
            "new_ended_at": entry.ended_at,
            "new_duration_s": entry.duration_s,
            "new_bill_rate": entry.bill_rate,
            "new_note": entry.note,
            "new_version": entry.version,
            "new_updated_at": entry.updated_at,
        },
    )
    return capped


def _insert(session: Session, entry: TimeEntry) -> int:
    values = entry.model_dump(exclude={"id"})
    inserted = session.connection().execute(_INSERT, values).inserted_primary_key
    assert inserted is not None
    return int(inserted[0])


def start_timer(
    uow: UnitOfWork,
    viewer: Viewer,
    *,
    project_id: int,
    note: str = "",
    billable: bool | None = None,
) -> TimeEntry:
    """Starts the viewer's timer now; a running one is stopped first (a switch)."""
    session = uow.session
    project = trackable_project(session, project_id, user_id=viewer.id)
    note = text_field(note, field="note", max_length=NOTE_MAX)
    stopped = running_entry(session, viewer.id)
    if stopped is not None:
        _stop(uow, stopped, at=uow.now, action="timer.stop")
    entry = TimeEntry(
        user_id=viewer.id,
        project_id=project_id,
        started_at=uow.now.replace(microsecond=0),
        note=note,
        billable=project.default_billable if billable is None else billable,
        bill_rate=project.bill_rate,  # provisional: fixed again on stop
        source="timer",
        created_at=uow.now,
        updated_at=uow.now,
    )
    try:
        with session.begin_nested():
            entry.id = _insert(session, entry)
    except IntegrityError as error:
        if "unique" not in str(error.orig).lower():
            raise
        # A concurrent start won the race: the database refused a second running timer. The
        # winner may already have been switched away by a third request, so it can be gone.
        winner = running_entry(session, viewer.id)
        raise VersionConflict(
            "Another timer started at the same moment; it is running now.",
            current=entry_public(winner) if winner is not None else None,
        ) from None
    audit_entry(uow, "timer.start", entry)
    uow.emit(
        TimeEntryStarted(
            actor_id=viewer.id,
            request_id=uow.request_id,
            entry_id=entry.id,
            entry=_own_ref(uow, viewer, entry, project=project),
            stopped=_own_ref(uow, viewer, stopped) if stopped is not None else None,
        )
    )
    return entry


def stop_timer(uow: UnitOfWork, viewer: Viewer, *, user_id: int | None = None) -> TimeEntry:
    """Stops the viewer's running timer (or, for a manager or admin, that of `user_id`)."""
    session = uow.session
    if user_id is not None and user_id != viewer.id:
        require_manage(viewer, session.get(User, user_id), what="timer")
    owner = viewer.id if user_id is None else user_id
    entry = running_entry(session, owner)
    if entry is None:
        raise NoRunningTimer()
    capped = _stop(uow, entry, at=uow.now, action="timer.stop")
    _emit_stopped(uow, entry, actor_id=viewer.id, auto=capped, ref=_own_ref(uow, viewer, entry))
    return entry


def _own_ref(
    uow: UnitOfWork, viewer: Viewer, entry: TimeEntry, *, project: TrackableProject | None = None
) -> EntryRef:
    """`entry_ref`, without loading the person again when the entry is the viewer's own (the
    viewer was loaded for this request, team included), nor the project when it is known."""
    if entry.user_id != viewer.id:
        return entry_ref(uow.session, entry)
    client_id: int | None = None
    billing_model: str | None = None
    if project is not None:
        client_id, billing_model = project.client_id, project.billing_model
    else:
        place = uow.session.connection().execute(_PLACE, {"project_id": entry.project_id})
        row = place.first()
        if row is not None:
            client_id, billing_model = row.client_id, row.billing_model
    return EntryRef(
        user_id=entry.user_id,
        team_id=viewer.team_id,
        project_id=entry.project_id,
        client_id=client_id,
        started_at=entry.started_at,
        billing_model=billing_model,
    )


def _stop(
    uow: UnitOfWork, entry: TimeEntry, *, at: datetime, action: str, auto: bool = False
) -> bool:
    before = entry_public(entry, money=True)
    capped = close_entry(uow, entry, at=at, auto=auto)
    audit_entry(uow, action, entry, before=before)
    return capped


def _emit_stopped(
    uow: UnitOfWork,
    entry: TimeEntry,
    *,
    actor_id: int | None,
    auto: bool,
    ref: EntryRef | None = None,
) -> None:
    assert entry.id is not None
    uow.emit(
        TimeEntryStopped(
            actor_id=actor_id,
            request_id=uow.request_id,
            entry_id=entry.id,
            entry=ref if ref is not None else entry_ref(uow.session, entry),
            auto=auto,
        )
    )


def _running_since(session: Session, cutoff: datetime, *, lock: bool) -> Sequence[TimeEntry]:
    statement = _RUNNING_SINCE.with_for_update() if lock else _RUNNING_SINCE
    return _entries(session, statement, {"cutoff": cutoff})


def auto_stop_long_timers(
    uow: UnitOfWork, *, older_than: timedelta = AUTO_STOP_AFTER
) -> list[TimeEntry]:
    """Stops every timer running for `older_than` at started_at + 24 h (never past now), marks
    the note "[auto-stopped]" and tells the owner. Returns the stopped entries."""
    session = uow.session
    stopped = []
    for entry in _running_since(session, uow.now - older_than, lock=True):
        at = min(uow.now, entry.started_at + MAX_ENTRY)
        _stop(uow, entry, at=at, action="timer.auto_stop", auto=True)
        project = session.get(Project, entry.project_id)
        raise_notification(
            uow,
            user_id=entry.user_id,
            kind="timer_auto_stopped",
            title="Your timer was stopped after 24 hours",
            body=f"{project.name if project else 'A project'}: check the entry's end time.",
            link="/timesheet",
            dedupe_key=f"auto_stopped:{entry.id}",
        )
        _emit_stopped(uow, entry, actor_id=uow.actor_id, auto=True)
        stopped.append(entry)
    return stopped


def long_timer_notices(
    uow: UnitOfWork, *, threshold: timedelta = LONG_TIMER_AFTER
) -> list[Notification]:
    """Tells each owner of a timer running longer than `threshold`, once per entry."""
    hours = threshold.total_seconds() / 3600
    raised = []
    for entry in _running_since(uow.session, uow.now - threshold, lock=False):
        project = uow.session.get(Project, entry.project_id)
        notification = raise_notification(
            uow,
            user_id=entry.user_id,
            kind="long_timer",
            title=f"Your timer has been running for over {hours:g} hours",
            body=f"{project.name if project else 'A project'}: still working on it?",
            link="/today",
            dedupe_key=f"long_timer:{entry.id}",
        )
        if notification is not None:
            raised.append(notification)
    return raised
