"""Reference lists: projects, clients, teams and people in the viewer's scope (SPEC §2, §6).

They feed pickers and the admin tables, so they return the wire format (plain dicts) and
never a row; money (rates and fees) appears only for slt and admin.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from workshub.domain.errors import Forbidden
from workshub.domain.models import (
    Client,
    ClientStatus,
    Project,
    ProjectStatus,
    Role,
    Team,
    TimeEntry,
    User,
)
from workshub.domain.scope import Viewer, manager_client_ids
from workshub.domain.timeutil import iso_utc

__all__ = [
    "RECENT_WINDOW",
    "client_public",
    "list_clients",
    "list_projects",
    "list_teams",
    "list_users",
    "project_public",
    "team_public",
    "user_public",
]

RECENT_WINDOW = timedelta(days=30)


def _iso_day(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _names(session: Session, model: type[User] | type[Client] | type[Team], ids: set[int]) -> dict:
    if not ids:
        return {}
    rows = session.exec(select(model.id, model.name).where(col(model.id).in_(ids))).all()
    return dict(rows)


def _require_not_member(viewer: Viewer) -> None:
    """These lists are for managers and up; a team member may only ever see projects."""
    if viewer.role is Role.team_member:
        raise Forbidden()


# --- projects ----------------------------------------------------------------------------------


def project_public(
    project: Project, *, client_name: str | None, money: bool, last_tracked_at: datetime | None
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": project.id,
        "name": project.name,
        "client_id": project.client_id,
        "client_name": client_name,
        "billing_model": project.billing_model,
        "budget_hours": project.budget_hours,
        "budget_period": project.budget_period,
        "starts_on": _iso_day(project.starts_on),
        "ends_on": _iso_day(project.ends_on),
        "default_billable": project.default_billable,
        "status": project.status,
        "last_tracked_at": iso_utc(last_tracked_at),
    }
    if money:
        data |= {"bill_rate": project.bill_rate, "fee": project.fee}
    return data


def list_projects(session: Session, viewer: Viewer, *, now: datetime) -> list[dict[str, Any]]:
    """The projects the viewer may track on: active, of an active client or internal.

    The viewer's projects of the last 30 days come first, most recently tracked first, so a
    picker opens on what they are likely to pick; the rest follow by client and name.
    """
    rows = session.exec(
        select(Project, Client.name)
        .join(Client, col(Project.client_id) == Client.id, isouter=True)
        .where(Project.status == ProjectStatus.active.value)
        .where(
            or_(col(Project.client_id).is_(None), col(Client.status) == ClientStatus.active.value)
        )
    ).all()
    last = func.max(TimeEntry.started_at)
    recent: dict[int, datetime] = dict(
        session.exec(
            select(TimeEntry.project_id, last)
            .where(TimeEntry.user_id == viewer.id)
            .where(TimeEntry.started_at >= now - RECENT_WINDOW)
            .where(TimeEntry.started_at <= now)
            .group_by(col(TimeEntry.project_id))
        ).all()
    )

    def order(row: tuple[Project, str | None]) -> tuple[Any, ...]:
        project, client_name = row
        tracked = recent.get(project.id or 0)
        recency = -tracked.timestamp() if tracked is not None else 0.0
        return (tracked is None, recency, (client_name or "").casefold(), project.name.casefold())

    return [
        project_public(
            project,
            client_name=client_name,
            money=viewer.sees_money,
            last_tracked_at=recent.get(project.id or 0),
        )
        for project, client_name in sorted(rows, key=order)
    ]


# --- clients -----------------------------------------------------------------------------------


def client_public(client: Client, *, account_lead_name: str | None, money: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": client.id,
        "name": client.name,
        "status": client.status,
        "account_lead_id": client.account_lead_id,
        "account_lead_name": account_lead_name,
    }
    if money:
        data["target_rate"] = client.target_rate
    return data


def list_clients(session: Session, viewer: Viewer, *, now: datetime) -> list[dict[str, Any]]:
    """A manager's clients (SPEC §2) or, for slt and admin, every client. Members: Forbidden."""
    _require_not_member(viewer)
    query = select(Client)
    if not viewer.org_wide:
        query = query.where(col(Client.id).in_(manager_client_ids(session, viewer, now=now)))
    clients = session.exec(query).all()
    leads = _names(session, User, {c.account_lead_id for c in clients if c.account_lead_id})
    return [
        client_public(
            client, account_lead_name=leads.get(client.account_lead_id), money=viewer.sees_money
        )
        for client in sorted(clients, key=lambda c: (c.name.casefold(), c.id or 0))
    ]


# --- teams -------------------------------------------------------------------------------------


def team_public(team: Team, *, lead_name: str | None, member_count: int) -> dict[str, Any]:
    return {
        "id": team.id,
        "name": team.name,
        "lead_id": team.lead_id,
        "lead_name": lead_name,
        "member_count": member_count,
    }


def list_teams(session: Session, viewer: Viewer) -> list[dict[str, Any]]:
    """The teams a manager leads or, for slt and admin, every team. Members: Forbidden."""
    _require_not_member(viewer)
    query = select(Team)
    if not viewer.org_wide:
        query = query.where(col(Team.id).in_(viewer.led_team_ids))
    teams = session.exec(query).all()
    leads = _names(session, User, {t.lead_id for t in teams if t.lead_id})
    counts = {
        team_id: count
        for team_id, count in session.exec(
            select(User.team_id, func.count())
            .where(col(User.team_id).in_([t.id for t in teams]))
            .where(col(User.is_active).is_(True))
            .group_by(col(User.team_id))
        ).all()
        if team_id is not None
    }
    return [
        team_public(
            team, lead_name=leads.get(team.lead_id), member_count=counts.get(team.id or 0, 0)
        )
        for team in sorted(teams, key=lambda t: (t.name.casefold(), t.id or 0))
    ]


# --- people ------------------------------------------------------------------------------------


def user_public(user: User, *, team_name: str | None, money: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "team_id": user.team_id,
        "team_name": team_name,
        "weekly_capacity_hours": user.weekly_capacity_hours,
        "starts_on": _iso_day(user.starts_on),
        "ends_on": _iso_day(user.ends_on),
        "is_active": user.is_active,
    }
    if money:
        data |= {"bill_rate": user.bill_rate, "cost_rate": user.cost_rate}
    return data


def list_users(session: Session, viewer: Viewer) -> list[dict[str, Any]]:
    """A manager's people (members of the teams they lead, and themselves) or, for slt and
    admin, everyone. Members: Forbidden."""
    _require_not_member(viewer)
    query = select(User)
    if not viewer.org_wide:
        query = query.where(
            or_(col(User.team_id).in_(viewer.led_team_ids), col(User.id) == viewer.id)
        )
    users = session.exec(query).all()
    teams = _names(session, Team, {u.team_id for u in users if u.team_id})
    return [
        user_public(user, team_name=teams.get(user.team_id), money=viewer.sees_money)
        for user in sorted(users, key=lambda u: (u.name.casefold(), u.id or 0))
    ]
