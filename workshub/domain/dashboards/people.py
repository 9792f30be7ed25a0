"""People dashboards (SPEC §5): metrics, team_data, active_timers, today, utilization_trend.

Each function computes one snapshot as a JSON-serialisable dict: raw floats (the UI rounds),
ISO dates, instants as RFC 3339 UTC. "Now" is the snapshot's computed_at; the week's figures
are week-to-date for the current week and whole for a past one. People belong to the team of
their current team_id; the organisation's people are everyone with capacity.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from workshub.domain.dashboards.keys import DashboardKey
from workshub.domain.finance import revenue_for_period
from workshub.domain.metrics import (
    SECONDS_PER_HOUR,
    WORKING_DAYS_PER_WEEK,
    Hours,
    Person,
    Utilization,
    aggregate,
    day_capacity,
    entry_seconds,
    ratio,
    utilization_of,
)
from workshub.domain.person_hours import cached_window_hours
from workshub.domain.project_history import HistoryReader, TrendScope, week_owner
from workshub.domain.queries import (
    EntryView,
    Member,
    PersonRecord,
    RunningEntry,
    due_tasks,
    entries_of_day,
    load_people,
    members,
    overdue_task_counts,
    person_windows,
    running_entries,
    unread_notifications,
    window_hours,
)
from workshub.domain.reference_cache import ReferenceSlot
from workshub.domain.timeutil import (
    day_bounds,
    iso_utc,
    local_date,
    period_bounds,
    working_days,
)

__all__ = [
    "TREND_WEEKS",
    "compute_active_timers",
    "compute_metrics",
    "compute_team_data",
    "compute_today",
    "compute_utilization_trend",
]

TREND_WEEKS = 12
LATEST_NOTIFICATIONS = 10
_PEOPLE = ReferenceSlot[tuple[PersonRecord, ...]]("people")


@dataclass(frozen=True, slots=True)
class _Week:
    """A week cut at today: [monday, min(sunday, today)]."""

    monday: date
    last: date

    @classmethod
    def of(cls, monday: date, *, today: date) -> _Week:
        return cls(monday, min(monday + timedelta(days=6), today))


def _team_id(key: DashboardKey) -> int | None:
    return key.scope_id if key.scope == "team" else None


def _key_week(key: DashboardKey) -> date:
    if key.week is None:
        raise ValueError(f"{key} needs a week")
    return key.week


@dataclass(frozen=True, slots=True)
class _Scope:
    listed: list[Member]  # shown person by person
    counted: list[Member]  # in the aggregates: those with capacity
    running: list[RunningEntry]  # every timer running in the scope now, oldest first


def _people(session: Session, history: HistoryReader | None) -> tuple[PersonRecord, ...] | None:
    """Every user from the history's reference cache (None without one: read them)."""
    if history is None:
        return None
    return history.reference.get(_PEOPLE, lambda: load_people(session))


def _scope(
    session: Session,
    key: DashboardKey,
    *,
    first: date,
    last: date,
    history: HistoryReader | None,
) -> _Scope:
    """A team's current members, or for the organisation everyone with capacity, employed
    at some point in [first, last]; their running timers whatever their employment."""
    found = members(
        session, first=first, last=last, team_id=_team_id(key), people=_people(session, history)
    )
    employed = [m for m in found if m.employed(first, last)]
    counted = [m for m in employed if m.person.counts]
    running = sorted(
        (m.running for m in found if m.running is not None),
        key=lambda e: (e.started_at, e.entry_id),
    )
    return _Scope(employed if key.scope == "team" else counted, counted, running)


def _week_figures(
    session: Session,
    people: Sequence[Member],
    weeks: Sequence[_Week],
    *,
    running: Sequence[RunningEntry],
    now: datetime,
    tz: ZoneInfo,
    history: HistoryReader | None,
) -> dict[tuple[int, int], Utilization]:
    """Utilization per (week index, user_id); one SQL query for every person and week (with
    `history`, only for the person-weeks it lacks)."""
    windows = [
        window
        for index, week in enumerate(weeks)
        for window in person_windows(
            (m.person for m in people), first=week.monday, last=week.last, tz=tz, key=index
        )
    ]
    if history is None:
        hours = window_hours(session, windows, running, now=now)
    else:
        hours = cached_window_hours(session, windows, running, now=now, cache=history.people)
    figures = {}
    for index, week in enumerate(weeks):
        days = working_days(week.monday, week.last)
        for member in people:
            capacity = _capacity(member.person, days, member.time_off)
            slot = (index, member.person.id)
            figures[slot] = utilization_of(hours.get(slot, Hours()), capacity)
    return figures


