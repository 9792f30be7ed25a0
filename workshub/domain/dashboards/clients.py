"""The client dashboards (SPEC §5): client_data, client_health and client_history.

Each is a JSON-ready dict (raw floats, ISO dates) computed in at most five statements: clients
with projects, frozen snapshots, pulses, segment sums and running timers (the last three only
when some week must be computed live). A `manager` scope's clients come from
`scope.manager_clients_query`, nested in the clients' statement.

Listed clients: active ones, plus archived ones frozen for that week. A past week's score and
RAG come from its ClientHealthSnapshot when there is one; the current week is always live.
client_data's month is the month of the week's as-of date d (its Sunday, or today in the
current week), counted from the 1st up to the same instant as the week.
Money (revenue_week, effective_rate_week, target_rate) is named in `keys.NESTED_MONEY`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import CompoundSelect
from sqlmodel import Session

from workshub.domain.client_queries import (
    ClientRow,
    ProjectRow,
    SnapshotRow,
    load_clients,
    load_snapshots,
)
from workshub.domain.client_week import ClientWeek, ProjectWeek, WeekFrame, assess_weeks
from workshub.domain.dashboards.keys import DashboardKey
from workshub.domain.errors import NotFound
from workshub.domain.models import ClientStatus
from workshub.domain.project_history import HistoryReader
from workshub.domain.reference_cache import ReferenceSlot
from workshub.domain.scope import manager_clients_query
from workshub.domain.timeutil import local_midnight

__all__ = [
    "HISTORY_WEEKS",
    "compute_client_data",
    "compute_client_health",
    "compute_client_history",
]

HISTORY_WEEKS = 12
# Every client with its projects, as `load_clients` reads them for the organisation.
_ALL_CLIENTS = ReferenceSlot[tuple[tuple[ClientRow, ...], tuple[ProjectRow, ...]]]("clients")


def compute_client_data(
    session: Session,
    key: DashboardKey,
    *,
    now: datetime,
    tz: ZoneInfo,
    history: HistoryReader | None = None,
) -> dict[str, Any]:
    """Per client: hours in the week and its month, burn and pace of its active projects, the
    week's score and RAG, revenue and effective rate (money)."""
    week = _week_of(key, "client_data")
    clients, projects = _clients_in_scope(session, key, now=now, history=history)
    frame = WeekFrame.of(week, now=now, tz=tz)
    current = _is_current(week, now=now, tz=tz)
    snapshots = {} if current else _snapshots(session, [week], clients=clients)
    listed = _listed(clients, week=week, snapshots=snapshots)
    needed = {week: [c.id for c in listed]}
    live = assess_weeks(
        session, needed, clients=listed, projects=projects, now=now, tz=tz, history=history
    )
    return {
        "week": week.isoformat(),
        "as_of": frame.day.isoformat(),
        "month": frame.day.replace(day=1).isoformat(),
        "clients": [
            _client_data_row(live[c.id, week], snapshots.get((c.id, week))) for c in listed
        ],
    }


def compute_client_health(
    session: Session,
    key: DashboardKey,
    *,
    now: datetime,
    tz: ZoneInfo,
    history: HistoryReader | None = None,
) -> dict[str, Any]:
    """Per client: the week's score, RAG, components and change against the week before."""
    week = _week_of(key, "client_health")
    previous = week - timedelta(weeks=1)
    clients, projects = _clients_in_scope(session, key, now=now, history=history)
    snapshots = _snapshots(session, [previous, week], clients=clients)
    if _is_current(week, now=now, tz=tz):
        snapshots = {k: v for k, v in snapshots.items() if k[1] != week}
    listed = _listed(clients, week=week, snapshots=snapshots)
    needed = {w: [c.id for c in listed if (c.id, w) not in snapshots] for w in (previous, week)}
    live = assess_weeks(
        session, needed, clients=listed, projects=projects, now=now, tz=tz, history=history
    )
    rows = []
    for client in listed:
        current = _health((client.id, week), snapshots=snapshots, live=live)
        before = _health((client.id, previous), snapshots=snapshots, live=live)
        rows.append(
            {
                "client_id": client.id,
                "name": client.name,
                **current,
                "change": current["score"] - before["score"],
            }
        )
    return {"week": week.isoformat(), "clients": rows}


def compute_client_history(
    session: Session,
    key: DashboardKey,
    *,
    now: datetime,
    tz: ZoneInfo,
    history: HistoryReader | None = None,
) -> dict[str, Any]:
    """One client, the 12 weeks ending with the key's week: score, RAG, components, hours."""
    week = _week_of(key, "client_history")
    clients, projects = _clients_in_scope(session, key, now=now, history=history)
    (client,) = clients
    weeks = [week - timedelta(weeks=k) for k in range(HISTORY_WEEKS - 1, -1, -1)]
    snapshots = _snapshots(session, weeks, clients=clients)
    if _is_current(week, now=now, tz=tz):
        snapshots.pop((client.id, week), None)
    needed = {w: [client.id] for w in weeks if (client.id, w) not in snapshots}
    live = assess_weeks(
        session, needed, clients=clients, projects=projects, now=now, tz=tz, history=history
    )
    rows = []
    for w in weeks:
        health = _health((client.id, w), snapshots=snapshots, live=live)
        hours = health["components"].get("hours")
        rows.append({"week": w.isoformat(), **health, "hours": hours})
    return {"client_id": client.id, "name": client.name, "weeks": rows}


