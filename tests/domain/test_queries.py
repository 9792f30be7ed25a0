"""The SQL aggregates behind the people dashboards, on SQLite and PostgreSQL, and the plans
SQLite picks for them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests import factories as f
from workshub.domain.metrics import Hours, Person
from workshub.domain.models import Notification, Task
from workshub.domain.queries import (
    Window,
    closed_hours,
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
from workshub.domain.timeutil import day_bounds, period_bounds

BERLIN = ZoneInfo("Europe/Berlin")
MON, SUN = date(2026, 11, 23), date(2026, 11, 29)
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


@contextmanager
def statements(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    """Every SQL statement (with its parameters) the engine runs inside the block."""
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if not statement.startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


@pytest.mark.parametrize("roster", [False, True], ids=["read", "from the roster"])
def test_members_carry_their_time_off_and_running_timer(any_engine: Engine, roster: bool) -> None:
    """The same whether the people are read with them or come from `load_people` (what
    `ProjectHistory.reference` keeps)."""
    alpha = f.team(any_engine, "Alpha")
    beta = f.team(any_engine, "Beta")
    acme = f.client(any_engine, "Acme")
    site = f.project(any_engine, "Site", client_id=acme.id)
    ann = f.user(any_engine, "ann@x.test", team_id=alpha.id)
    bob = f.user(any_engine, "bob@x.test", team_id=alpha.id, starts_on=date(2026, 11, 27))
    gone = f.user(any_engine, "gone@x.test", team_id=alpha.id, ends_on=date(2026, 11, 20))
    f.user(any_engine, "later@x.test", team_id=alpha.id, starts_on=date(2026, 11, 30))
    dan = f.user(any_engine, "dan@x.test", team_id=beta.id, weekly_capacity_hours=0)
    f.time_off(any_engine, ann, date(2026, 11, 24), 3)
    f.time_off(any_engine, ann, date(2026, 11, 24), 2)
    f.time_off(any_engine, ann, date(2026, 11, 26), 1)
    f.time_off(any_engine, ann, date(2026, 11, 30), 8)  # outside the period
    timer = f.entry(any_engine, ann, site, utc(25, 9), None, note="n")
    f.entry(any_engine, ann, site, utc(24, 9), 1.0)
    f.entry(any_engine, gone, site, utc(19, 9), None)  # a leaver's forgotten timer
    with Session(any_engine) as session:
        people = load_people(session) if roster else None
        team = members(session, first=MON, last=SUN, team_id=alpha.id, people=people)
        everyone = members(session, first=MON, last=SUN, people=people)
        one = members(session, first=MON, last=SUN, user_ids=[dan.id], people=people)
        nobody = members(session, first=MON, last=SUN, team_id=-1, people=people)
    assert nobody == []
    assert [m.name for m in team] == ["Ann", "Bob", "Gone", "Later"]
    assert [m.employed(MON, SUN) for m in team] == [True, True, False, False]
    first = team[0]
    assert first.time_off == {date(2026, 11, 24): 5.0, date(2026, 11, 26): 1.0}
    assert first.person == Person(ann.id, 37.5, None, None)
    assert first.running is not None
    assert (first.running.entry_id, first.running.client, first.running.note) == (
        timer.id,
        "Acme",
        "n",
    )
    assert team[1].person == Person(bob.id, 37.5, date(2026, 11, 27), None)
    assert (team[1].time_off, team[1].running) == ({}, None)
    assert team[2].running is not None
    assert len(everyone) == 5
    assert [m.time_off for m in everyone if m.person.id == ann.id] == [first.time_off]
    assert [m.person.id for m in everyone if m.running] == [ann.id, gone.id]
    assert [(m.name, m.team_id, m.person.weekly_capacity_hours) for m in one] == [
        ("Dan", beta.id, 0.0)
    ]


def test_windows_follow_local_midnights_and_employment() -> None:
    starter = Person(7, 37.5, starts_on=date(2026, 11, 25))
    gone = Person(8, 37.5, ends_on=date(2026, 11, 1))
    windows = person_windows([starter, gone], first=MON, last=SUN, tz=BERLIN, key=3)
    assert windows == [Window(3, 7, utc(24, 23), utc(29, 23))]


def test_hours_per_window_count_an_entry_in_the_local_week_it_started(any_engine: Engine) -> None:
    ann = f.user(any_engine, "ann@x.test")
    work = f.project(any_engine, "Work")
    admin = f.project(any_engine, "Admin", default_billable=False)
    f.entry(any_engine, ann, work, utc(22, 22, 30), 1.0)  # Sun 23:30 Berlin: previous week
    f.entry(any_engine, ann, work, utc(22, 23, 30), 2.0)  # Mon 00:30 Berlin: this week
    f.entry(any_engine, ann, admin, utc(24, 9), 0.5)  # not billable
    f.entry(any_engine, ann, work, utc(29, 22, 59), 0.25)  # Sun 23:59 Berlin: this week
    f.entry(any_engine, ann, work, utc(29, 23), 4.0)  # Mon 30 00:00 Berlin: next week
    f.entry(any_engine, ann, work, utc(25, 8, 30), None)  # running: 1.5 h at 10:00
    person = Person(ann.id, 37.5)
    this_week = person_windows([person], first=MON, last=SUN, tz=BERLIN, key=1)
    last_week = person_windows(
        [person], first=MON - timedelta(weeks=1), last=SUN - timedelta(weeks=1), tz=BERLIN, key=0
    )
    with Session(any_engine) as session:
        stopped = closed_hours(session, [*last_week, *this_week])
        running = running_entries(session, user_id=ann.id)
        total = window_hours(session, [*last_week, *this_week], running, now=NOW)
    assert stopped == {(0, ann.id): Hours(3600, 3600), (1, ann.id): Hours(9900, 8100)}
    assert total[(0, ann.id)] == Hours(3600, 3600)
    assert total[(1, ann.id)] == Hours(9900 + 5400, 8100 + 5400)


def test_a_window_with_only_a_running_entry_and_no_windows_at_all(any_engine: Engine) -> None:
    ann = f.user(any_engine, "ann@x.test")
    bob = f.user(any_engine, "bob@x.test")
    internal = f.project(any_engine, "Internal", default_billable=False)
    f.entry(any_engine, ann, internal, utc(25, 9, 45), None)
    f.entry(any_engine, bob, internal, utc(20, 9), 1.0)  # last week only
    windows = person_windows(
        [Person(ann.id, 37.5), Person(bob.id, 37.5)], first=MON, last=SUN, tz=ZoneInfo("UTC")
    )
    with Session(any_engine) as session, statements(any_engine) as seen:
        running = running_entries(session)
        total = window_hours(session, windows, running, now=NOW)
        assert closed_hours(session, []) == {}
    assert total == {(0, ann.id): Hours(900, 0)}
    assert len(seen) == 2  # no query for no windows


def test_running_entries_by_team_user_and_organisation(any_engine: Engine) -> None:
    alpha = f.team(any_engine, "Alpha")
    acme = f.client(any_engine, "Acme")
    site = f.project(any_engine, "Site", client_id=acme.id)
    internal = f.project(any_engine, "Internal")
    ann = f.user(any_engine, "ann@x.test", team_id=alpha.id)
    bob = f.user(any_engine, "bob@x.test")
    late = f.entry(any_engine, ann, site, utc(25, 9), None, note="homepage")
    early = f.entry(any_engine, bob, internal, utc(25, 7), None)
    f.entry(any_engine, bob, site, utc(24, 7), 2.0)
    with Session(any_engine) as session:
        everyone = running_entries(session)
        team = running_entries(session, team_id=alpha.id)
        one = running_entries(session, user_id=bob.id)
    assert [e.entry_id for e in everyone] == [early.id, late.id]
    [mine] = team
    assert (mine.user, mine.project, mine.client_id, mine.client, mine.note) == (
        "Ann",
        "Site",
        acme.id,
        "Acme",
        "homepage",
    )
    assert mine.started_at == utc(25, 9)
    assert [(e.entry_id, e.client) for e in one] == [(early.id, None)]


def _task(engine: Engine, project_id: int, assignee_id: int, **fields: Any) -> Task:
    task: Task = f._add(engine, Task(project_id=project_id, assignee_id=assignee_id, **fields))
    return task


def test_open_tasks_overdue_and_due_today(any_engine: Engine) -> None:
    ann = f.user(any_engine, "ann@x.test")
    bob = f.user(any_engine, "bob@x.test")
    site = f.project(any_engine, "Site")
    today = date(2026, 11, 25)
    old = _task(any_engine, site.id, ann.id, title="old", due_on=date(2026, 11, 20))
    now_due = _task(any_engine, site.id, ann.id, title="today", due_on=today, status="doing")
    _task(any_engine, site.id, ann.id, title="done", due_on=date(2026, 11, 20), status="done")
    _task(any_engine, site.id, ann.id, title="later", due_on=date(2026, 11, 26))
    _task(any_engine, site.id, ann.id, title="undated")
    _task(any_engine, site.id, bob.id, title="bob's", due_on=date(2026, 11, 24))
    with Session(any_engine) as session:
        counts = overdue_task_counts(session, user_ids=[ann.id, bob.id], today=today)
        assert overdue_task_counts(session, user_ids=[], today=today) == {}
        due = due_tasks(session, user_id=ann.id, today=today)
    assert counts == {ann.id: 1, bob.id: 1}
    assert [(t.id, t.title, t.project, t.status) for t in due] == [
        (old.id, "old", "Site", "todo"),
        (now_due.id, "today", "Site", "doing"),
    ]


def test_unread_notifications_count_all_and_list_the_latest(any_engine: Engine) -> None:
    ann = f.user(any_engine, "ann@x.test")
    bob = f.user(any_engine, "bob@x.test")
    for i in range(12):
        f._add(
            any_engine,
            Notification(user_id=ann.id, kind="k", title=f"n{i}", created_at=utc(20, 8 + i)),
        )
    f._add(
        any_engine,
        Notification(
            user_id=ann.id, kind="k", title="read", created_at=utc(24, 9), read_at=utc(24, 10)
        ),
    )
    with Session(any_engine) as session:
        count, latest = unread_notifications(session, user_id=ann.id, limit=10)
        none = unread_notifications(session, user_id=bob.id)
    assert count == 12
    assert [n.title for n in latest] == [f"n{i}" for i in range(11, 1, -1)]
    assert latest[0].created_at == utc(20, 19)
    assert none == (0, [])


def test_entries_of_a_day_include_a_timer_started_the_day_before(any_engine: Engine) -> None:
    ann = f.user(any_engine, "ann@x.test")
    acme = f.client(any_engine, "Acme")
    site = f.project(any_engine, "Site", client_id=acme.id)
    overnight = f.entry(any_engine, ann, site, utc(24, 22), None)
    morning = f.entry(any_engine, ann, site, utc(25, 0, 30), 1.0, note="x")
    f.entry(any_engine, ann, site, utc(24, 9), 2.0)  # yesterday
    lo, hi = day_bounds(date(2026, 11, 25), ZoneInfo("UTC"))
    with Session(any_engine) as session:
        found = entries_of_day(session, user_id=ann.id, lo=lo, hi=hi)
    assert [e.id for e in found] == [morning.id, overnight.id]
    assert (found[0].client, found[0].duration_s, found[0].note, found[0].version) == (
        "Acme",
        3600,
        "x",
        1,
    )
    assert found[1].ended_at is None


# --- plans -------------------------------------------------------------------------------------


def _plans(engine: Engine, seen: list[tuple[str, Any]]) -> list[list[str]]:
    """SQLite's EXPLAIN QUERY PLAN for each statement that reads time_entry."""
    plans = []
    with engine.connect() as conn:
        for statement, parameters in seen:
            if "time_entry" in statement:
                rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
                plans.append([row[-1] for row in rows])
    return plans