def _capacity(person: Person, days: Sequence[date], time_off: Mapping[date, float]) -> float:
    """`metrics.capacity_over` for working days — the very same sum, term by term — without
    two calls per day: a 12-week trend of the organisation asks it 3,000 times."""
    daily = person.weekly_capacity_hours / WORKING_DAYS_PER_WEEK
    starts_on, ends_on = person.starts_on, person.ends_on
    return sum(
        [
            max(0.0, daily - time_off.get(day, 0.0))
            if (starts_on is None or day >= starts_on) and (ends_on is None or day <= ends_on)
            else 0.0
            for day in days
        ]
    )


def _figure_json(figure: Utilization) -> dict[str, Any]:
    return {
        "tracked_hours": figure.tracked_hours,
        "billable_hours": figure.billable_hours,
        "capacity_hours": figure.capacity_hours,
        "utilization": figure.utilization,
        "billable_utilization": figure.billable_utilization,
        "billable_pct": figure.billable_pct,
    }


def compute_metrics(
    session: Session,
    key: DashboardKey,
    *,
    now: datetime,
    tz: ZoneInfo,
    history: HistoryReader | None = None,
) -> dict[str, Any]:
    """The week's KPIs for a team or the organisation, with revenue (money)."""
    week = _Week.of(_key_week(key), today=local_date(now, tz))
    scope = _scope(session, key, first=week.monday, last=week.last, history=history)
    figures = _week_figures(
        session, scope.counted, [week], running=scope.running, now=now, tz=tz, history=history
    )
    total = aggregate((m.person, figures[(0, m.person.id)]) for m in scope.counted)
    user_ids = frozenset(m.person.id for m in scope.listed) if key.scope == "team" else None
    revenue = revenue_for_period(
        session,
        first=week.monday,
        last=week.last,
        now=now,
        tz=tz,
        user_ids=user_ids,
        history=history,
    )
    return {
        "week": week.monday.isoformat(),
        **_figure_json(total),
        "active_timer_count": len(scope.running),
        "revenue": revenue.revenue,
        "effective_rate": ratio(revenue.revenue, revenue.client_hours),
    }


def _running_json(entry: RunningEntry | None) -> dict[str, Any] | None:
    if entry is None:
        return None
    return {
        "entry_id": entry.entry_id,
        "project_id": entry.project_id,
        "project": entry.project,
        "client": entry.client,
        "since": iso_utc(entry.started_at),
    }


def compute_team_data(
    session: Session,
    key: DashboardKey,
    *,
    now: datetime,
    tz: ZoneInfo,
    history: HistoryReader | None = None,
) -> dict[str, Any]:
    """Per person: the week's hours against capacity, the timer running now, overdue tasks."""
    today = local_date(now, tz)
    week = _Week.of(_key_week(key), today=today)
    scope = _scope(session, key, first=week.monday, last=week.last, history=history)
    figures = _week_figures(
        session, scope.listed, [week], running=scope.running, now=now, tz=tz, history=history
    )
    ids = [m.person.id for m in scope.listed]
    overdue = overdue_task_counts(session, user_ids=ids, today=today)
    rows = []
    for member in sorted(scope.listed, key=lambda m: (m.name.casefold(), m.person.id)):
        uid = member.person.id
        figure = figures[(0, uid)]
        rows.append(
            {
                "user_id": uid,
                "name": member.name,
                "hours": figure.tracked_hours,
                "billable_hours": figure.billable_hours,
                "capacity": figure.capacity_hours,
                "utilization": figure.utilization,
                "running": _running_json(member.running),
                "overdue_tasks": overdue.get(uid, 0),
            }
        )
    return {"week": week.monday.isoformat(), "members": rows}


def compute_active_timers(
    session: Session,
    key: DashboardKey,
    *,
    now: datetime,
    tz: ZoneInfo,
    history: HistoryReader | None = None,
) -> dict[str, Any]:
    """Who is working right now, longest-running first."""
    timers = [
        {
            "entry_id": entry.entry_id,
            "user_id": entry.user_id,
            "user": entry.user,
            "project_id": entry.project_id,
            "project": entry.project,
            "client_id": entry.client_id,
            "client": entry.client,
            "started_at": iso_utc(entry.started_at),
            "note": entry.note,
        }
        for entry in running_entries(session, team_id=_team_id(key))
    ]
    return {"timers": timers}


def _entry_json(entry: EntryView) -> dict[str, Any]:
    return {
        "id": entry.id,
        "project_id": entry.project_id,
        "project": entry.project,
        "client": entry.client,
        "started_at": iso_utc(entry.started_at),
        "ended_at": iso_utc(entry.ended_at),
        "duration_s": entry.duration_s,
        "note": entry.note,
        "billable": entry.billable,
        "version": entry.version,
    }


def _target_hours(
    session: Session, user_id: int, today: date, history: HistoryReader | None
) -> float:
    people = _people(session, history)
    found = members(session, first=today, last=today, user_ids=[user_id], people=people)
    if not found:
        return 0.0
    member = found[0]
    return day_capacity(member.person, today, time_off_hours=member.time_off.get(today, 0.0))


