"""Issue 2's independent check: the demo organisation's metrics worked out with plain SQL
(the sqlite3 module, hand-written statements, SPEC §4 read afresh) and a few lines of Python
for capacity, compared with what the REST API answers. No metric code is used for the
expectations; only the seed, the API and these statements.

Day and week bucketing happens in SQL on the stored naive-UTC text, shifted by the
organisation's UTC offset (constant over the weeks checked: asserted). Run in UTC and in
Europe/Berlin; Berlin's `now` is just after local midnight, so "today" differs from UTC's.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlmodel import Session, select

from tests.api.conftest import give_token, make_app
from tests.conftest import make_system
from workshub.app import System
from workshub.clock import FakeClock
from workshub.db import create_db_engine
from workshub.domain.models import User
from workshub.domain.seed import seed
from workshub.migrate import upgrade_database

TOLERANCE_H = 1e-6

CASES = [
    ("UTC", datetime(2026, 11, 25, 10, 0, tzinfo=UTC)),  # Wednesday 10:00
    ("Europe/Berlin", datetime(2026, 11, 24, 23, 30, tzinfo=UTC)),  # Wednesday 00:30 local
]

# Seconds an entry counts: its duration, or a running one up to now (:now, naive UTC text).
SECONDS = """CASE WHEN e.duration_s IS NOT NULL THEN e.duration_s
                  ELSE (julianday(:now) - julianday(e.started_at)) * 86400.0 END"""
LOCAL_DAY = "date(e.started_at, :shift)"

# Per person: hours and billable hours of entries that started on a local day of the week
# on which that person was employed (SPEC §4: a user's hours count on those days only).
PERSON_WEEK = f"""
SELECT e.user_id,
       SUM({SECONDS}) / 3600.0,
       SUM(CASE WHEN e.billable THEN {SECONDS} ELSE 0 END) / 3600.0
FROM time_entry e JOIN user u ON u.id = e.user_id
WHERE {LOCAL_DAY} BETWEEN :monday AND :sunday
  AND (u.starts_on IS NULL OR {LOCAL_DAY} >= u.starts_on)
  AND (u.ends_on IS NULL OR {LOCAL_DAY} <= u.ends_on)
