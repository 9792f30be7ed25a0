"""The seed: deterministic, complete demo logins, and entries that respect every bound."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine
from sqlmodel import Session
from sqlmodel import select as select_rows

from tests import factories
from workshub.clock import FakeClock
from workshub.db import create_db_engine
from workshub.domain.auth import verify_password
from workshub.domain.models import (
    Client,
    ClientHealthSnapshot,
    ClientPulse,
    Project,
    Task,
    Team,
    TimeEntry,
    TimeOff,
    User,
)
from workshub.domain.seed import (
    DEMO_LOGINS,
    DEMO_PASSWORD,
    LARGE,
    DatabaseNotEmpty,
    seed,
    seed_if_empty,
)
from workshub.domain.timeutil import local_date, week_start
from workshub.migrate import upgrade_database

UTC_ZONE = ZoneInfo("UTC")
NEW_YORK = ZoneInfo("America/New_York")  # three years of DST changes in the large history
TABLES = (Team, User, Client, Project, TimeEntry, TimeOff, Task, ClientPulse)


def fresh_sqlite(tmp_path: Path, name: str) -> Engine:
    engine = create_db_engine(f"sqlite:///{tmp_path / name}")
    upgrade_database(engine)
    return engine


def row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            model.__name__: conn.execute(select(func.count()).select_from(model)).scalar_one()
            for model in TABLES
        }


def first_entries(engine: Engine, n: int = 50) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                TimeEntry.id,
                TimeEntry.user_id,
                TimeEntry.project_id,
                TimeEntry.started_at,
                TimeEntry.ended_at,
                TimeEntry.duration_s,
                TimeEntry.note,
                TimeEntry.billable,
                TimeEntry.bill_rate,
            )
            .order_by(TimeEntry.id)
            .limit(n)
        ).all()
    return [tuple(row) for row in rows]


def assert_entries_within_bounds(engine: Engine, *, now: datetime, tz: ZoneInfo) -> None:
    """No entry outside its person's employment or its project's dates; every finished one
    lasts (0, 24 h] and ended before now; running ones began earlier today, < 3 h ago."""
    today = local_date(now, tz)
    with Session(engine) as session:
        users = {u.id: u for u in session.exec(select_rows(User))}
        projects = {p.id: p for p in session.exec(select_rows(Project))}
        entries = session.exec(select_rows(TimeEntry)).all()
    assert entries
    running = 0
    for entry in entries:
        person, project = users[entry.user_id], projects[entry.project_id]
        day = local_date(entry.started_at, tz)
        assert person.starts_on is not None and person.starts_on <= day, entry
        assert person.ends_on is None or day <= person.ends_on, entry
        assert project.starts_on <= day and (project.ends_on is None or day <= project.ends_on)
        assert person.weekly_capacity_hours > 0
        expected_rate = project.bill_rate if project.bill_rate is not None else person.bill_rate
        assert entry.bill_rate == expected_rate
        assert entry.billable is project.default_billable
        if project.client_id is None:
            assert not entry.billable
        if entry.ended_at is None:
            running += 1
            assert entry.duration_s is None and entry.source == "timer"
            assert day == today and timedelta(0) < now - entry.started_at < timedelta(hours=3)
            continue
        assert entry.duration_s is not None and 0 < entry.duration_s <= 86400
        assert entry.ended_at == entry.started_at + timedelta(seconds=entry.duration_s)
        assert entry.ended_at < now
        assert local_date(entry.ended_at, tz) == day  # nobody works through midnight
        assert entry.source == "import" and entry.version == 1
        assert entry.created_at == entry.updated_at == entry.ended_at
    assert running >= 2


def assert_demo_logins(engine: Engine, *, large: bool) -> None:
    with Session(engine) as session:
        users = session.exec(select_rows(User).order_by(User.id)).all()
        first_team = session.exec(select_rows(Team).order_by(Team.id)).first()
    by_email = {u.email: u for u in users}
    for email, role in DEMO_LOGINS:
        assert by_email[email].role == role.value
        assert by_email[email].is_active
    assert first_team is not None
    manager, member = by_email["manager@demo.test"], by_email["member@demo.test"]
    assert first_team.lead_id == manager.id and manager.team_id == first_team.id
    assert member.team_id == first_team.id
    assert verify_password(by_email["member@demo.test"].password_hash, DEMO_PASSWORD)
    with_password = [u.email for u in users if u.password_hash is not None]
    if large:
        assert sorted(with_password) == sorted(email for email, _ in DEMO_LOGINS)
    else:
        assert len(with_password) == len(users)
        assert len({u.password_hash for u in users}) == 1  # hashed once, reused


# --- the demo profile --------------------------------------------------------------------------


def test_demo_is_deterministic_for_a_seed_and_now(tmp_path: Path, clock: FakeClock) -> None:
    engines = [fresh_sqlite(tmp_path, f"{name}.db") for name in ("a", "b", "c")]
    now = clock.now()
    for engine, number in zip(engines, (42, 42, 7), strict=True):
        seed(engine, profile="demo", seed=number, now=now, tz=UTC_ZONE, progress=False)
    same, again, other = engines
    assert row_counts(same) == row_counts(again)
    assert first_entries(same) == first_entries(again)
    assert len(first_entries(same)) == 50
    assert first_entries(same) != first_entries(other)
    for engine in engines:
        engine.dispose()


def test_demo_shape_and_invariants(any_engine: Engine, clock: FakeClock) -> None:
    now = clock.now()
    summary = seed(any_engine, profile="demo", now=now, tz=UTC_ZONE, progress=False)

    counts = row_counts(any_engine)
    assert counts["Team"] == 5 and counts["User"] == 40 and counts["Client"] == 30
    assert counts["Project"] == 80
    assert 30_000 < counts["TimeEntry"] < 60_000
    assert summary.entries == counts["TimeEntry"] and summary.running_timers >= 2
    assert summary.weeks_frozen >= 52
    assert_demo_logins(any_engine, large=False)
    assert_entries_within_bounds(any_engine, now=now, tz=UTC_ZONE)
    assert_story(any_engine, today=now.date(), history_start=now.date() - timedelta(days=365))


def assert_story(engine: Engine, *, today: date, history_start: date) -> None:
    """Leavers, starters, a billing-model mix, trouble, pulses, overdue tasks, frozen history."""
    with Session(engine) as session:
        users = session.exec(select_rows(User)).all()
        projects = session.exec(select_rows(Project)).all()
        pulses = session.exec(select_rows(ClientPulse)).all()
        tasks = session.exec(select_rows(Task)).all()
        time_off = session.exec(select_rows(TimeOff)).all()
        first_entry = session.exec(select_rows(func.min(TimeEntry.started_at))).one()
    with engine.connect() as conn:
        over_budget = conn.execute(
            text(
                "SELECT count(*) FROM project p WHERE p.status = 'active' "
                "AND p.budget_period = 'total' AND p.budget_hours < "
                "(SELECT sum(duration_s) / 3600.0 FROM time_entry e WHERE e.project_id = p.id)"
            )
        ).scalar_one()
        snapshots = conn.execute(
            select(func.count()).select_from(ClientHealthSnapshot)
        ).scalar_one()

    leavers = [u for u in users if u.ends_on is not None]
    assert leavers and all(not u.is_active and u.ends_on < today for u in leavers)
    assert any(u.starts_on > today - timedelta(weeks=9) for u in users)
    assert {u.weekly_capacity_hours for u in users} >= {37.5, 22.5, 0.0}
    assert local_date(first_entry, UTC_ZONE) < history_start + timedelta(days=7)

    models = {p.billing_model for p in projects}
    assert models == {"retainer", "t_and_m", "fixed_fee", "internal"}
    assert all(p.client_id is None for p in projects if p.billing_model == "internal")
    assert all(
        p.budget_period == "monthly" and p.fee for p in projects if p.billing_model == "retainer"
    )
    assert all(p.budget_hours and p.fee for p in projects if p.billing_model == "fixed_fee")
    assert any(p.status == "archived" for p in projects)
    assert over_budget >= 1

    ratings = [p.rating for p in pulses]
    assert ratings.count("green") > ratings.count("amber") > 0
    assert all(p.week <= week_start(today) and p.week.weekday() == 0 for p in pulses)
    assert any(t.due_on < today and t.status != "done" for t in tasks if t.due_on)
    whole_days = {(t.user_id, t.day) for t in time_off}
    assert any(
        all((user_id, day + timedelta(days=k)) in whole_days for k in range(5))
        for user_id, day in whole_days
        if day.weekday() == 0
    )
    assert snapshots > 0


# --- the large profile, scaled down ------------------------------------------------------------


def test_scaled_large_profile_keeps_its_shape(any_engine: Engine, clock: FakeClock) -> None:
    now = clock.now()
    shape = LARGE.scaled(0.02)
    summary = seed(any_engine, profile="large", now=now, tz=NEW_YORK, scale=0.02, progress=False)

    counts = row_counts(any_engine)
    assert counts["Team"] == shape.teams and counts["User"] == shape.people
    assert counts["Project"] == shape.projects
    assert summary.entries > 20_000  # three years of history, even at this size
    assert_demo_logins(any_engine, large=True)
    assert_entries_within_bounds(any_engine, now=now, tz=NEW_YORK)
    today = local_date(now, NEW_YORK)
    assert_story(any_engine, today=today, history_start=today - timedelta(days=3 * 365))


def test_entries_per_day_are_one_to_twelve_with_a_plausible_mean(
    engine: Engine, clock: FakeClock
) -> None:
    seed(engine, profile="demo", now=clock.now(), tz=UTC_ZONE, progress=False)
    with engine.connect() as conn:
        per_day = conn.execute(
            text(
                "SELECT count(*), sum(duration_s) FROM time_entry WHERE ended_at IS NOT NULL "
                "GROUP BY user_id, date(started_at)"
            )
        ).all()
        durations = sorted(
            conn.execute(
                text("SELECT duration_s FROM time_entry WHERE duration_s IS NOT NULL")
            ).scalars()
        )
    counts = [n for n, _ in per_day]
    assert min(counts) >= 1 and max(counts) <= 12
    assert 3.5 < sum(counts) / len(counts) < 5.5
    assert max(seconds for _, seconds in per_day) <= 10 * 3600
    median = durations[len(durations) // 2]
    assert 35 * 60 <= median <= 55 * 60


# --- refusing data -----------------------------------------------------------------------------


def test_refuses_a_database_that_holds_data(engine: Engine, clock: FakeClock) -> None:
    factories.user(engine, "someone@example.test")
    with pytest.raises(DatabaseNotEmpty, match="already holds data"):
        seed(engine, profile="demo", now=clock.now(), tz=UTC_ZONE, progress=False)
    assert seed_if_empty(engine, now=clock.now(), tz=UTC_ZONE) is None
    assert row_counts(engine)["User"] == 1


def test_seed_if_empty_seeds_demo_once(engine: Engine, clock: FakeClock) -> None:
    first = seed_if_empty(engine, now=clock.now(), tz=UTC_ZONE)
    assert first is not None and first.profile == "demo"
    assert seed_if_empty(engine, now=clock.now(), tz=UTC_ZONE) is None
    with pytest.raises(DatabaseNotEmpty):
        seed(engine, profile="demo", now=clock.now(), tz=UTC_ZONE, progress=False)


def test_refuses_a_naive_now(engine: Engine) -> None:
    with pytest.raises(ValueError, match="aware"):
        seed(engine, profile="demo", now=datetime(2026, 11, 25, 10), tz=UTC_ZONE)


def test_progress_goes_to_the_given_stream(engine: Engine, clock: FakeClock) -> None:
    stream = io.StringIO()
    seed(engine, profile="demo", now=clock.now(), tz=UTC_ZONE, stream=stream)
    lines = stream.getvalue().splitlines()
    assert any(line.startswith("Generating") and "100%" in line for line in lines)
    assert any(line.startswith("Writing") and "100%" in line for line in lines)
    assert any(line.startswith("Freezing health") and "100%" in line for line in lines)


def test_now_need_not_be_utc(engine: Engine) -> None:
    now = datetime(2026, 3, 29, 9, 30, tzinfo=ZoneInfo("Europe/Berlin"))  # DST starts that day
    seed(engine, profile="demo", now=now, tz=ZoneInfo("Europe/Berlin"), progress=False)
    assert_entries_within_bounds(engine, now=now.astimezone(UTC), tz=ZoneInfo("Europe/Berlin"))
