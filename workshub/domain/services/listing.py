"""Reads behind the API's lists and the pages' tables: entries, tasks, notifications and time off,
each scoped to the viewer (SPEC §2) and returned in the wire format (dicts, never table rows)."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, false, func, or_, true
from sqlmodel import Session, col, select

from workshub.domain.errors import NotFound, ValidationFailed
from workshub.domain.models import (
    Client,
    Notification,
    Project,
    Role,
    Task,
    Team,
    TimeEntry,
    TimeOff,
    User,
)
from workshub.domain.scope import Viewer, manager_client_ids
from workshub.domain.services.common import may_read_person
from workshub.domain.services.public import (
    entry_public,
    notification_public,
    pulse_public,
    task_public,
    time_off_public,
)
from workshub.domain.services.time_off import time_off_owner
from workshub.domain.timeutil import iso_utc, period_bounds

__all__ = [
    "MAX_ENTRY_LIMIT",
    "MAX_PERIOD_DAYS",
    "entry_public",
    "get_entry",
    "list_entries",
    "list_notifications",
    "list_tasks",
    "list_time_off",
    "notification_public",
    "pulse_public",
    "task_public",
    "time_off_public",
    "unread_count",
]

MAX_PERIOD_DAYS = 366
MAX_ENTRY_LIMIT = 1000
MAX_TASKS = 500


def _entry_scope(viewer: Viewer) -> ColumnElement[bool]:
    """Entries the viewer reads: own; a manager's led teams' people too; slt/admin all."""
    if viewer.org_wide:
        return true()
    own = col(TimeEntry.user_id) == viewer.id
    if viewer.role is Role.manager and viewer.led_team_ids:
        members = select(User.id).where(col(User.team_id).in_(viewer.led_team_ids))
        return or_(own, col(TimeEntry.user_id).in_(members))
    return own


def _readable_person(session: Session, viewer: Viewer, user_id: int) -> User:
    person = session.get(User, user_id)
    if person is None or not may_read_person(viewer, person):
        raise NotFound("user")
    return person


def _readable_team(session: Session, viewer: Viewer, team_id: int) -> None:
    """A team whose entries the viewer may filter by: any for slt/admin, a manager's led teams,
    anyone's own team (where their scope leaves only their own entries)."""
    visible = viewer.org_wide or viewer.leads(team_id) or viewer.team_id == team_id
    if not visible or session.get(Team, team_id) is None:
        raise NotFound("team")


