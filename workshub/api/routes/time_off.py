"""Time off: your own; an admin keeps anyone's."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from sqlmodel import Session

from workshub.api.deps import SystemDep, ViewerDep
from workshub.api.errors import ApiRoute
from workshub.api.fields import MAX_ID, Day
from workshub.api.schemas import TimeOffCreate, error_responses
from workshub.api.writes import WriteDep, perform
from workshub.domain.services import listing, time_off
from workshub.domain.services.public import time_off_public
from workshub.domain.uow import UnitOfWork

__all__ = ["router"]

router = APIRouter(route_class=ApiRoute, tags=["time off"])


@router.get(
    "/time-off",
    summary="Time off",
    description="`{time_off}` by day: yours, or (admin) `user_id`'s; optionally from/to.",
    responses=error_responses(401, 403, 404, 422),
)
def list_time_off(
    system: SystemDep,
    viewer: ViewerDep,
    user_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    first: Annotated[Day | None, Query(alias="from")] = None,
    last: Annotated[Day | None, Query(alias="to")] = None,
) -> dict[str, Any]:
    with Session(system.engine) as session:
        rows = listing.list_time_off(session, viewer, user_id=user_id, first=first, last=last)
    return {"time_off": rows}


@router.post(
    "/time-off",
    status_code=201,
    summary="Add time off",
    description="Hours on one local day, more than 0 and at most 24 in all.",
    responses=error_responses(401, 403, 404, 422),
)
def add_time_off(body: TimeOffCreate, ctx: WriteDep) -> Response:
    def work(uow: UnitOfWork) -> dict[str, Any]:
        row = time_off.add_time_off(
            uow, ctx.viewer, day=body.day, hours=body.hours, user_id=body.user_id
        )
        return time_off_public(row)

    return perform(ctx, work, status=201)


@router.delete(
    "/time-off/{time_off_id}",
    status_code=204,
    summary="Remove time off",
    responses=error_responses(401, 403, 404),
)
def delete_time_off(time_off_id: Annotated[int, Path(ge=1, le=MAX_ID)], ctx: WriteDep) -> Response:
    def work(uow: UnitOfWork) -> None:
        time_off.delete_time_off(uow, ctx.viewer, time_off_id=time_off_id)

    return perform(ctx, work, status=204)
