"""Dashboards over REST: the live store's snapshots with their versions, for scripts, wall
displays and any client without a websocket (SPEC §5, §6).

Handlers are async and await the store; the scope check reads the database, so it runs in the
thread pool. A snapshot is computed once and served to every viewer of its key; money is
stripped on the way out.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import date
from typing import Annotated, Any, NamedTuple

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from workshub.api.deps import SystemDep, ViewerDep, get_store
from workshub.api.envelopes import (
    Part,
    composite_envelope,
    envelope,
    etag,
    joined_etag,
    matches_if_none_match,
)
from workshub.api.errors import ApiRoute, Unavailable
from workshub.api.fields import MAX_ID, Day
from workshub.api.schemas import error_responses
from workshub.app import System
from workshub.domain.dashboards import access
from workshub.domain.dashboards.keys import DATA_TYPES, DashboardKey
from workshub.domain.errors import NotFound
from workshub.domain.models import Role
from workshub.domain.scope import Viewer
from workshub.live.store import Snapshot

__all__ = ["router"]

log = logging.getLogger(__name__)

router = APIRouter(route_class=ApiRoute, tags=["dashboards"])

_TYPES = (*DATA_TYPES, access.COMPREHENSIVE)
WeekQuery = Annotated[
    Day | None,
    Query(description="Any day of the week (its Monday in the org's timezone); default now"),
]
TeamQuery = Annotated[
    int | None,
    Query(ge=1, le=MAX_ID, description="slt/admin: any team; manager: a team they lead"),
]
ClientQuery = Annotated[
    int | None, Query(ge=1, le=MAX_ID, description="The client of client_history")
]
TypePath = Annotated[
    str,
    Path(max_length=40, description="A data type (SPEC §5)", json_schema_extra={"enum": _TYPES}),
]
_ENVELOPE_DOC = (
    "`{type, key, version, computed_at, as_of, stale, data}`. Sends `ETag: "
    'W/"{key}:{version}:{money|base}"`; `If-None-Match` with it answers 304.'
)


def _resolve(
    system: System,
    viewer: Viewer,
    data_type: str,
    *,
    week: date | None,
    team_id: int | None,
    client_id: int | None = None,
) -> dict[str, DashboardKey]:
    """The keys behind `data_type` for this viewer (several for `comprehensive`)."""
    with Session(system.engine) as session:
        return access.resolve_keys(
            session,
            viewer,
            data_type,
            week=week,
            team_id=team_id,
            client_id=client_id,
            now=system.clock.now(),
            tz=system.tz,
        )


class _BundleKeys(NamedTuple):
    parts: dict[str, DashboardKey]  # comprehensive's
    today: DashboardKey
    client_health: DashboardKey | None  # None for a team member

    def all(self) -> list[DashboardKey]:
        extra = [self.today] + ([self.client_health] if self.client_health else [])
        return [*self.parts.values(), *extra]


def _bundle_keys(
    system: System, viewer: Viewer, *, week: date | None, team_id: int | None
) -> _BundleKeys:
    now = system.clock.now()
    with Session(system.engine) as session:
        parts = access.comprehensive_keys(
            session, viewer, week=week, team_id=team_id, now=now, tz=system.tz
        )
        today = access.resolve_key(session, viewer, "today", week=None, now=now, tz=system.tz)
        health = None
        if viewer.role is not Role.team_member:
            health = access.resolve_key(
                session, viewer, "client_health", week=week, now=now, tz=system.tz
            )
    return _BundleKeys(parts, today, health)


async def _snapshots(system: System, keys: list[DashboardKey]) -> list[Snapshot]:
    store = get_store(system)
    try:
        return list(await asyncio.gather(*(store.get(key) for key in keys)))
    except Exception as exc:  # the store has logged it; the caller may retry
        log.warning("dashboard read failed for %s: %s", [str(k) for k in keys], exc)
        raise Unavailable("The dashboard could not be computed right now; retry shortly.") from exc


def _composite_key(parts: dict[str, DashboardKey]) -> str:
    first = next(iter(parts.values()))
    week = f":{first.week.isoformat()}" if first.week else ""
    return f"{access.COMPREHENSIVE}:{first.scope}:{first.scope_id}{week}"


def _answer(request: Request, tag: str, build: Any) -> Response:
    headers = {"ETag": tag, "Cache-Control": "private, no-cache", "Vary": "Authorization"}
    if matches_if_none_match(request, tag):
        return Response(status_code=304, headers=headers)
    return JSONResponse(build(), headers=headers)


@router.get(
    "/dashboard",
    summary="Everything the caller's home screen shows",
    description=(
        "`{comprehensive, today, client_health}`, each an envelope. A team member's "
        "comprehensive holds metrics only and client_health is null. The ETag joins the parts'."
    ),
    responses=error_responses(401, 404, 422),
)
async def read_bundle(
    request: Request,
    system: SystemDep,
    viewer: ViewerDep,
    week: WeekQuery = None,
    team_id: TeamQuery = None,
) -> Response:
    keys = await run_in_threadpool(_bundle_keys, system, viewer, week=week, team_id=team_id)
    ordered = keys.all()
    snapshots = await _snapshots(system, ordered)
    money = viewer.sees_money
    by_key = dict(zip(ordered, snapshots, strict=True))

    def build() -> dict[str, Any]:
        comprehensive = {name: by_key[key] for name, key in keys.parts.items()}
        health = keys.client_health
        return {
            "comprehensive": composite_envelope(
                access.COMPREHENSIVE, _composite_key(keys.parts), comprehensive, money=money
            ),
            "today": envelope(by_key[keys.today], money=money),
            "client_health": envelope(by_key[health], money=money) if health else None,
        }

    return _answer(request, joined_etag([(s, money) for s in snapshots]), build)


@router.get(
    "/dashboard/{data_type}",
    summary="One dashboard snapshot",
    description=_ENVELOPE_DOC
    + " `comprehensive` = metrics + team_data + client_data + active_timers for your scope "
    "(403 for a team member). `week` is ignored by today and active_timers; a future week is "
    "a 422. `client_id` is for client_history.",
    responses=error_responses(401, 403, 404, 422),
)
async def read_dashboard(
    request: Request,
    data_type: TypePath,
    system: SystemDep,
    viewer: ViewerDep,
    week: WeekQuery = None,
    team_id: TeamQuery = None,
    client_id: ClientQuery = None,
) -> Response:
    if data_type not in _TYPES:
        raise NotFound("dashboard type")
    keys = await run_in_threadpool(
        _resolve, system, viewer, data_type, week=week, team_id=team_id, client_id=client_id
    )
    snapshots = await _snapshots(system, list(keys.values()))
    money = viewer.sees_money
    if data_type != access.COMPREHENSIVE:
        (snapshot,) = snapshots
        return _answer(
            request, etag(snapshot, money=money), lambda: envelope(snapshot, money=money)
        )
    parts = dict(zip(keys, snapshots, strict=True))
    parts_tags: list[Part] = [(s, money) for s in snapshots]
    return _answer(
        request,
        joined_etag(parts_tags),
        lambda: composite_envelope(data_type, _composite_key(keys), parts, money=money),
    )


@router.post(
    "/dashboard/{data_type}/refresh",
    status_code=202,
    summary="Recompute a dashboard now",
    description=(
        "202 `{accepted, throttled, version}`: `version` is the snapshot served now; the new "
        "one follows as a push (and on the next GET). A manual refresh runs at most once per "
        "key per 5 s. It changes no data, so an Idempotency-Key is accepted and not needed."
    ),
    responses=error_responses(401, 403, 404, 422),
)
async def refresh_dashboard(
    data_type: TypePath,
    system: SystemDep,
    viewer: ViewerDep,
    week: WeekQuery = None,
    team_id: TeamQuery = None,
    client_id: ClientQuery = None,
) -> JSONResponse:
    if data_type not in _TYPES:
        raise NotFound("dashboard type")
    keys = await run_in_threadpool(
        _resolve, system, viewer, data_type, week=week, team_id=team_id, client_id=client_id
    )
    store = get_store(system)
    results = [store.request_refresh(key, manual=True) for key in keys.values()]
    versions = [r.version for r in results if r.version is not None]
    body = {
        "accepted": any(r.accepted for r in results),
        "throttled": any(r.throttled for r in results),
        "version": max(versions) if versions else None,
    }
    return JSONResponse(body, status_code=202)
