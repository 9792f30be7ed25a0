"""Time entries: list (JSON pages or CSV), create, edit and delete with versions (SPEC §6)."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from fastapi.responses import StreamingResponse
from sqlmodel import Session

from workshub.api.deps import SystemDep, ViewerDep
from workshub.api.errors import ApiRoute
from workshub.api.fields import MAX_ID, Day
from workshub.api.schemas import EntryCreate, EntryUpdate, error_responses
from workshub.api.writes import WriteDep, perform
from workshub.app import System
from workshub.csv_export import (
    CSV_MEDIA_TYPE,
    entries_filename,
    entry_rows_csv,
    iter_entries_csv,
)
from workshub.domain.scope import Viewer
from workshub.domain.services import entries, listing
from workshub.domain.services.public import entry_public
from workshub.domain.timeutil import local_date, week_start
from workshub.domain.uow import UnitOfWork

__all__ = ["router"]

router = APIRouter(route_class=ApiRoute, tags=["time"])

DEFAULT_LIMIT = 500
NEXT_CURSOR_HEADER = "X-Next-Cursor"
EntryId = Annotated[int, Path(ge=1, le=MAX_ID)]
FromQuery = Annotated[
    Day | None,
    Query(alias="from", description="First local date (inclusive); default this week's Monday"),
]
ToQuery = Annotated[
    Day | None,
    Query(alias="to", description="Last local date (inclusive; default today); ≤ 366 days"),
]
UserQuery = Annotated[int | None, Query(ge=1, le=MAX_ID, description="One person in scope")]
TeamQuery = Annotated[
    int | None,
    Query(ge=1, le=MAX_ID, description="The current members of one team in scope"),
]
LimitQuery = Annotated[int | None, Query(ge=1, le=listing.MAX_ENTRY_LIMIT)]
CursorQuery = Annotated[
    str | None, Query(max_length=200, description="`next_cursor` of the previous page")
]


def period(system: System, first: date | None, last: date | None) -> tuple[date, date]:
    """from/to with their defaults: this week; `from` alone runs to today, `to` alone covers
    the week that ends on it."""
    today = local_date(system.clock.now(), system.tz)
    if first is None and last is None:
        first = week_start(today)
        return first, first + timedelta(days=6)
    if first is None:
        assert last is not None
        return last - timedelta(days=6), last
    return first, last if last is not None else max(first, today)


def _page(
    system: System,
    viewer: Viewer,
    *,
    first: date,
    last: date,
    user_id: int | None,
    team_id: int | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[dict[str, Any]], str | None]:
    with Session(system.engine) as session:
        return listing.list_entries(
            session,
            viewer,
            first=first,
            last=last,
            tz=system.tz,
            user_id=user_id,
            team_id=team_id,
            limit=limit,
            cursor=cursor,
        )


@router.get(
    "/time-entries",
    summary="Time entries in your scope",
    description=(
        "`{entries, next_cursor}`, oldest first. Yours; a manager's led teams too; slt and "
        "admin everyone's. Pass `next_cursor` back as `cursor` for the next page."
    ),
    responses=error_responses(401, 404, 422),
)
def list_time_entries(
    system: SystemDep,
    viewer: ViewerDep,
    first: FromQuery = None,
    last: ToQuery = None,
    user_id: UserQuery = None,
    team_id: TeamQuery = None,
    limit: LimitQuery = None,
    cursor: CursorQuery = None,
) -> dict[str, Any]:
    first, last = period(system, first, last)
    page, next_cursor = _page(
        system,
        viewer,
        first=first,
        last=last,
        user_id=user_id,
        team_id=team_id,
        limit=limit or DEFAULT_LIMIT,
        cursor=cursor,
    )
    return {"entries": page, "next_cursor": next_cursor}


@router.get(
    "/time-entries.csv",
    summary="Time entries as CSV",
    description=(
        "The same filters as `/time-entries`. Without `limit` the whole period streams; with "
        f"it, one page and the next cursor in `{NEXT_CURSOR_HEADER}`."
    ),
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}, **error_responses(401, 404, 422)},
)
def export_time_entries(
    system: SystemDep,
    viewer: ViewerDep,
    first: FromQuery = None,
    last: ToQuery = None,
    user_id: UserQuery = None,
    team_id: TeamQuery = None,
    limit: LimitQuery = None,
    cursor: CursorQuery = None,
) -> StreamingResponse:
    first, last = period(system, first, last)
    headers = {"Content-Disposition": f'attachment; filename="{entries_filename(first, last)}"'}
    if limit is not None:  # one page, and the cursor of the next
        rows, next_cursor = _page(
            system,
            viewer,
            first=first,
            last=last,
            user_id=user_id,
            team_id=team_id,
            limit=limit,
            cursor=cursor,
        )
        if next_cursor is not None:
            headers[NEXT_CURSOR_HEADER] = next_cursor
        body = entry_rows_csv(rows, money=viewer.sees_money, header=True)
        return StreamingResponse(iter([body]), media_type=CSV_MEDIA_TYPE, headers=headers)
    chunks = iter_entries_csv(  # the pages' exports use the same code (workshub.csv_export)
        system.engine,
        viewer,
        first=first,
        last=last,
        tz=system.tz,
        user_id=user_id,
        team_id=team_id,
        cursor=cursor,
    )
    # The first page is read here, so a bad filter is a 4xx before any byte is streamed;
    # Starlette iterates the rest in its thread pool.
    head = next(chunks)
    return StreamingResponse(
        itertools.chain([head], chunks), media_type=CSV_MEDIA_TYPE, headers=headers
    )


@router.get(
    "/time-entries/{entry_id}",
    summary="One time entry",
    responses=error_responses(401, 404),
)
def get_time_entry(entry_id: EntryId, system: SystemDep, viewer: ViewerDep) -> dict[str, Any]:
    with Session(system.engine) as session:
        return listing.get_entry(session, viewer, entry_id)


@router.post(
    "/time-entries",
    status_code=201,
    summary="Log time by hand",
    description="Instants need an offset or Z; at most 24 h; not in the future.",
    responses=error_responses(401, 403, 404, 422),
)
def create_time_entry(body: EntryCreate, ctx: WriteDep) -> Response:
    def work(uow: UnitOfWork) -> dict[str, Any]:
        entry = entries.create_entry(
            uow,
            ctx.viewer,
            project_id=body.project_id,
            started_at=body.started_at,
            ended_at=body.ended_at,
            note=body.note,
            billable=body.billable,
            user_id=body.user_id,
        )
        return entry_public(entry, money=ctx.viewer.sees_money)

    return perform(ctx, work, status=201)


@router.patch(
    "/time-entries/{entry_id}",
    summary="Edit a time entry",
    description=(
        "Send the fields to change and the `version` you last saw; 409 `version_conflict` "
        "(with the current entry) when it changed since."
    ),
    responses=error_responses(401, 403, 404, 409, 422),
)
def update_time_entry(entry_id: EntryId, body: EntryUpdate, ctx: WriteDep) -> Response:
    def work(uow: UnitOfWork) -> dict[str, Any]:
        entry = entries.update_entry(
            uow,
            ctx.viewer,
            entry_id=entry_id,
            version=body.version,
            project_id=body.project_id,
            started_at=body.started_at,
            ended_at=body.ended_at,
            note=body.note,
            billable=body.billable,
        )
        return entry_public(entry, money=ctx.viewer.sees_money)

    return perform(ctx, work)


@router.delete(
    "/time-entries/{entry_id}",
    status_code=204,
    summary="Delete a time entry",
    description="`version` is the one you last saw; 409 when it changed since.",
    responses=error_responses(401, 403, 404, 409, 422),
)
def delete_time_entry(
    entry_id: EntryId,
    ctx: WriteDep,
    version: Annotated[int, Query(ge=1, le=MAX_ID, description="The version you last saw")],
) -> Response:
    def work(uow: UnitOfWork) -> None:
        entries.delete_entry(uow, ctx.viewer, entry_id=entry_id, version=version)

    return perform(ctx, work, status=204)
