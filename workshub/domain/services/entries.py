"""Time entries written by hand: create, edit and delete, each checked against the caller's scope
and, for edits and deletes, against the version the caller last saw."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from workshub.domain.errors import NotFound, ValidationFailed, VersionConflict
from workshub.domain.events import EntryRef, TimeEntryChanged
from workshub.domain.models import TimeEntry, User
from workshub.domain.scope import Viewer
from workshub.domain.services.common import (
    NOTE_MAX,
    audit_entry,
    aware_instant,
    entry_ref,
    require_manage,
    text_field,
    trackable_project,
)
from workshub.domain.services.public import entry_public
from workshub.domain.services.timer import MAX_ENTRY, bill_rate_for
from workshub.domain.uow import UnitOfWork

__all__ = ["create_entry", "delete_entry", "update_entry"]


def create_entry(
    uow: UnitOfWork,
    viewer: Viewer,
    *,
    project_id: int,
    started_at: datetime,
    ended_at: datetime,
    note: str = "",
    billable: bool | None = None,
    user_id: int | None = None,
) -> TimeEntry:
    """A manual entry for the viewer (or, for a manager or admin, for `user_id`)."""
    session = uow.session
    owner_id = viewer.id if user_id is None else user_id
    if owner_id != viewer.id:
        require_manage(viewer, session.get(User, owner_id), what="user")
    project = trackable_project(session, project_id, user_id=owner_id)
    started, ended, duration = _span(started_at, ended_at, now=uow.now)
    entry = TimeEntry(
        user_id=owner_id,
        project_id=project_id,
        started_at=started,
        ended_at=ended,
        duration_s=duration,
        note=text_field(note, field="note", max_length=NOTE_MAX),
        billable=project.default_billable if billable is None else billable,
        source="manual",
        created_at=uow.now,
        updated_at=uow.now,
    )
    entry.bill_rate = bill_rate_for(session, entry)
    session.add(entry)
    session.flush()
    assert entry.id is not None
    audit_entry(uow, "entry.create", entry)
    _emit(uow, viewer, entry, "created", entry_ref(session, entry))
    return entry


def update_entry(
    uow: UnitOfWork,
    viewer: Viewer,
    *,
    entry_id: int,
    version: int,
    project_id: int | None = None,
    started_at: datetime | None = None,
    ended_at: datetime | None = None,
    note: str | None = None,
    billable: bool | None = None,
) -> TimeEntry:
    """Changes the fields given (None = unchanged). A running entry may move its start; only a
    stopped one has an end. The rate is fixed again: the entry is saved."""
    session = uow.session
    entry = _load_for_write(session, viewer, entry_id=entry_id, version=version)
    before = entry_public(entry, money=True)
    before_ref = entry_ref(session, entry)
    if project_id is not None and project_id != entry.project_id:
        trackable_project(session, project_id, user_id=entry.user_id)
        entry.project_id = project_id
    if note is not None:
        entry.note = text_field(note, field="note", max_length=NOTE_MAX)
    if billable is not None:
        entry.billable = billable
    if entry.ended_at is None:
        if ended_at is not None:
            raise ValidationFailed.field("ended_at", "stop the running timer first")
        if started_at is not None:
            entry.started_at = _running_start(started_at, now=uow.now)
    elif started_at is not None or ended_at is not None:
        entry.started_at, entry.ended_at, entry.duration_s = _span(
            started_at or entry.started_at, ended_at or entry.ended_at, now=uow.now
        )
    entry.bill_rate = bill_rate_for(session, entry)
    if entry_public(entry, money=True) == before:
        return entry  # nothing changed: no new version, no event
    entry.version += 1
    entry.updated_at = uow.now
    session.add(entry)
    audit_entry(uow, "entry.update", entry, before=before)
    after_ref = entry_ref(session, entry)
    _emit(uow, viewer, entry, "updated", *dict.fromkeys((before_ref, after_ref)))
    return entry


def delete_entry(uow: UnitOfWork, viewer: Viewer, *, entry_id: int, version: int) -> None:
    """Deletes an entry (a running one too: the timer is discarded)."""
    session = uow.session
    entry = _load_for_write(session, viewer, entry_id=entry_id, version=version)
    ref = entry_ref(session, entry)
    uow.audit("entry.delete", "time_entry", entry_id, before=entry_public(entry, money=True))
    session.delete(entry)
    _emit(uow, viewer, entry, "deleted", ref)


def _load_for_write(session: Session, viewer: Viewer, *, entry_id: int, version: int) -> TimeEntry:
    """The entry, if the viewer may write it (else NotFound / Forbidden), at `version`."""
    entry = session.get(TimeEntry, entry_id, with_for_update=True)
    if entry is None:
        raise NotFound("time entry")
    require_manage(viewer, session.get(User, entry.user_id), what="time entry")
    if entry.version != version:
        raise VersionConflict(
            "The entry was changed by someone else; here is the current one.",
            current=entry_public(entry, money=viewer.sees_money),
        )
    return entry


def _span(
    started_at: datetime, ended_at: datetime, *, now: datetime
) -> tuple[datetime, datetime, int]:
    """A stopped entry's start, end and whole-second duration (0 < d ≤ 24 h, start not ahead)."""
    started = aware_instant(started_at, field="started_at")
    ended = aware_instant(ended_at, field="ended_at")
    if started > now:
        raise ValidationFailed.field("started_at", "must not be in the future")
    if ended <= started:
        raise ValidationFailed.field("ended_at", "must be after started_at")
    if ended - started > MAX_ENTRY:
        raise ValidationFailed.field("ended_at", "must be at most 24 hours after started_at")
    return started, ended, int((ended - started).total_seconds())


def _running_start(started_at: datetime, *, now: datetime) -> datetime:
    started = aware_instant(started_at, field="started_at")
    if started > now:
        raise ValidationFailed.field("started_at", "must not be in the future")
    if now - started > MAX_ENTRY:
        raise ValidationFailed.field("started_at", "a running timer may go back at most 24 hours")
    return started


def _emit(uow: UnitOfWork, viewer: Viewer, entry: TimeEntry, change: str, *refs: EntryRef) -> None:
    assert entry.id is not None
    uow.emit(
        TimeEntryChanged(
            actor_id=viewer.id,
            request_id=uow.request_id,
            entry_id=entry.id,
            change=change,
            refs=refs,
        )
    )
