"""Rules the database itself enforces, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import IntegrityError

from tests import factories as f


def test_one_running_timer_per_user_is_enforced_by_the_database(any_engine) -> None:
    person = f.user(any_engine, "a@x.test")
    proj = f.project(any_engine)
    f.entry(any_engine, person, proj, datetime(2026, 11, 25, 9, tzinfo=UTC), None)
    with pytest.raises(IntegrityError):
        f.entry(any_engine, person, proj, datetime(2026, 11, 25, 9, 30, tzinfo=UTC), None)


def test_emails_are_unique_regardless_of_case(any_engine) -> None:
    f.user(any_engine, "a@x.test")
    with pytest.raises(IntegrityError):
        f._add(any_engine, f.User(email="A@X.test", name="Dup", role="team_member"))


def test_an_entry_longer_than_24_hours_is_refused(any_engine) -> None:
    person = f.user(any_engine, "a@x.test")
    proj = f.project(any_engine)
    with pytest.raises(IntegrityError):
        f.entry(any_engine, person, proj, datetime(2026, 11, 20, 9, tzinfo=UTC), 24.5)


def test_instants_round_trip_as_aware_utc(any_engine) -> None:
    person = f.user(any_engine, "a@x.test")
    proj = f.project(any_engine)
    from zoneinfo import ZoneInfo

    started = datetime(2026, 11, 25, 9, 15, tzinfo=ZoneInfo("Europe/Berlin"))
    row = f.entry(any_engine, person, proj, started, 1.0)
    from sqlmodel import Session

    with Session(any_engine) as session:
        fresh = session.get(f.TimeEntry, row.id)
        assert fresh is not None
        assert fresh.started_at == started
        assert fresh.started_at.tzinfo is UTC
