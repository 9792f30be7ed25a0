"""Reference lists in the caller's scope (money for slt and admin only), and client pulse."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response
from sqlmodel import Session

from workshub.api.deps import SystemDep, ViewerDep
from workshub.api.errors import ApiRoute
from workshub.api.fields import MAX_ID
from workshub.api.schemas import PulseWrite, error_responses
from workshub.api.writes import WriteDep, perform
from workshub.domain.services import pulse, reference
from workshub.domain.services.public import pulse_public
from workshub.domain.uow import UnitOfWork

__all__ = ["router"]

router = APIRouter(route_class=ApiRoute, tags=["reference"])


@router.get(
    "/projects",
    summary="Projects you may track time on",
    description="`{projects}`: your recent ones first, then by client and name.",
    responses=error_responses(401),
)
def list_projects(system: SystemDep, viewer: ViewerDep) -> dict[str, Any]:
    with Session(system.engine) as session:
        return {"projects": reference.list_projects(session, viewer, now=system.clock.now())}


@router.get(
    "/clients",
    summary="Clients in your scope",
    description="`{clients}`: a manager's clients; slt and admin all. 403 for a team member.",
    responses=error_responses(401, 403),
)
def list_clients(system: SystemDep, viewer: ViewerDep) -> dict[str, Any]:
    with Session(system.engine) as session:
        return {"clients": reference.list_clients(session, viewer, now=system.clock.now())}


@router.get(
    "/teams",
    summary="Teams in your scope",
    description="`{teams}`: the teams a manager leads; slt and admin all. 403 for a member.",
    responses=error_responses(401, 403),
)
def list_teams(system: SystemDep, viewer: ViewerDep) -> dict[str, Any]:
    with Session(system.engine) as session:
        return {"teams": reference.list_teams(session, viewer)}


@router.get(
    "/users",
    summary="People in your scope",
    description="`{users}`: a manager's teams and themselves; slt and admin all. 403 for a member.",
    responses=error_responses(401, 403),
)
def list_users(system: SystemDep, viewer: ViewerDep) -> dict[str, Any]:
    with Session(system.engine) as session:
        return {"users": reference.list_users(session, viewer)}


@router.put(
    "/clients/{client_id}/pulse",
    summary="Rate a client for a week",
    description=(
        "Managers (their clients), slt and admin. Replaces that week's pulse; a future week "
        "is a 422."
    ),
    responses=error_responses(401, 403, 404, 422),
)
def set_pulse(
    client_id: Annotated[int, Path(ge=1, le=MAX_ID)], body: PulseWrite, ctx: WriteDep
) -> Response:
    def work(uow: UnitOfWork) -> dict[str, Any]:
        row = pulse.set_pulse(
            uow,
            ctx.viewer,
            client_id=client_id,
            week=body.week,
            rating=body.rating.value,
            note=body.note,
            tz=ctx.system.tz,
        )
        return pulse_public(row)

    return perform(ctx, work)