GROUP BY e.user_id
"""

# Per client: every hour on its projects that started in the week, whoever logged it.
CLIENT_WEEK = f"""
SELECT p.client_id, SUM({SECONDS}) / 3600.0
FROM time_entry e JOIN project p ON p.id = e.project_id
WHERE p.client_id IS NOT NULL AND {LOCAL_DAY} BETWEEN :monday AND :sunday
GROUP BY p.client_id
"""

PEOPLE = "SELECT id, team_id, weekly_capacity_hours, starts_on, ends_on FROM user"
TIME_OFF = """SELECT user_id, day, SUM(hours) FROM time_off
              WHERE day BETWEEN :monday AND :sunday GROUP BY user_id, day"""


@dataclass(frozen=True)
class Person:
    id: int
    team_id: int | None
    weekly: float
    starts_on: date | None
    ends_on: date | None

    def employed(self, day: date) -> bool:
        return (self.starts_on is None or self.starts_on <= day) and (
            self.ends_on is None or day <= self.ends_on
        )


@dataclass
class Expected:
    """One week's figures, computed without WorksHub's metric code."""

    hours: dict[int, tuple[float, float]]  # user → (tracked, billable)
    capacity: dict[int, float]  # user → capacity
    people: list[Person]
    client_hours: dict[int, float]
    last_day: date  # the week's last counted day (today for the current week)

    def org(self) -> dict[str, float | None]:
        counted = [p.id for p in self.people if p.weekly > 0]
        tracked = sum(self.hours.get(i, (0.0, 0.0))[0] for i in counted)
        billable = sum(self.hours.get(i, (0.0, 0.0))[1] for i in counted)
        capacity = sum(self.capacity[i] for i in counted)
        return {
            "tracked_hours": tracked,
            "billable_hours": billable,
            "capacity_hours": capacity,
            "utilization": tracked / capacity if capacity else None,
            "billable_utilization": billable / capacity if capacity else None,
            "billable_pct": billable / tracked if tracked else None,
        }

    def team_members(self, team_id: int, monday: date) -> dict[int, float]:
        """Current members employed on some day of the week so far → their hours."""
        days = [monday + timedelta(days=k) for k in range((self.last_day - monday).days + 1)]
        return {
            p.id: self.hours.get(p.id, (0.0, 0.0))[0]
            for p in self.people
            if p.team_id == team_id and any(p.employed(d) for d in days)
        }


def expected_week(db: sqlite3.Connection, *, monday: date, now: datetime, tz: ZoneInfo) -> Expected:
    today = now.astimezone(tz).date()
    last = min(monday + timedelta(days=6), today)
    offset = datetime.combine(monday, time(), tzinfo=tz).utcoffset()
    assert offset is not None and offset == now.astimezone(tz).utcoffset()  # no DST change
    params = {
        "monday": monday.isoformat(),
        "sunday": (monday + timedelta(days=6)).isoformat(),
        "now": _text(now),
        "shift": f"{int(offset.total_seconds() // 3600):+d} hours",
    }
    hours = {uid: (tracked, billable) for uid, tracked, billable in db.execute(PERSON_WEEK, params)}
    people = [
        Person(pid, team, weekly, _day(starts), _day(ends))
        for pid, team, weekly, starts, ends in db.execute(PEOPLE)
    ]
    off: dict[tuple[int, date], float] = defaultdict(float)
    for uid, day, h in db.execute(TIME_OFF, params):
        off[uid, date.fromisoformat(day)] += h
    workdays = [d for d in (monday + timedelta(days=k) for k in range(7)) if d.weekday() < 5]
    capacity = {
        p.id: sum(
            max(0.0, p.weekly / 5 - off[p.id, d]) for d in workdays if d <= last and p.employed(d)
        )
        for p in people
    }
    clients = dict(db.execute(CLIENT_WEEK, params).fetchall())
    return Expected(hours, capacity, people, clients, last)


def add_edges(path: Path, *, now: datetime, tz: ZoneInfo) -> None:
    """Entries the seed never makes, where the rules bite: one just after and one just before
    local Monday midnight (the week an entry belongs to is local), and one by a leaver after
    their last day (not theirs, nor the organisation's, but still the client's)."""
    monday = now.astimezone(tz).date() - timedelta(days=now.astimezone(tz).weekday())
    midnight = datetime.combine(monday, time(), tzinfo=tz).astimezone(UTC)
    with closing(sqlite3.connect(path)) as db, db:
        member, project = db.execute(
            """SELECT u.id, p.id FROM user u, project p
               WHERE u.weekly_capacity_hours > 0 AND u.ends_on IS NULL AND u.team_id IS NOT NULL
                 AND p.client_id IS NOT NULL ORDER BY u.id, p.id LIMIT 1"""
        ).fetchone()
        (leaver,) = db.execute(
            "SELECT id FROM user WHERE ends_on < :monday ORDER BY id LIMIT 1",
            {"monday": monday.isoformat()},
        ).fetchone()
        edges = [
            (member, midnight + timedelta(minutes=30), 3600),
            (member, midnight - timedelta(minutes=30), 1800),
            (leaver, midnight + timedelta(hours=9), 7200),
        ]
        db.executemany(
            """INSERT INTO time_entry (user_id, project_id, started_at, ended_at, duration_s,
                   note, billable, bill_rate, source, version, created_at, updated_at)
               VALUES (?, ?, ?, ?, ?, 'edge', 1, 100.0, 'manual', 1, ?, ?)""",
            [
                (
                    user,
                    project,
                    _text(start),
                    _text(start + timedelta(seconds=s)),
                    s,
                    *[_text(now)] * 2,
                )
                for user, start, s in edges
            ],
        )


def _text(instant: datetime) -> str:
    """An instant as stored: naive UTC text."""
    return instant.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


@pytest.fixture(params=CASES, ids=[tz for tz, _ in CASES])
def demo(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[System, Path]]:
    tz_name, now = request.param
    path = tmp_path / "demo.db"
    engine = create_db_engine(f"sqlite:///{path}")
    upgrade_database(engine)
    seed(engine, profile="demo", now=now, tz=ZoneInfo(tz_name), progress=False)
    add_edges(path, now=now, tz=ZoneInfo(tz_name))
    system = make_system(engine, FakeClock(now), tmp_path, tz=tz_name)
    yield system, path
    engine.dispose()


def close(actual: Any, expected: float | None) -> bool:
    if expected is None or actual is None:
        return actual is expected
    return abs(actual - expected) <= TOLERANCE_H


Fetch = Callable[..., Awaitable[dict[str, Any]]]


async def check_week(data: Fetch, want: Expected, monday: date) -> int:
    """Compare one week's org metrics, every team's member hours and every listed client's
    week hours; returns how many figures were compared."""
    week = monday.isoformat()
    checked = 0
    metrics = await data("metrics", week=week)
    org = want.org()
    assert org["tracked_hours"] and org["capacity_hours"]  # the check has teeth
    for name, value in org.items():
        assert close(metrics[name], value), (week, name, metrics[name], value)
        checked += 1
    team_ids = sorted({p.team_id for p in want.people if p.team_id is not None})
    assert len(team_ids) == 5
    for team_id in team_ids:
        members = (await data("team_data", week=week, team_id=team_id))["members"]
        got = {m["user_id"]: m["hours"] for m in members}
        expected = want.team_members(team_id, monday)
        assert got.keys() == expected.keys(), (week, team_id)
        for user_id, hours in expected.items():
            assert close(got[user_id], hours), (week, team_id, user_id)
            checked += 1
    rows = {c["client_id"]: c for c in (await data("client_data", week=week))["clients"]}
    assert len(set(rows) & set(want.client_hours)) >= 10
    for client_id, row in rows.items():
        assert close(row["hours_week"], want.client_hours.get(client_id, 0.0)), (week, client_id)
        checked += 1
    return checked


async def test_the_api_agrees_with_plain_sql_on_the_demo_data(
    demo: tuple[System, Path],
) -> None:
    system, path = demo
    with Session(system.engine) as session:
        admin = session.exec(select(User).where(User.email == "admin@demo.test")).one()
    headers = {"Authorization": f"Bearer {give_token(system.engine, admin)}"}
    now, tz = system.clock.now(), system.tz
    local = now.astimezone(tz).date()
    current = local - timedelta(days=local.weekday())
    transport = httpx.ASGITransport(app=make_app(system))
    checked = 0
    with closing(sqlite3.connect(path)) as db:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:

            async def data(kind: str, **query: Any) -> dict[str, Any]:
                answer = await http.get(f"/api/v1/dashboard/{kind}", params=query, headers=headers)
                assert answer.status_code == 200, answer.text
                return answer.json()["data"]

            for monday in (current, current - timedelta(weeks=1)):
                want = expected_week(db, monday=monday, now=now, tz=tz)
                checked += await check_week(data, want, monday)
    assert checked > 120
