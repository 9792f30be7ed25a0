"""Who may see what (SPEC §2). Every route, page and event handler asks these functions.

A `Viewer` is reloaded from the database on every request, so a deactivated user or a
changed role takes effect at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import CompoundSelect, bindparam, union
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from workshub.domain.models import Client, Project, Role, Team, TimeEntry, User

__all__ = [
    "MANAGER_CLIENT_WINDOW",
    "Viewer",
    "led_team_ids",
    "load_viewer",
    "manager_client_ids",
    "manager_clients_query",
]

MANAGER_CLIENT_WINDOW = timedelta(weeks=12)


@dataclass(frozen=True, slots=True)
class Viewer:
    id: int
    name: str
    email: str
    role: Role
    team_id: int | None
    led_team_ids: frozenset[int]
    session_version: int

    @property
    def sees_money(self) -> bool:
        return self.role in (Role.slt, Role.admin)

    @property
    def org_wide(self) -> bool:
        """slt and admin read the whole organisation."""
        return self.role in (Role.slt, Role.admin)

    @property
    def is_admin(self) -> bool:
        return self.role is Role.admin

    def leads(self, team_id: int | None) -> bool:
        return team_id is not None and team_id in self.led_team_ids

    def default_team_id(self) -> int | None:
        """SPEC §5 scope default: a manager's led team with the lowest id; a member's own."""
        if self.role is Role.manager:
            return min(self.led_team_ids) if self.led_team_ids else None
        if self.role is Role.team_member:
            return self.team_id
        return None


# Every request reloads its viewer (SPEC §2): Core statements built once, not the ORM's
# identity map, which costs several times the query on this hot path (SPEC §9).
_USER = User.__table__  # type: ignore[attr-defined]
_TEAM = Team.__table__  # type: ignore[attr-defined]
_VIEWER = sa_select(
    _USER.c.id,
    _USER.c.name,
    _USER.c.email,
    _USER.c.role,
    _USER.c.team_id,
    _USER.c.is_active,
    _USER.c.session_version,
).where(_USER.c.id == bindparam("user_id"))
_LED_TEAMS = sa_select(_TEAM.c.id).where(_TEAM.c.lead_id == bindparam("user_id"))


def led_team_ids(session: Session, user_id: int) -> frozenset[int]:
    rows = session.connection().execute(_LED_TEAMS, {"user_id": user_id}).scalars()
    return frozenset(r for r in rows if r is not None)


def load_viewer(
    session: Session, user_id: int, *, session_version: int | None = None
) -> Viewer | None:
    """The active user as a viewer, or None (gone, deactivated, or the session is outdated)."""
    user = session.connection().execute(_VIEWER, {"user_id": user_id}).first()
    if user is None or not user.is_active:
        return None
    if session_version is not None and session_version != user.session_version:
        return None
    role = Role(user.role)
    led = (
        led_team_ids(session, user.id)
        if role in (Role.manager, Role.admin, Role.slt)
        else frozenset()
    )
    return Viewer(
        id=user.id,
        name=user.name,
        email=user.email,
        role=role,
        team_id=user.team_id,
        led_team_ids=led,
        session_version=user.session_version,
    )


def manager_clients_query(manager_id: int, *, now: datetime) -> CompoundSelect:
    """The ids of a manager's clients as one statement, to run or to nest (`IN (...)`), so a
    manager-scope dashboard needs no statement of its own for its scope.

    Clients they are account lead of, united with the clients of projects that a current
    member of a team they lead tracked on in the 12 weeks up to `now` (bounded on both
    sides, so the planner walks the (user_id, started_at) index).
    """
    led_teams = select(Team.id).where(Team.lead_id == manager_id)
    members = select(User.id).where(col(User.team_id).in_(led_teams))
    worked_on = (
        select(TimeEntry.project_id)
        .where(col(TimeEntry.user_id).in_(members))
        .where(TimeEntry.started_at >= now - MANAGER_CLIENT_WINDOW)
        .where(TimeEntry.started_at <= now)
    )
    via_team = (
        select(Project.client_id)
        .where(col(Project.id).in_(worked_on))
        .where(col(Project.client_id).is_not(None))
    )
    led = select(Client.id).where(Client.account_lead_id == manager_id)
    return union(led, via_team)


def manager_client_ids(session: Session, viewer: Viewer, *, now: datetime) -> frozenset[int]:
    """A manager's clients (see `manager_clients_query`), in one statement. For slt/admin:
    every client."""
    query = select(Client.id) if viewer.org_wide else manager_clients_query(viewer.id, now=now)
    return frozenset(i for i in session.execute(query).scalars() if i is not None)
