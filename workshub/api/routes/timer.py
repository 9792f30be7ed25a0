"""The running timer: start (a running one is stopped first: a switch) and stop."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from workshub.api.errors import ApiRoute
from workshub.api.fields import MAX_ID
from workshub.api.schemas import TimerStart, error_responses
from workshub.api.writes import WriteDep, perform
from workshub.domain.services import timer
from workshub.domain.services.public import entry_public
from workshub.domain.uow import UnitOfWork

__all__ = ["router"]

router = APIRouter(route_class=ApiRoute, tags=["time"])


@router.post(
    "/timer/start",
    status_code=201,
    summary="Start your timer",
    description="201 with the new running entry. A timer you had running is stopped first.",
    responses=error_responses(401, 409, 422),
)
def start_timer(body: TimerStart, ctx: WriteDep) -> Response:
    def work(uow: UnitOfWork) -> dict[str, object]:
        entry = timer.start_timer(
            uow, ctx.viewer, project_id=body.project_id, note=body.note, billable=body.billable
        )
        return entry_public(entry, money=ctx.viewer.sees_money)

    return perform(ctx, work, status=201)


@router.post(
    "/timer/stop",
    summary="Stop your timer",
    description=(
        "200 with the stopped entry; 409 `no_running_timer` when none runs. A manager (for "
        "people in teams they lead) or an admin may stop someone else's with `user_id`."
    ),
    responses=error_responses(401, 403, 404, 409),
)
def stop_timer(
    ctx: WriteDep,
    user_id: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Default: yours")] = None,
) -> Response:
    def work(uow: UnitOfWork) -> dict[str, object]:
        entry = timer.stop_timer(uow, ctx.viewer, user_id=user_id)
        return entry_public(entry, money=ctx.viewer.sees_money)

    return perform(ctx, work)
