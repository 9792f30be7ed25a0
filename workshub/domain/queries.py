"""SQL aggregates behind the people dashboards: sums in the database, never a loop over history.

Every period is bounded on both sides by UTC instants computed in Python (timeutil), so SQLite
and PostgreSQL both range-scan the covering index `ix_entry_user_time` (user_id, started_at,
duration_s, billable) per person. An entry belongs wholly to the local day it started in.
Running entries (ended_at NULL) are few; they are fetched through the partial index
`ux_entry_one_running` and counted up to `now` in Python.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Date,
    Float,
    Integer,
    and_,
    bindparam,
    case,
    func,
    literal,
    null,
    or_,
    select,
    type_coerce,
    union_all,
)
from sqlmodel import Session, col

from workshub.domain.metrics import Hours, Person, employed_span, entry_seconds
from workshub.domain.models import (
    Client,
    Notification,
    Project,
    Task,
    TaskStatus,
    TimeEntry,
    TimeOff,
    User,
)
from workshub.domain.timeutil import period_bounds

__all__ = [
    "EntryView",
    "Member",
    "NotificationView",
    "PersonRecord",
    "RunningEntry",
    "TaskView",
    "Window",
    "closed_hours",
    "due_tasks",
    "entries_of_day",
    "load_people",
    "members",
    "overdue_task_counts",
    "person_windows",
    "running_entries",
    "unread_notifications",
    "window_hours",
]


@dataclass(frozen=True, slots=True)
class Window:
    """Entries of `user_id` started in [lo, hi), summed under `key` (e.g. a week's index)."""

    key: int
    user_id: int
    lo: datetime
    hi: datetime


@dataclass(frozen=True, slots=True)
class RunningEntry:
    entry_id: int
    user_id: int
    user: str
    project_id: int
    project: str
    client_id: int | None
    client: str | None
    started_at: datetime
    note: str
    billable: bool


@dataclass(frozen=True, slots=True)
class PersonRecord:
    """A person as the people dashboards list them: what only admin writes change."""

    person: Person
    name: str
    team_id: int | None


@dataclass(frozen=True, slots=True)
class Member:
    """A person with their time off (hours per local day) in the period asked for."""

    person: Person
    name: str
    team_id: int | None
    time_off: dict[date, float]
    running: RunningEntry | None = None

    def employed(self, first: date, last: date) -> bool:
        """Employed on at least one day of [first, last]."""
        return employed_span(self.person, first, last) is not None


@dataclass(frozen=True, slots=True)
class EntryView:
    id: int
    project_id: int
    project: str
    client: str | None
    started_at: datetime
    ended_at: datetime | None
    duration_s: int | None
    note: str
    billable: bool
    version: int


@dataclass(frozen=True, slots=True)
class TaskView:
    id: int
    title: str
    project: str
    due_on: date | None
    status: str
    version: int


@dataclass(frozen=True, slots=True)
class NotificationView:
    id: int
    kind: str
    title: str
    body: str
    link: str
    created_at: datetime


# A running entry as `RunningEntry` reads it (the user's name comes from the joined user).
_RUNNING_COLUMNS = (
    col(TimeEntry.id),
    col(TimeEntry.user_id),
    col(User.name),
    col(TimeEntry.project_id),
    col(Project.name),
    col(Project.client_id),
    col(Client.name),
    col(TimeEntry.started_at),
    col(TimeEntry.note),
    col(TimeEntry.billable),
)


def _rows(session: Session, statement: Any) -> Sequence[Any]:
    # Core statements through the session's connection: one transaction, no ORM overhead.
    return session.connection().execute(statement).all()


def members(
    session: Session,
    *,
    first: date,
    last: date,
    team_id: int | None = None,
    user_ids: Collection[int] | None = None,
    people: Sequence[PersonRecord] | None = None,
) -> list[Member]:
    """The people of one team, some users, or everyone, each with their time off in
    [first, last] and the timer they are running now: one query. Given `people` (every
    user, as `load_people` reads them), the users are taken from there and the query reads
    only time off and running timers.

    Employment is not filtered here (a leaver's timer still runs); see `Member.employed`.
    """
    if people is not None:
        return _members_of(
            session, people, first=first, last=last, team_id=team_id, user_ids=user_ids
        )
    statement = (
        select(
            col(User.id),
            col(User.name),
            col(User.team_id),
            col(User.weekly_capacity_hours),
            col(User.starts_on),
            col(User.ends_on),
            col(TimeOff.day),
            col(TimeOff.hours),
            *_RUNNING_COLUMNS,
        )
        .outerjoin(
            TimeOff,
            and_(
                col(TimeOff.user_id) == col(User.id),
                col(TimeOff.day) >= first,
                col(TimeOff.day) <= last,
            ),
        )
        .outerjoin(
            TimeEntry,
            and_(col(TimeEntry.user_id) == col(User.id), col(TimeEntry.ended_at).is_(None)),
        )
        .outerjoin(Project, col(Project.id) == col(TimeEntry.project_id))
        .outerjoin(Client, col(Client.id) == col(Project.client_id))
        .order_by(col(User.id))
    )
    if team_id is not None:
        statement = statement.where(col(User.team_id) == team_id)
    if user_ids is not None:
        statement = statement.where(col(User.id).in_(list(user_ids)))
    found: dict[int, Member] = {}
    for row in _rows(session, statement):
        uid, name, team, capacity, starts_on, ends_on, day, hours = row[:8]
        member = found.get(uid)
        if member is None:
            running = RunningEntry(*row[8:]) if row[8] is not None else None
            person = Person(uid, float(capacity), starts_on, ends_on)
            member = found[uid] = Member(person, name, team, {}, running)
        if day is not None:
            member.time_off[day] = member.time_off.get(day, 0.0) + float(hours)
    return list(found.values())


def load_people(session: Session) -> tuple[PersonRecord, ...]:
    """Every user, by id: one query (kept by `ProjectHistory.reference` between writes)."""
    statement = select(
        col(User.id),
        col(User.name),
        col(User.team_id),
        col(User.weekly_capacity_hours),
        col(User.starts_on),
        col(User.ends_on),
    ).order_by(col(User.id))
    return tuple(
        PersonRecord(Person(uid, float(capacity), starts_on, ends_on), name, team)
        for uid, name, team, capacity, starts_on, ends_on in _rows(session, statement)
    )


# The kinds of rows `_time_off_and_running` returns.
_TIME_OFF_ROW, _RUNNING_ROW = 0, 1


@lru_cache(maxsize=2)
def _time_off_and_running(*, everyone: bool) -> Any:
    """Every running timer (the partial index of running entries) and the time off in
    [:first, :last] of everyone (one range of the (user_id, day) index per user: there is
    no index on day alone) or of :user_ids: one UNION ALL, built once, parameters bound.
    The running branch comes first: its column types decode the rows of both."""
    running = (
        select(
            literal(_RUNNING_ROW, Integer),
            col(TimeEntry.user_id),
            type_coerce(null(), Date()),
            type_coerce(null(), Float()),
            *_RUNNING_COLUMNS,
        )
        .join(User, col(User.id) == col(TimeEntry.user_id))
        .join(Project, col(Project.id) == col(TimeEntry.project_id))
        .outerjoin(Client, col(Client.id) == col(Project.client_id))
        .where(col(TimeEntry.ended_at).is_(None))
    )
    users: Any = select(col(User.id)) if everyone else bindparam("user_ids", expanding=True)
    time_off = select(
        literal(_TIME_OFF_ROW, Integer),
        col(TimeOff.user_id),
        col(TimeOff.day),
        col(TimeOff.hours),
        *(null() for _ in _RUNNING_COLUMNS),
    ).where(
        col(TimeOff.user_id).in_(users),
        col(TimeOff.day) >= bindparam("first"),
        col(TimeOff.day) <= bindparam("last"),
    )
    return union_all(running, time_off)


def _members_of(
    session: Session,
    people: Sequence[PersonRecord],
    *,
    first: date,
    last: date,
    team_id: int | None,
    user_ids: Collection[int] | None,
) -> list[Member]:
    """`members` from known people, with their time off and running timers (one query)."""
    wanted = None if user_ids is None else set(user_ids)
    chosen = [
        record
        for record in people
        if (team_id is None or record.team_id == team_id)
        and (wanted is None or record.person.id in wanted)
    ]
    if not chosen:
        return []
    everyone = team_id is None and user_ids is None
    params: dict[str, Any] = {"first": first, "last": last}
    if not everyone:
        params["user_ids"] = [record.person.id for record in chosen]
    time_off_of: dict[int, dict[date, float]] = {r.person.id: {} for r in chosen}
    running_of: dict[int, RunningEntry] = {}
    statement = _time_off_and_running(everyone=everyone)
    for row in session.connection().execute(statement, params):
        kind, uid = row[0], row[1]
        if kind == _RUNNING_ROW:
            running_of[uid] = RunningEntry(*row[4:])
        elif uid in time_off_of:
            days = time_off_of[uid]
            days[row[2]] = days.get(row[2], 0.0) + float(row[3])
    return [
        Member(r.person, r.name, r.team_id, time_off_of[r.person.id], running_of.get(r.person.id))
        for r in chosen
    ]


def person_windows(
    people: Iterable[Person], *, first: date, last: date, tz: ZoneInfo, key: int = 0
) -> list[Window]:
    """Each person's UTC window for [first, last], cut to the days they were employed."""
    bounds: dict[tuple[date, date], tuple[datetime, datetime]] = {}
    windows = []
    for person in people:
        span = employed_span(person, first, last)
        if span is not None:
            if span not in bounds:
                bounds[span] = period_bounds(*span, tz)
            windows.append(Window(key, person.id, *bounds[span]))
    return windows


def closed_hours(session: Session, windows: Sequence[Window]) -> dict[tuple[int, int], Hours]:
    """Stopped entries' hours per (key, user_id) in one query.

    Windows that share a key and bounds (everyone employed all period) become one
    `user_id IN (...) AND started_at in [lo, hi)` range scan of the covering index; a starter's
    or leaver's own bounds get their own branch of a UNION ALL. Parameters stay bind values,
    so the statement compiles once per shape, not once per call.
    """
    groups: dict[tuple[int, datetime, datetime], list[int]] = defaultdict(list)
    for window in windows:
        groups[(window.key, window.lo, window.hi)].append(window.user_id)
    if not groups:
        return {}
    duration = col(TimeEntry.duration_s)
    user_id = col(TimeEntry.user_id)
    started_at = col(TimeEntry.started_at)
    parts = [
        select(
            literal(key, Integer),
            user_id,
            func.sum(duration),
            func.sum(case((col(TimeEntry.billable), duration), else_=0)),
        )
        .where(user_id.in_(user_ids), started_at >= lo, started_at < hi)
        .group_by(user_id)
        for (key, lo, hi), user_ids in groups.items()
    ]
    statement = parts[0] if len(parts) == 1 else union_all(*parts)
    return {
        (k, uid): Hours(float(tracked or 0), float(billable or 0))
        for k, uid, tracked, billable in _rows(session, statement)
    }


def running_entries(
    session: Session, *, team_id: int | None = None, user_id: int | None = None
) -> list[RunningEntry]:
    """Timers running now (of a team's current members, one user, or everyone), oldest first."""
    statement = (
        select(*_RUNNING_COLUMNS)
        .join(User, col(User.id) == col(TimeEntry.user_id))
        .join(Project, col(Project.id) == col(TimeEntry.project_id))
        .outerjoin(Client, col(Client.id) == col(Project.client_id))
        .where(col(TimeEntry.ended_at).is_(None))
    )
    if team_id is not None:
        statement = statement.where(col(User.team_id) == team_id)
    if user_id is not None:
        statement = statement.where(col(TimeEntry.user_id) == user_id)
    found = [RunningEntry(*row) for row in _rows(session, statement)]
    # Sorted here: an ORDER BY started_at lures SQLite into scanning ix_entry_started.
    return sorted(found, key=lambda e: (e.started_at, e.entry_id))


def window_hours(
    session: Session,
    windows: Sequence[Window],
    running: Iterable[RunningEntry],
    *,
    now: datetime,
) -> dict[tuple[int, int], Hours]:
    """Hours per (key, user_id): stopped entries from SQL plus running ones up to `now`."""
    hours = closed_hours(session, windows)
    by_user: dict[int, list[Window]] = defaultdict(list)
    for window in windows:
        by_user[window.user_id].append(window)
    for entry in running:
        for window in by_user.get(entry.user_id, ()):
            if window.lo <= entry.started_at < window.hi:
                seconds = entry_seconds(duration_s=None, started_at=entry.started_at, now=now)
                extra = Hours(seconds, seconds if entry.billable else 0.0)
                slot = (window.key, entry.user_id)
                hours[slot] = hours.get(slot, Hours()) + extra
    return hours


def overdue_task_counts(
    session: Session, *, user_ids: Collection[int], today: date
) -> dict[int, int]:
    """Tasks assigned to each person, not done, due before today."""
    if not user_ids:
        return {}
    statement = (
        select(col(Task.assignee_id), func.count())
        .where(col(Task.assignee_id).in_(list(user_ids)))
        .where(col(Task.status) != TaskStatus.done.value)
        .where(col(Task.due_on) < today)
        .group_by(col(Task.assignee_id))
    )
    return {uid: int(count) for uid, count in _rows(session, statement)}


def entries_of_day(
    session: Session, *, user_id: int, lo: datetime, hi: datetime
) -> list[EntryView]:
    """A person's entries started in [lo, hi) plus their running one, newest first."""
    statement = (
        select(
            col(TimeEntry.id),
            col(TimeEntry.project_id),
            col(Project.name),
            col(Client.name),
            col(TimeEntry.started_at),
            col(TimeEntry.ended_at),
            col(TimeEntry.duration_s),
            col(TimeEntry.note),
            col(TimeEntry.billable),
            col(TimeEntry.version),
        )
        .join(Project, col(Project.id) == col(TimeEntry.project_id))
        .outerjoin(Client, col(Client.id) == col(Project.client_id))
        .where(col(TimeEntry.user_id) == user_id)
        .where(
            or_(
                and_(col(TimeEntry.started_at) >= lo, col(TimeEntry.started_at) < hi),
                col(TimeEntry.ended_at).is_(None),
            )
        )
        .order_by(col(TimeEntry.started_at).desc(), col(TimeEntry.id).desc())
    )
    return [EntryView(*row) for row in _rows(session, statement)]


def due_tasks(session: Session, *, user_id: int, today: date) -> list[TaskView]:
    """A person's open tasks due today or overdue, most overdue first."""
    statement = (
        select(
            col(Task.id),
            col(Task.title),
            col(Project.name),
            col(Task.due_on),
            col(Task.status),
            col(Task.version),
        )
        .join(Project, col(Project.id) == col(Task.project_id))
        .where(col(Task.assignee_id) == user_id)
        .where(col(Task.status) != TaskStatus.done.value)
        .where(col(Task.due_on) <= today)
        .order_by(col(Task.due_on), col(Task.id))
    )
    return [TaskView(*row) for row in _rows(session, statement)]


def unread_notifications(
    session: Session, *, user_id: int, limit: int = 10
) -> tuple[int, list[NotificationView]]:
    """How many are unread, and the latest `limit` of them: one query (a window count)."""
    statement = (
        select(
            col(Notification.id),
            col(Notification.kind),
            col(Notification.title),
            col(Notification.body),
            col(Notification.link),
            col(Notification.created_at),
            func.count().over(),
        )
        .where(col(Notification.user_id) == user_id)
        .where(col(Notification.read_at).is_(None))
        .order_by(col(Notification.created_at).desc(), col(Notification.id).desc())
        .limit(limit)
    )
    rows = _rows(session, statement)
    total = int(rows[0][-1]) if rows else 0
    return total, [NotificationView(*row[:-1]) for row in rows]
