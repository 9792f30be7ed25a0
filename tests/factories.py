"""Rows for tests, inserted directly (not through services): small, explicit, readable."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from workshub.domain.auth import hash_password
from workshub.domain.models import Client, Project, Team, TimeEntry, TimeOff, User

_PASSWORD_HASH: str | None = None


def _password_hash() -> str:
    global _PASSWORD_HASH  # hashing is slow on purpose; tests share one hash of "secret"
    if _PASSWORD_HASH is None:
        _PASSWORD_HASH = hash_password("secret")
    return _PASSWORD_HASH


def _add(engine: Engine, row: Any) -> Any:
    with Session(engine, expire_on_commit=False) as session:
        session.add(row)
        session.commit()
        session.refresh(row)
    return row


def team(engine: Engine, name: str = "Team", lead_id: int | None = None) -> Team:
    return _add(engine, Team(name=name, lead_id=lead_id))


def set_lead(engine: Engine, team_row: Team, lead: User) -> Team:
    with Session(engine, expire_on_commit=False) as session:
        row = session.get(Team, team_row.id)
        assert row is not None
        row.lead_id = lead.id
        session.add(row)
        session.commit()
        session.refresh(row)
    return row


def user(engine: Engine, email: str, *, role: str = "team_member", **fields: Any) -> User:
    fields.setdefault("name", email.split("@")[0].title())
    fields.setdefault("password_hash", _password_hash())
    return _add(engine, User(email=email.lower(), role=role, **fields))


def client(engine: Engine, name: str = "Client", **fields: Any) -> Client:
    return _add(engine, Client(name=name, **fields))


def project(engine: Engine, name: str = "Project", **fields: Any) -> Project:
    fields.setdefault("starts_on", date(2026, 1, 1))
    return _add(engine, Project(name=name, **fields))


def entry(
    engine: Engine,
    user_row: User,
    project_row: Project,
    started_at: datetime,
    hours: float | None,
    **fields: Any,
) -> TimeEntry:
    """A stopped entry of `hours`, or a running one when hours is None."""
    assert started_at.tzinfo is not None
    duration = None if hours is None else round(hours * 3600)
    ended = None if duration is None else started_at + timedelta(seconds=duration)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    fields.setdefault("billable", project_row.default_billable)
    return _add(
        engine,
        TimeEntry(
            user_id=user_row.id,
            project_id=project_row.id,
            started_at=started_at,
            ended_at=ended,
            duration_s=duration,
            created_at=now,
            updated_at=now,
            **fields,
        ),
    )


def time_off(engine: Engine, user_row: User, day: date, hours: float) -> TimeOff:
    return _add(engine, TimeOff(user_id=user_row.id, day=day, hours=hours))