def list_entries(
    session: Session,
    viewer: Viewer,
    *,
    first: date,
    last: date,
    tz: ZoneInfo,
    user_id: int | None = None,
    team_id: int | None = None,
    limit: int = 100,
    cursor: str | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Entries that started from `first` to `last` (local dates, inclusive), oldest first, one
    page of `limit`, and the cursor of the next page (None on the last). Each row is the entry's
    wire format plus `user_name`, `project_name`, `client_id` and `client_name`. `team_id` keeps
    the entries of the team's current members (SPEC §4: people belong to their current team)."""
    if last < first:
        raise ValidationFailed.field("to", "must not be before from")
    if (last - first).days + 1 > MAX_PERIOD_DAYS:
        raise ValidationFailed.field("to", f"must be at most {MAX_PERIOD_DAYS} days from from")
    if not 1 <= limit <= MAX_ENTRY_LIMIT:
        raise ValidationFailed.field("limit", f"must be from 1 to {MAX_ENTRY_LIMIT}")
    lo, hi = period_bounds(first, last, tz)
    query = (
        select(TimeEntry, User.name, Project.name, Client)
        .join(User, col(User.id) == TimeEntry.user_id)
        .join(Project, col(Project.id) == TimeEntry.project_id)
        .outerjoin(Client, col(Client.id) == Project.client_id)
        .where(TimeEntry.started_at >= lo)
        .where(TimeEntry.started_at < hi)
        .where(_entry_scope(viewer))
    )
    if user_id is not None:
        _readable_person(session, viewer, user_id)
        query = query.where(TimeEntry.user_id == user_id)
    if team_id is not None:
        _readable_team(session, viewer, team_id)
        query = query.where(User.team_id == team_id)
    if cursor is not None:
        after_at, after_id = _decode_cursor(cursor)
        query = query.where(
            or_(
                col(TimeEntry.started_at) > after_at,
                and_(col(TimeEntry.started_at) == after_at, col(TimeEntry.id) > after_id),
            )
        )
    query = query.order_by(col(TimeEntry.started_at), col(TimeEntry.id)).limit(limit + 1)
    rows = session.exec(query).all()
    page = [
        {
            **entry_public(entry, money=viewer.sees_money),
            "user_name": user_name,
            "project_name": project_name,
            "client_id": client.id if client else None,
            "client_name": client.name if client else None,
        }
        for entry, user_name, project_name, client in rows[:limit]
    ]
    more = len(rows) > limit
    last_entry = rows[limit - 1][0] if more else None
    return page, _encode_cursor(last_entry) if last_entry else None


def _encode_cursor(entry: TimeEntry) -> str:
    raw = json.dumps([iso_utc(entry.started_at), entry.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        started, entry_id = json.loads(raw)
        after = datetime.fromisoformat(started.replace("Z", "+00:00"))
        if after.tzinfo is None or not isinstance(entry_id, int):
            raise ValueError(cursor)
    except (binascii.Error, ValueError, TypeError, AttributeError):
        raise ValidationFailed.field("cursor", "is not a cursor from this list") from None
    return after, entry_id


def get_entry(session: Session, viewer: Viewer, entry_id: int) -> dict[str, Any]:
    """One entry in the viewer's scope; outside it, NotFound as for a missing id."""
    entry = session.get(TimeEntry, entry_id)
    person = session.get(User, entry.user_id) if entry else None
    if entry is None or person is None or not may_read_person(viewer, person):
        raise NotFound("time entry")
    return entry_public(entry, money=viewer.sees_money)


def _task_scope(session: Session, viewer: Viewer, *, now: datetime) -> ColumnElement[bool]:
    """Tasks the viewer reads: assigned to them; a manager's also those of led teams' people
    and unassigned ones on their clients' or internal projects; slt/admin all."""
    if viewer.org_wide:
        return true()
    own = col(Task.assignee_id) == viewer.id
    if viewer.role is not Role.manager:
        return own
    members = select(User.id).where(col(User.team_id).in_(viewer.led_team_ids))
    clients = manager_client_ids(session, viewer, now=now)
    unassigned = and_(
        col(Task.assignee_id).is_(None),
        or_(
            col(Project.client_id).is_(None),
            col(Project.client_id).in_(clients) if clients else false(),
        ),
    )
    return or_(own, col(Task.assignee_id).in_(members), unassigned)


def list_tasks(
    session: Session,
    viewer: Viewer,
    *,
    now: datetime,
    assignee_id: int | None = None,
    project_id: int | None = None,
    client_id: int | None = None,
    include_done: bool = True,
) -> list[dict[str, Any]]:
    """Tasks in scope, soonest due first (undated last). Each row is the task's wire format plus
    `project_name`, `client_id`, `client_name` and `assignee_name`."""
    query = (
        select(Task, Project, Client.name, User.name)
        .join(Project, col(Project.id) == Task.project_id)
        .outerjoin(Client, col(Client.id) == Project.client_id)
        .outerjoin(User, col(User.id) == Task.assignee_id)
        .where(_task_scope(session, viewer, now=now))
    )
    if assignee_id is not None:
        _readable_person(session, viewer, assignee_id)
        query = query.where(Task.assignee_id == assignee_id)
    if project_id is not None:
        query = query.where(Task.project_id == project_id)
    if client_id is not None:
        query = query.where(Project.client_id == client_id)
    if not include_done:
        query = query.where(Task.status != "done")
    query = query.order_by(col(Task.due_on).is_(None), col(Task.due_on), col(Task.id)).limit(
        MAX_TASKS
    )
    return [
        {
            **task_public(task),
            "project_name": project.name,
            "client_id": project.client_id,
            "client_name": client_name,
            "assignee_name": assignee_name,
        }
        for task, project, client_name, assignee_name in session.exec(query)
    ]


def list_notifications(
    session: Session, viewer: Viewer, *, unread_only: bool = False, limit: int = 50
) -> list[dict[str, Any]]:
    """The viewer's own notifications, newest first."""
    query = select(Notification).where(Notification.user_id == viewer.id)
    if unread_only:
        query = query.where(col(Notification.read_at).is_(None))
    query = query.order_by(col(Notification.created_at).desc(), col(Notification.id).desc())
    return [notification_public(n) for n in session.exec(query.limit(max(1, min(limit, 500))))]


def unread_count(session: Session, viewer: Viewer) -> int:
    return session.exec(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == viewer.id)
        .where(col(Notification.read_at).is_(None))
    ).one()


def list_time_off(
    session: Session,
    viewer: Viewer,
    *,
    user_id: int | None = None,
    first: date | None = None,
    last: date | None = None,
) -> list[dict[str, Any]]:
    """Time off of the viewer, or (admin) of `user_id`, by day, optionally from/to (inclusive)."""
    person = time_off_owner(session, viewer, viewer.id if user_id is None else user_id)
    query = select(TimeOff).where(TimeOff.user_id == person.id)
    if first is not None:
        query = query.where(TimeOff.day >= first)
    if last is not None:
        query = query.where(TimeOff.day <= last)
    query = query.order_by(col(TimeOff.day), col(TimeOff.id))
    return [time_off_public(row) for row in session.exec(query)]
