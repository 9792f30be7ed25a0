"""Administration of people, teams, clients and projects (admin only, SPEC §2, §6).

Each write goes through the admin services (validation naming every bad field, audit,
ReferenceChanged); the answers use the same wire format as the reference lists.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response
from sqlalchemy import func
from sqlmodel import Session, col, select

from workshub.api.deps import require_role
from workshub.api.errors import ApiRoute
from workshub.api.fields import MAX_ID
from workshub.api.schemas import (
    ClientCreate,
    ClientUpdate,
    ProjectCreate,
    ProjectUpdate,
    TeamCreate,
    TeamUpdate,
    UserCreate,
    UserUpdate,
    changes,
    error_responses,
    values,
)
from workshub.api.writes import WriteContext, WriteDep, perform
from workshub.domain.models import Client, Project, Role, Team, User
from workshub.domain.services import accounts, admin, reference
from workshub.domain.uow import UnitOfWork

__all__ = ["router"]

router = APIRouter(route_class=ApiRoute, tags=["admin"])

RowId = Annotated[int, Path(ge=1, le=MAX_ID)]
_ERRORS = error_responses(401, 403, 404, 422)


def _admin(ctx: WriteContext) -> WriteContext:
    require_role(ctx.viewer, Role.admin)
    return ctx


def _name(row: User | Team | Client | None) -> str | None:
    return None if row is None else row.name


def _user(session: Session, user: User) -> dict[str, Any]:
    return reference.user_public(
        user, team_name=_name(session.get(Team, user.team_id) if user.team_id else None), money=True
    )


def _team(session: Session, team: Team) -> dict[str, Any]:
    members = session.exec(
        select(func.count())
        .select_from(User)
        .where(User.team_id == team.id)
        .where(col(User.is_active).is_(True))
    ).one()
    lead = _name(session.get(User, team.lead_id) if team.lead_id else None)
    return reference.team_public(team, lead_name=lead, member_count=members)


def _client(session: Session, client: Client) -> dict[str, Any]:
    lead = _name(session.get(User, client.account_lead_id) if client.account_lead_id else None)
    return reference.client_public(client, account_lead_name=lead, money=True)


def _project(session: Session, project: Project) -> dict[str, Any]:
    client = _name(session.get(Client, project.client_id) if project.client_id else None)
    return reference.project_public(project, client_name=client, money=True, last_tracked_at=None)


@router.post("/users", status_code=201, summary="Add a person", responses=_ERRORS)
def create_user(body: UserCreate, ctx: WriteDep) -> Response:
    def work(uow: UnitOfWork) -> dict[str, Any]:
        user = admin.create_user(uow, ctx.viewer, **values(body))
        return _user(uow.session, user)

    return perform(_admin(ctx), work, status=201)


@router.patch(
    "/users/{user_id}",
    summary="Change a person",
    description="A role change or deactivation takes effect on their very next request.",
    responses=_ERRORS,
)
def update_user(user_id: RowId, body: UserUpdate, ctx: WriteDep) -> Response:
    def work(uow: UnitOfWork) -> dict[str, Any]:
        user = admin.update_user(uow, ctx.viewer, user_id=user_id, **changes(body))
        return _user(uow.session, user)

    return perform(_admin(ctx), work)


@router.post(
    "/users/{user_id}/password-reset",
    summary="Give a person a new random password",
    description=(
        "`{password}`, shown this once; their browser sessions end. Not idempotent: the new "
        "password is never stored, so an Idempotency-Key is ignored and a repeat makes another."
    ),
    responses=_ERRORS,
)
def reset_password(user_id: RowId, ctx: WriteDep) -> Response:
    def work(uow: UnitOfWork) -> dict[str, Any]:
        return {"password": accounts.reset_password(uow, ctx.viewer, user_id=user_id)}

    response = perform(_admin(ctx), work, secret=True)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/teams", status_code=201, summary="Add a team", responses=_ERRORS)
def create_team(body: TeamCreate, ctx: WriteDep) -> Response:
    def work(uow: UnitOfWork) -> dict[str, Any]:
        return _team(uow.session, admin.create_team(uow, ctx.viewer, **values(body)))

    return perform(_admin(ctx), work, status=201)


@router.patch("/teams/{team_id}", summary="Change a team", responses=_ERRORS)
def update_team(team_id: RowId, body: TeamUpdate, ctx: WriteDep) -> Response:
    def work(uow: UnitOfWork) -> dict[str, Any]:
        team = admin.update_team(uow, ctx.viewer, team_id=team_id, **changes(body))
        return _team(uow.session, team)

    return perform(_admin(ctx), work)


@router.post("/clients", status_code=201, summary="Add a client", responses=_ERRORS)
def create_client(body: ClientCreate, ctx: WriteDep) -> Response:
    def work(uow: UnitOfWork) -> dict[str, Any]:
        return _client(uow.session, admin.create_client(uow, ctx.viewer, **values(body)))

    return perform(_admin(ctx), work, status=201)


@router.patch("/clients/{client_id}", summary="Change a client", responses=_ERRORS)
def update_client(client_id: RowId, body: ClientUpdate, ctx: WriteDep) -> Response:
    def work(uow: UnitOfWork) -> dict[str, Any]:
        client = admin.update_client(uow, ctx.viewer, client_id=client_id, **changes(body))
        return _client(uow.session, client)

    return perform(_admin(ctx), work)


@router.post(
    "/projects",
    status_code=201,
    summary="Add a project",
    description="fixed_fee needs `fee` (the total); retainer needs `fee` per month.",
    responses=_ERRORS,
)
def create_project(body: ProjectCreate, ctx: WriteDep) -> Response:
    def work(uow: UnitOfWork) -> dict[str, Any]:
        return _project(uow.session, admin.create_project(uow, ctx.viewer, **values(body)))

    return perform(_admin(ctx), work, status=201)


@router.patch("/projects/{project_id}", summary="Change a project", responses=_ERRORS)
def update_project(project_id: RowId, body: ProjectUpdate, ctx: WriteDep) -> Response:
    def work(uow: UnitOfWork) -> dict[str, Any]:
        project = admin.update_project(uow, ctx.viewer, project_id=project_id, **changes(body))
        return _project(uow.session, project)

    return perform(_admin(ctx), work)
