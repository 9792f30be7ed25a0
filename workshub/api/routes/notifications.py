"""The caller's own notifications."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from sqlmodel import Session

from workshub.api.deps import SystemDep, ViewerDep
from workshub.api.errors import ApiRoute
from workshub.api.fields import MAX_ID
from workshub.api.schemas import error_responses
from workshub.api.writes import WriteDep, perform
from workshub.domain.services import listing, notifications
from workshub.domain.services.public import notification_public
from workshub.domain.uow import UnitOfWork

__all__ = ["router"]

router = APIRouter(route_class=ApiRoute, tags=["notifications"])


@router.get(
    "/notifications",
    summary="Your notifications",
    description="`{notifications, unread_count}`, newest first.",
    responses=error_responses(401, 422),
)
def list_notifications(
    system: SystemDep,
    viewer: ViewerDep,
    unread: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    with Session(system.engine) as session:
        rows = listing.list_notifications(session, viewer, unread_only=unread, limit=limit)
        count = listing.unread_count(session, viewer)
    return {"notifications": rows, "unread_count": count}


@router.post(
    "/notifications/read-all",
    summary="Mark all your notifications read",
    description="`{marked}`: how many were unread.",
    responses=error_responses(401),
)
def mark_all_read(ctx: WriteDep) -> Response:
    return perform(ctx, lambda uow: {"marked": notifications.mark_all_read(uow, ctx.viewer)})


@router.post(
    "/notifications/{notification_id}/read",
    summary="Mark one of your notifications read",
    responses=error_responses(401, 404),
)
def mark_read(notification_id: Annotated[int, Path(ge=1, le=MAX_ID)], ctx: WriteDep) -> Response:
    def work(uow: UnitOfWork) -> dict[str, Any]:
        return notification_public(notifications.mark_read(uow, ctx.viewer, notification_id))

    return perform(ctx, work)