def compute_today(
    session: Session,
    key: DashboardKey,
    *,
    now: datetime,
    tz: ZoneInfo,
    history: HistoryReader | None = None,
) -> dict[str, Any]:
    """One person's day: their timer, today's entries against the daily target, due tasks,
    unread notifications."""
    user_id = key.scope_id
    today = local_date(now, tz)
    lo, hi = day_bounds(today, tz)
    found = entries_of_day(session, user_id=user_id, lo=lo, hi=hi)
    running = next((e for e in found if e.ended_at is None), None)
    todays = [e for e in found if lo <= e.started_at < hi]
    hours_today = sum(
        entry_seconds(duration_s=e.duration_s, started_at=e.started_at, now=now) for e in todays
    )
    unread, notifications = unread_notifications(
        session, user_id=user_id, limit=LATEST_NOTIFICATIONS
    )
    tasks = due_tasks(session, user_id=user_id, today=today)
    return {
        "day": today.isoformat(),
        "running": _entry_json(running) if running else None,
        "entries": [_entry_json(e) for e in todays],
        "hours_today": hours_today / SECONDS_PER_HOUR,
        "target_hours": _target_hours(session, user_id, today, history),
        "tasks": [
            {
                "id": t.id,
                "title": t.title,
                "project": t.project,
                "due_on": t.due_on.isoformat() if t.due_on else None,
                "status": t.status,
                "version": t.version,
            }
            for t in tasks
        ],
        "unread_count": unread,
        "notifications": [
            {
                "id": n.id,
                "kind": n.kind,
                "title": n.title,
                "body": n.body,
                "link": n.link,
                "created_at": iso_utc(n.created_at),
            }
            for n in notifications
        ],
    }


def compute_utilization_trend(
    session: Session,
    key: DashboardKey,
    *,
    now: datetime,
    tz: ZoneInfo,
    history: HistoryReader | None = None,
) -> dict[str, Any]:
    """The 12 weeks ending with the key's week, each aggregated like `metrics`."""
    today = local_date(now, tz)
    last_monday = _key_week(key)
    weeks = [
        _Week.of(last_monday - timedelta(weeks=back), today=today)
        for back in range(TREND_WEEKS - 1, -1, -1)
    ]
    scope = _scope(session, key, first=weeks[0].monday, last=weeks[-1].last, history=history)
    closed = [] if history is None else _closed_weeks(weeks, scope.running, today=today, tz=tz)
    kept = _kept_totals(key, closed, history=history)
    fresh = [week for week in weeks if week.monday not in kept]
    figures = _week_figures(
        session, scope.counted, fresh, running=scope.running, now=now, tz=tz, history=history
    )
    totals = {
        week.monday: aggregate((m.person, figures[(index, m.person.id)]) for m in scope.counted)
        for index, week in enumerate(fresh)
    }
    if history is not None:
        history.weeks.put(
            _trend_scope(key),
            {week_owner(monday): totals[monday] for monday in closed if monday not in kept},
        )
    totals |= kept
    rows = []
    for week in weeks:
        total = totals[week.monday]
        rows.append(
            {
                "week": week.monday.isoformat(),
                "tracked_hours": total.tracked_hours,
                "capacity_hours": total.capacity_hours,
                "utilization": total.utilization,
                "billable_pct": total.billable_pct,
            }
        )
    return {"weeks": rows}


def _trend_scope(key: DashboardKey) -> TrendScope:
    return (key.scope, key.scope_id)


def _closed_weeks(
    weeks: Sequence[_Week], running: Sequence[RunningEntry], *, today: date, tz: ZoneInfo
) -> list[date]:
    """The Mondays of the weeks whose totals may be kept: over before today, and no timer
    running that started in them (it would count up to now). Their figures change only by an
    entry event in the week, time off on one of its days or a reference edit, and each of
    those drops them from `ProjectHistory.weeks`."""
    closed = []
    for week in weeks:
        if week.last < today:
            lo, hi = period_bounds(week.monday, week.last, tz)
            if not any(lo <= entry.started_at < hi for entry in running):
                closed.append(week.monday)
    return closed


def _kept_totals(
    key: DashboardKey, closed: Sequence[date], *, history: HistoryReader | None
) -> dict[date, Utilization]:
    """The totals of closed weeks the history holds, by Monday. A person counted in this
    trend but not employed in one of its weeks adds exact zeros to that week, so a week's
    totals are the same to the last bit whichever trend (of the same scope) computed them."""
    if history is None or not closed:
        return {}
    owners = {week_owner(monday): monday for monday in closed}
    found = history.weeks.get(_trend_scope(key), owners)
    return {owners[owner]: total for owner, total in found.items()}
