"""Tasks: listed in scope, created and assigned by managers and admins, and moved along by
whoever they are assigned to (SPEC §2)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from sqlmodel import Session

from workshub.api.deps import SystemDep, ViewerDep
from workshub.api.errors import ApiRoute
from workshub.api.fields import MAX_ID
from workshub.api.schemas import TaskCreate, TaskUpdate, error_responses
from workshub.api.writes import WriteDep, perform
from workshub.domain.services import listing, tasks
from workshub.domain.services.common import UNSET
from workshub.domain.services.public import task_public
from workshub.domain.uow import UnitOfWork

__all__ = ["router"]

router = APIRouter(route_class=ApiRoute, tags=["tasks"])

IdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]


@router.get(
    "/tasks",
    summary="Tasks in your scope",
    description=(
        "`{tasks}`, soonest due first. Yours; a manager's also those of people in the teams "
        "they lead; slt and admin all."
    ),
    responses=error_responses(401, 404, 422),
)
def list_tasks(
    system: SystemDep,
    viewer: ViewerDep,
    assignee: Annotated[int | None, Query(ge=1, le=MAX_ID, description="An assignee's id")] = None,
    project_id: IdQuery = None,
    client_id: IdQuery = None,
    include_done: bool = True,
) -> dict[str, Any]:
    with Session(system.engine) as session:
        rows = listing.list_tasks(
            session,
            viewer,
            now=system.clock.now(),
            assignee_id=assignee,
            project_id=project_id,
            client_id=client_id,
            include_done=include_done,
        )
    return {"tasks": rows}


@router.post(
    "/tasks",
    status_code=201,
    summary="Create a task",
    description="Managers (for their clients' projects and their teams' people) and admins.",
    responses=error_responses(401, 403, 404, 422),
)
def create_task(body: TaskCreate, ctx: WriteDep) -> Response:
    def work(uow: UnitOfWork) -> dict[str, Any]:
        task = tasks.create_task(
            uow,
            ctx.viewer,
            project_id=body.project_id,
            title=body.title,
            assignee_id=body.assignee_id,
            due_on=body.due_on,
            status=body.status.value,
        )
        return task_public(task)

    return perform(ctx, work, status=201)


@router.patch(
    "/tasks/{task_id}",
    summary="Change a task",
    description=(
        "Send the fields to change and the `version` you last saw. `assignee_id` and `due_on` "
        "may be null to clear them. An assignee may change the status only."
    ),
    responses=error_responses(401, 403, 404, 409, 422),
)
def update_task(
    task_id: Annotated[int, Path(ge=1, le=MAX_ID)], body: TaskUpdate, ctx: WriteDep
) -> Response:
    sent = body.model_fields_set

    def work(uow: UnitOfWork) -> dict[str, Any]:
        task = tasks.update_task(
            uow,
            ctx.viewer,
            task_id=task_id,
            version=body.version,
            status=body.status.value if body.status is not None else None,
            title=body.title,
            assignee_id=body.assignee_id if "assignee_id" in sent else UNSET,
            due_on=body.due_on if "due_on" in sent else UNSET,
        )
        return task_public(task)

    return perform(ctx, work)