def _uses_entry_indexes(plan: list[str]) -> bool:
    lines = [line for line in plan if "time_entry" in line]
    return bool(lines) and all(
        "ix_entry_user_time" in line or "ux_entry_one_running" in line for line in lines
    )


def test_hot_queries_range_scan_the_covering_index_not_the_table(engine: Engine) -> None:
    alpha = f.team(engine, "Alpha")
    site = f.project(engine, "Site")
    people = [f.user(engine, f"p{i}@x.test", team_id=alpha.id) for i in range(3)]
    for day in range(2, 28):
        for person in people:
            f.entry(engine, person, site, utc(day, 9), 1.0)
    f.entry(engine, people[0], site, utc(25, 9, 30), None)
    windows = person_windows([Person(p.id, 37.5) for p in people], first=MON, last=SUN, tz=BERLIN)
    lo, hi = day_bounds(date(2026, 11, 25), BERLIN)
    with Session(engine) as session, statements(engine) as seen:
        closed_hours(session, windows)
        members(session, first=MON, last=SUN)
        members(session, first=MON, last=SUN, team_id=alpha.id)
        running_entries(session)
        running_entries(session, team_id=alpha.id)
        running_entries(session, user_id=people[0].id)
        entries_of_day(session, user_id=people[0].id, lo=lo, hi=hi)
    plans = _plans(engine, seen)
    assert len(plans) == 7
    for plan in plans:
        assert _uses_entry_indexes(plan), plan
    assert any("COVERING INDEX ix_entry_user_time" in line for line in plans[0]), plans[0]
    assert not any("SCAN time_entry" in line and "INDEX" not in line for p in plans for line in p)


