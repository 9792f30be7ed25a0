"""Who acts in a bench run: the manager whose /team page every simulated dashboard shows, the
members of that team whose timers the push scenario toggles, and everyone who writes in the
throughput scenario. Writers get API tokens made the way `workshub token create` makes them,
in the run's own copy of the database, before the server starts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from workshub.clock import SystemClock
from workshub.domain.events import EventHub
from workshub.domain.models import Role, Team, User
from workshub.domain.scope import load_viewer
from workshub.domain.services.accounts import create_api_token
from workshub.domain.services.reference import list_projects
from workshub.domain.uow import UnitOfWork

__all__ = ["MANAGER_EMAIL", "Cast", "Writer", "prepare_cast", "trackable_project"]

MANAGER_EMAIL = "manager@demo.test"  # leads the first team in both seeded profiles
WRITER_ROLES = (Role.team_member.value, Role.manager.value)


@dataclass(frozen=True)
class Writer:
    user_id: int
    name: str
    token: str
    team_id: int | None


@dataclass(frozen=True)
class Cast:
    manager_email: str
    team_id: int  # the team the dashboards watch
    team_writers: list[Writer]  # its members: their timers show on every dashboard
    writers: list[Writer]  # everyone in the throughput scenario, the team's members first


def _eligible(session: Session, today: date) -> list[User]:
    """Active people with capacity, employed today, in a team: they track time."""
    rows = session.exec(
        select(User)
        .where(col(User.is_active).is_(True))
        .where(col(User.role).in_(WRITER_ROLES))
        .where(col(User.team_id).is_not(None))
        .where(col(User.weekly_capacity_hours) > 0)
        .where(col(User.starts_on) <= today)
        .order_by(col(User.id))
    ).all()
    return [u for u in rows if u.ends_on is None or u.ends_on >= today]


def prepare_cast(
    engine: Engine, *, today: date, manager_email: str = MANAGER_EMAIL, max_writers: int = 250
) -> Cast:
    with Session(engine) as session:
        manager = session.exec(
            select(User).where(func.lower(User.email) == manager_email.lower())
        ).first()
        if manager is None or manager.id is None:
            raise RuntimeError(f"the dataset has no {manager_email}")
        team = session.exec(
            select(Team).where(Team.lead_id == manager.id).order_by(col(Team.id))
        ).first()
        if team is None or team.id is None:
            raise RuntimeError(f"{manager_email} leads no team")
        people = _eligible(session, today)
    team_people = [p for p in people if p.team_id == team.id and p.id != manager.id]
    others = [p for p in people if p.team_id != team.id]
    chosen = (team_people + others)[:max_writers]
    tokens = _tokens(engine, [p.id for p in chosen if p.id is not None])
    writers = [
        Writer(user_id=p.id, name=p.name, token=tokens[p.id], team_id=p.team_id)
        for p in chosen
        if p.id is not None
    ]
    team_writers = [w for w in writers if w.team_id == team.id]
    if not team_writers:
        raise RuntimeError(f"the team {manager_email} leads has nobody who tracks time")
    return Cast(manager_email, team.id, team_writers, writers)


def _tokens(engine: Engine, user_ids: list[int]) -> dict[int, str]:
    hub, clock = EventHub(), SystemClock()
    tokens: dict[int, str] = {}
    for user_id in user_ids:
        with UnitOfWork(engine, hub, clock, actor_id=None) as uow:
            tokens[user_id], _row = create_api_token(
                uow, user_id=user_id, name="bench", expires_in_days=1
            )
    return tokens


def trackable_project(
    engine: Engine, user_id: int, *, now: datetime, client_work: bool = False
) -> int:
    """A project the person may track time on: the first their picker offers (of a client,
    with `client_work`: an internal project's entries change no client's dashboards)."""
    with Session(engine) as session:
        viewer = load_viewer(session, user_id)
        if viewer is None:
            raise RuntimeError(f"user {user_id} cannot sign in")
        projects = list_projects(session, viewer, now=now)
    if client_work:
        projects = [p for p in projects if p.get("client_id") is not None]
    if not projects:
        raise RuntimeError(f"user {user_id} may track time on no project")
    return int(projects[0]["id"])