def _week_of(key: DashboardKey, data_type: str) -> date:
    if key.type != data_type or key.week is None:
        raise ValueError(f"{key} is not a {data_type} key")
    return key.week


def _is_current(week: date, *, now: datetime, tz: ZoneInfo) -> bool:
    return local_midnight(week + timedelta(days=7), tz) > now


def _clients_in_scope(
    session: Session, key: DashboardKey, *, now: datetime, history: HistoryReader | None
) -> tuple[list[ClientRow], dict[int, list[ProjectRow]]]:
    ids: Collection[int] | CompoundSelect | None = None
    if key.scope == "manager":  # nested in the clients' statement: no statement of its own
        ids = manager_clients_query(key.scope_id, now=now)
    elif key.scope == "client":
        ids = {key.scope_id}
    if history is not None and not isinstance(ids, CompoundSelect):
        clients, project_rows = _cached_clients(session, history, ids)
    else:
        clients, project_rows = load_clients(session, client_ids=ids)
    if key.scope == "client" and not clients:
        raise NotFound("client")
    projects: dict[int, list[ProjectRow]] = defaultdict(list)
    for project in project_rows:
        if project.client_id is not None:
            projects[project.client_id].append(project)
    return clients, projects


def _cached_clients(
    session: Session, history: HistoryReader, ids: Collection[int] | None
) -> tuple[list[ClientRow], list[ProjectRow]]:
    """`load_clients` of all or some ids, cut from every client kept by the history's
    reference cache (in the same order: the statement sorts all clients alike)."""

    def load() -> tuple[tuple[ClientRow, ...], tuple[ProjectRow, ...]]:
        clients, projects = load_clients(session, client_ids=None)
        return tuple(clients), tuple(projects)

    clients, projects = history.reference.get(_ALL_CLIENTS, load)
    if ids is None:
        return list(clients), list(projects)
    return [c for c in clients if c.id in ids], [p for p in projects if p.client_id in ids]


def _snapshots(
    session: Session, weeks: list[date], *, clients: Iterable[ClientRow]
) -> dict[tuple[int, date], SnapshotRow]:
    return load_snapshots(
        session, client_ids={c.id for c in clients}, first=min(weeks), last=max(weeks)
    )


def _listed(
    clients: Iterable[ClientRow], *, week: date, snapshots: dict[tuple[int, date], SnapshotRow]
) -> list[ClientRow]:
    return [
        c for c in clients if c.status == ClientStatus.active.value or (c.id, week) in snapshots
    ]


def _health(
    client_week: tuple[int, date],
    *,
    snapshots: dict[tuple[int, date], SnapshotRow],
    live: dict[tuple[int, date], ClientWeek],
) -> dict[str, Any]:
    frozen = snapshots.get(client_week)
    if frozen is not None:
        return {
            "score": frozen.score,
            "rag": frozen.rag,
            "components": frozen.components,
            "frozen": True,
        }
    health = live[client_week].health
    return {
        "score": health.score,
        "rag": health.rag,
        "components": health.components(),
        "frozen": False,
    }


def _client_data_row(assessed: ClientWeek, frozen: SnapshotRow | None) -> dict[str, Any]:
    client = assessed.client
    return {
        "client_id": client.id,
        "name": client.name,
        "status": client.status,
        "account_lead_id": client.account_lead_id,
        "account_lead": client.account_lead,
        "target_rate": client.target_rate,
        "hours_week": assessed.hours_week,
        "hours_month": assessed.hours_month,
        "projects": [_project_row(p) for p in assessed.projects if p.project.is_active],
        "score": assessed.health.score if frozen is None else frozen.score,
        "rag": assessed.health.rag if frozen is None else frozen.rag,
        "revenue_week": assessed.revenue_week,
        "effective_rate_week": assessed.effective_rate,
    }


def _project_row(week: ProjectWeek) -> dict[str, Any]:
    project, burn = week.project, week.burn
    return {
        "project_id": project.id,
        "name": project.name,
        "billing_model": project.billing_model,
        "budget_hours": project.budget_hours,
        "budget_period": project.budget_period,
        "status": project.status,
        "hours_week": week.hours_week,
        "consumed_hours": burn.consumed_hours if burn else None,
        "burn_pct": burn.burn_pct if burn else None,
        "elapsed": burn.elapsed if burn else None,
        "pace": burn.pace if burn else None,
    }
