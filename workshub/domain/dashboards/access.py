"""Which dashboard key a viewer's request means, under the scope rules of SPEC §2 and §5.

403 for a data type the role may never read; 404 for a team or client id that lies outside
the viewer's scope, exactly as for one that does not exist. The API, the pages and the
sockets all ask this module, so the rules live in one place.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from workshub.domain.dashboards.keys import DATA_TYPES, WEEKLESS_TYPES, DashboardKey
from workshub.domain.errors import Forbidden, NotFound, ValidationFailed
from workshub.domain.models import Client, Role, Team
from workshub.domain.scope import Viewer, manager_client_ids
from workshub.domain.timeutil import local_date, week_start

__all__ = [
    "COMPREHENSIVE",
    "COMPREHENSIVE_PARTS",
    "comprehensive_keys",
    "dashboard_week",
    "resolve_key",
    "resolve_keys",
]

COMPREHENSIVE = "comprehensive"
COMPREHENSIVE_PARTS = ("metrics", "team_data", "client_data", "active_timers")
_TEAM_TYPES = frozenset({"metrics", "team_data", "active_timers", "utilization_trend"})
_CLIENT_TYPES = frozenset({"client_data", "client_health"})


def dashboard_week(week: date | None, *, now: datetime, tz: ZoneInfo) -> date:
    """Any day of a week → its Monday in the organisation's timezone; default this week.
    A future week is refused: nothing has happened in it yet."""
    current = week_start(local_date(now, tz))
    if week is None:
        return current
    monday = week_start(week)
    if monday > current:
        raise ValidationFailed.field("week", "must not be in the future")
    return monday


def resolve_key(
    session: Session,
    viewer: Viewer,
    data_type: str,
    *,
    week: date | None,
    team_id: int | None = None,
    client_id: int | None = None,
    now: datetime,
    tz: ZoneInfo,
) -> DashboardKey:
    """The key `viewer` may read for `data_type`; Forbidden / NotFound / ValidationFailed."""
    if data_type not in DATA_TYPES:
        raise NotFound("dashboard type")
    if data_type == "today":
        return DashboardKey("today", "user", viewer.id)
    if viewer.role is Role.team_member and data_type != "metrics":
        raise Forbidden("A team member may read only their own team's metrics and today.")
    monday = None if data_type in WEEKLESS_TYPES else dashboard_week(week, now=now, tz=tz)
    if data_type in _TEAM_TYPES:
        scope, scope_id = _team_scope(session, viewer, team_id)
        return DashboardKey(data_type, scope, scope_id, monday)
    if data_type in _CLIENT_TYPES:
        if viewer.org_wide:
            return DashboardKey(data_type, "org", 0, monday)
        return DashboardKey(data_type, "manager", viewer.id, monday)
    return DashboardKey(
        data_type, "client", _client_in_scope(session, viewer, client_id, now), monday
    )


def resolve_keys(
    session: Session,
    viewer: Viewer,
    data_type: str,
    *,
    week: date | None,
    team_id: int | None = None,
    client_id: int | None = None,
    now: datetime,
    tz: ZoneInfo,
) -> dict[str, DashboardKey]:
    """Like `resolve_key`, and `comprehensive` as its parts (403 for a team member, whose
    home bundle holds metrics only: see `comprehensive_keys`)."""
    if data_type == COMPREHENSIVE:
        if viewer.role is Role.team_member:
            raise Forbidden("comprehensive is for managers, slt and admin.")
        return comprehensive_keys(session, viewer, week=week, team_id=team_id, now=now, tz=tz)
    key = resolve_key(
        session, viewer, data_type, week=week, team_id=team_id, client_id=client_id, now=now, tz=tz
    )
    return {data_type: key}


def comprehensive_keys(
    session: Session,
    viewer: Viewer,
    *,
    week: date | None,
    team_id: int | None = None,
    now: datetime,
    tz: ZoneInfo,
) -> dict[str, DashboardKey]:
    """The parts of `comprehensive` for the viewer's scope; a team member's holds metrics only."""
    parts = ("metrics",) if viewer.role is Role.team_member else COMPREHENSIVE_PARTS
    return {
        part: resolve_key(session, viewer, part, week=week, team_id=team_id, now=now, tz=tz)
        for part in parts
    }


def _team_scope(session: Session, viewer: Viewer, team_id: int | None) -> tuple[str, int]:
    if viewer.role is Role.team_member:
        if viewer.team_id is None or team_id not in (None, viewer.team_id):
            raise Forbidden("A team member may read only their own team's metrics.")
        return "team", viewer.team_id
    if viewer.org_wide:
        if team_id is None:
            return "org", 0
        if session.get(Team, team_id) is None:
            raise NotFound("team")
        return "team", team_id
    chosen = viewer.default_team_id() if team_id is None else team_id
    if chosen is None or not viewer.leads(chosen):
        raise NotFound("team")
    return "team", chosen


def _client_in_scope(session: Session, viewer: Viewer, client_id: int | None, now: datetime) -> int:
    if client_id is None:
        raise ValidationFailed.field("client_id", "is required for client_history")
    if viewer.org_wide:
        if session.get(Client, client_id) is None:
            raise NotFound("client")
    elif client_id not in manager_client_ids(session, viewer, now=now):
        raise NotFound("client")
    return client_id
