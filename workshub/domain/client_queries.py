"""The rows budget burn, revenue and client health are computed from: clients, project terms,
pulses and frozen snapshots. One statement per loader, each bounded on both sides; hours come
from `hour_ledger`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import (
    CompoundSelect,
    Table,
    func,
    select,
)
from sqlmodel import Session, SQLModel

from workshub.domain.models import (
    BillingModel,
    Client,
    ClientHealthSnapshot,
    ClientPulse,
    Project,
    ProjectStatus,
    TimeEntry,
    User,
)

__all__ = [
    "ClientRow",
    "ProjectRow",
    "PulseRow",
    "SnapshotRow",
    "earliest_entry_start",
    "frozen_weeks",
    "load_clients",
    "load_projects",
    "load_pulses",
    "load_snapshots",
]


def _table(model: type[SQLModel]) -> Table:
    return cast(Table, model.__table__)  # type: ignore[attr-defined]


_client = _table(Client).c
_project = _table(Project).c
_entry = _table(TimeEntry).c
_pulse = _table(ClientPulse)
_snapshot = _table(ClientHealthSnapshot).c

_ACTIVE = ProjectStatus.active.value


@dataclass(frozen=True, slots=True)
class ClientRow:
    id: int
    name: str
    status: str
    target_rate: float | None
    account_lead_id: int | None
    account_lead: str | None


@dataclass(frozen=True, slots=True)
class ProjectRow:
    """A project's terms: what burn and revenue are computed from."""

    id: int
    client_id: int | None
    name: str
    billing_model: str
    budget_hours: float | None
    budget_period: str
    fee: float | None
    bill_rate: float | None
    starts_on: date
    ends_on: date | None
    status: str

    @property
    def is_active(self) -> bool:
        return self.status == _ACTIVE


@dataclass(frozen=True, slots=True)
class PulseRow:
    week: date
    rating: str


@dataclass(frozen=True, slots=True)
class SnapshotRow:
    client_id: int
    week: date
    score: int
    rag: str
    components: dict[str, Any]


def _project_row(values_: Sequence[Any]) -> ProjectRow:
    return ProjectRow(*values_)


_PROJECT_COLUMNS = (
    _project.id,
    _project.client_id,
    _project.name,
    _project.billing_model,
    _project.budget_hours,
    _project.budget_period,
    _project.fee,
    _project.bill_rate,
    _project.starts_on,
    _project.ends_on,
    _project.status,
)


def load_clients(
    session: Session, *, client_ids: Collection[int] | CompoundSelect | None
) -> tuple[list[ClientRow], list[ProjectRow]]:
    """Clients (all, those ids, or those a nested select names — a manager's scope) with
    their lead's name and all their projects: one query."""
    if isinstance(client_ids, Collection) and not client_ids:
        return [], []
    lead = _table(User).alias("lead")
    stmt = (
        select(
            _client.id,
            _client.name,
            _client.status,
            _client.target_rate,
            _client.account_lead_id,
            lead.c.name,
            *_PROJECT_COLUMNS,
        )
        .select_from(
            _table(Client)
            .outerjoin(lead, lead.c.id == _client.account_lead_id)
            .outerjoin(_table(Project), _project.client_id == _client.id)
        )
        .order_by(_client.name, _client.id, _project.name, _project.id)
    )
    if isinstance(client_ids, CompoundSelect):
        stmt = stmt.where(_client.id.in_(client_ids))
    elif client_ids is not None:
        stmt = stmt.where(_client.id.in_(sorted(client_ids)))
    clients: dict[int, ClientRow] = {}
    projects: list[ProjectRow] = []
    for row in session.execute(stmt):
        if row[0] not in clients:
            clients[row[0]] = ClientRow(*row[:6])
        if row[6] is not None:
            projects.append(_project_row(row[6:]))
    return list(clients.values()), projects


def load_projects(session: Session) -> list[ProjectRow]:
    """Every project that can earn money or carries client hours: one query."""
    stmt = (
        select(*_PROJECT_COLUMNS)
        .where(
            _project.client_id.is_not(None)
            | (_project.billing_model != BillingModel.internal.value)
        )
        .order_by(_project.id)
    )
    return [_project_row(row) for row in session.execute(stmt)]


def load_pulses(
    session: Session, *, client_ids: Collection[int], first: date, last: date
) -> dict[int, list[PulseRow]]:
    """Pulses of weeks first..last, plus the latest one at or before `first`, oldest first."""
    if not client_ids:
        return {}
    pulse = _pulse.c
    earlier = _pulse.alias("earlier").c
    latest_before = (
        select(func.max(earlier.week))
        .where(earlier.client_id == pulse.client_id, earlier.week <= first)
        .scalar_subquery()
    )
    stmt = (
        select(pulse.client_id, pulse.week, pulse.rating)
        .where(pulse.client_id.in_(sorted(client_ids)))
        .where(pulse.week <= last, pulse.week >= func.coalesce(latest_before, first))
        .order_by(pulse.client_id, pulse.week)
    )
    pulses: dict[int, list[PulseRow]] = defaultdict(list)
    for client_id, week, rating in session.execute(stmt):
        pulses[client_id].append(PulseRow(week, rating))
    return dict(pulses)


def load_snapshots(
    session: Session, *, client_ids: Collection[int], first: date, last: date
) -> dict[tuple[int, date], SnapshotRow]:
    """Frozen client-health rows of weeks first..last, by (client_id, week)."""
    if not client_ids:
        return {}
    stmt = select(
        _snapshot.client_id, _snapshot.week, _snapshot.score, _snapshot.rag, _snapshot.components
    ).where(
        _snapshot.client_id.in_(sorted(client_ids)),
        _snapshot.week >= first,
        _snapshot.week <= last,
    )
    return {
        (row[0], row[1]): SnapshotRow(row[0], row[1], row[2], row[3], dict(row[4] or {}))
        for row in session.execute(stmt)
    }


def frozen_weeks(session: Session, *, first: date, last: date) -> set[date]:
    """Weeks first..last that have at least one snapshot."""
    stmt = select(_snapshot.week).where(_snapshot.week >= first, _snapshot.week <= last).distinct()
    return set(session.execute(stmt).scalars())


def earliest_entry_start(session: Session) -> datetime | None:
    return session.execute(select(func.min(_entry.started_at))).scalar()
