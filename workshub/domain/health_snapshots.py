"""Weekly client-health snapshots (SPEC §3): a past week, frozen once, never recomputed live.

Week W is frozen at Tuesday 00:00 local after it ends, with running entries counted up to that
instant. One snapshot per client that is active or had hours that week. Freezing a backlog
(a fresh seed, or a server that was down) loads every week's facts in one pass — a handful of
aggregate statements over the whole range — and writes the rows in weekly batches.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, delete, insert
from sqlalchemy.engine import Engine
from sqlmodel import Session

from workshub.db import session_scope
from workshub.domain.client_queries import (
    ClientRow,
    ProjectRow,
    earliest_entry_start,
    frozen_weeks,
    load_clients,
)
from workshub.domain.client_week import ClientWeek, assess_weeks, freeze_instant
from workshub.domain.models import ClientHealthSnapshot, ClientStatus
from workshub.domain.timeutil import local_date, week_start

__all__ = ["MAX_BACKLOG_WEEKS", "freeze_past_weeks", "freeze_week", "last_freezable_week"]

MAX_BACKLOG_WEEKS = 156  # three years
WRITE_BATCH_WEEKS = 13

_snapshots = cast(Table, ClientHealthSnapshot.__table__)  # type: ignore[attr-defined]

Progress = Callable[[int, int], None]
_ACTIVE = ClientStatus.active.value


def last_freezable_week(*, now: datetime, tz: ZoneInfo) -> date:
    """The latest Monday whose freeze instant (Tuesday 00:00 after the week) has passed."""
    monday = week_start(local_date(now, tz)) - timedelta(weeks=1)
    while freeze_instant(monday, tz) > now:
        monday -= timedelta(weeks=1)
    return monday


def freeze_week(session: Session, week: date, *, now: datetime, tz: ZoneInfo) -> int:
    """Write (or overwrite) week `week`'s snapshots in the caller's transaction; returns how
    many. Refuses a week whose freeze instant has not come yet."""
    if week.weekday() != 0:
        raise ValueError(f"{week} is not a Monday")
    if freeze_instant(week, tz) > now:
        raise ValueError(f"week {week} is not over until {freeze_instant(week, tz).isoformat()}")
    clients, projects = _all_clients(session)
    rows = _snapshot_rows(session, [week], clients=clients, projects=projects, now=now, tz=tz)
    return _write(session, [week], rows=rows)


def freeze_past_weeks(
    engine: Engine, *, now: datetime, tz: ZoneInfo, progress: Progress | None = None
) -> int:
    """Freeze every past week not frozen yet, from the week of the earliest entry (at most
    MAX_BACKLOG_WEEKS back). Returns how many weeks were frozen; `progress(done, total)` is
    called after each batch of weeks is written."""
    with session_scope(engine) as session:
        weeks = _weeks_to_freeze(session, now=now, tz=tz)
        if not weeks:
            return 0
        clients, projects = _all_clients(session)
        rows = _snapshot_rows(session, weeks, clients=clients, projects=projects, now=now, tz=tz)
    by_week: dict[date, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_week[row["week"]].append(row)
    for done in range(0, len(weeks), WRITE_BATCH_WEEKS):
        batch = weeks[done : done + WRITE_BATCH_WEEKS]
        with session_scope(engine, write=True) as session:
            _write(session, batch, rows=[row for week in batch for row in by_week[week]])
        if progress is not None:
            progress(min(done + WRITE_BATCH_WEEKS, len(weeks)), len(weeks))
    return len(weeks)


def _weeks_to_freeze(session: Session, *, now: datetime, tz: ZoneInfo) -> list[date]:
    earliest = earliest_entry_start(session)
    if earliest is None:
        return []
    last = last_freezable_week(now=now, tz=tz)
    first = max(week_start(local_date(earliest, tz)), last - timedelta(weeks=MAX_BACKLOG_WEEKS - 1))
    if first > last:
        return []
    done = frozen_weeks(session, first=first, last=last)
    count = (last - first).days // 7 + 1
    weeks = (first + timedelta(weeks=k) for k in range(count))
    return [week for week in weeks if week not in done]


def _all_clients(session: Session) -> tuple[list[ClientRow], dict[int, list[ProjectRow]]]:
    clients, project_rows = load_clients(session, client_ids=None)
    projects: dict[int, list[ProjectRow]] = defaultdict(list)
    for project in project_rows:
        if project.client_id is not None:
            projects[project.client_id].append(project)
    return clients, projects


def _snapshot_rows(
    session: Session,
    weeks: Sequence[date],
    *,
    clients: Sequence[ClientRow],
    projects: Mapping[int, Sequence[ProjectRow]],
    now: datetime,
    tz: ZoneInfo,
) -> list[dict[str, Any]]:
    ids = [c.id for c in clients]
    assessed = assess_weeks(
        session,
        {week: ids for week in weeks},
        clients=clients,
        projects=projects,
        now=now,
        tz=tz,
        count_to={week: freeze_instant(week, tz) for week in weeks},
    )
    return [_row(week, now=now) for week in assessed.values() if _kept(week)]


def _kept(week: ClientWeek) -> bool:
    return week.client.status == _ACTIVE or week.hours_week > 0


def _row(week: ClientWeek, *, now: datetime) -> dict[str, Any]:
    return {
        "client_id": week.client.id,
        "week": week.monday,
        "score": week.health.score,
        "rag": week.health.rag,
        "components": week.health.components(),
        "computed_at": now,
    }


def _write(session: Session, weeks: Iterable[date], *, rows: list[dict[str, Any]]) -> int:
    session.execute(delete(_snapshots).where(_snapshots.c.week.in_(list(weeks))))
    if rows:
        session.execute(insert(_snapshots), rows)
    return len(rows)