def test_members_from_the_roster_probe_the_time_off_index_per_person(engine: Engine) -> None:
    alpha = f.team(engine, "Alpha")
    site = f.project(engine, "Site")
    people = [f.user(engine, f"p{i}@x.test", team_id=alpha.id) for i in range(3)]
    for person in people:
        f.time_off(engine, person, date(2026, 11, 24), 2)
        f.entry(engine, person, site, utc(24, 9), 1.0)
    f.entry(engine, people[0], site, utc(25, 9, 30), None)
    with Session(engine) as session:
        roster = load_people(session)
        with statements(engine) as seen:
            members(session, first=MON, last=SUN, people=roster)
            members(session, first=MON, last=SUN, team_id=alpha.id, people=roster)
    plans = _plans(engine, seen)
    assert len(plans) == 2
    for plan in plans:
        assert _uses_entry_indexes(plan), plan
        time_off = [line for line in plan if "time_off" in line]
        assert time_off and all("ix_time_off_user_day" in line for line in time_off), plan


@pytest.mark.parametrize("bounds", [period_bounds(MON, SUN, BERLIN)])
def test_the_window_query_probes_the_index_per_person(
    engine: Engine, bounds: tuple[datetime, datetime]
) -> None:
    ann = f.user(engine, "ann@x.test")
    with Session(engine) as session, statements(engine) as seen:
        closed_hours(session, [Window(0, ann.id, *bounds)])
    [plan] = _plans(engine, seen)
    searches = [line for line in plan if "time_entry" in line]
    assert searches == [
        "SEARCH time_entry USING COVERING INDEX ix_entry_user_time "
        "(user_id=? AND started_at>? AND started_at<?)"
    ]
