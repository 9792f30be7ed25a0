"""Writes a generated organisation in bulk: SQLAlchemy Core inserts of plain dicts, in chunks,
on one connection inside the caller's transaction.

Core skips the ORM's per-object bookkeeping (the large profile is ~850k entries), while the
tables' own column types still apply, so instants go through `UTCDateTime` exactly as every
other write does. Ids come back through RETURNING, in the order the rows were given.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

from workshub.domain.models import (
    Client,
    ClientPulse,
    Project,
    Task,
    Team,
    TimeEntry,
    TimeOff,
    User,
)
from workshub.domain.seed import words
from workshub.domain.seed.extras import PlanPulse, PlanTask, PlanTimer
from workshub.domain.seed.plan import OrgPlan
from workshub.domain.seed.timeline import Entries, TimeOffPlan

__all__ = ["CHUNK", "Generated", "has_rows", "write_generated"]

CHUNK = 20_000
_OWNED_TABLES = (Team, User, Client, Project, TimeEntry)


@dataclass(frozen=True, slots=True)
class Generated:
    """Everything the seed decided, before any row exists."""

    plan: OrgPlan
    time_off: TimeOffPlan
    entries: Entries
    timers: list[PlanTimer]
    tasks: list[PlanTask]
    pulses: list[PlanPulse]

    def row_count(self) -> int:
        return (
            len(self.plan.teams)
            + len(self.plan.people)
            + len(self.plan.clients)
            + len(self.plan.projects)
            + sum(len(days) for days in self.time_off.values())
            + len(self.entries)
            + len(self.timers)
            + len(self.tasks)
            + len(self.pulses)
        )


def table(model: type[SQLModel]) -> Table:
    return cast(Table, model.__table__)  # type: ignore[attr-defined]


def has_rows(conn: Connection) -> bool:
    """True when any person, team, client, project or entry exists (settings do not count)."""
    return any(
        conn.execute(select(table(model).c.id).limit(1)).first() is not None
        for model in _OWNED_TABLES
    )


def write_generated(
    conn: Connection,
    generated: Generated,
    *,
    password_hashes: Sequence[str | None],
    advance: Callable[[int], None],
) -> dict[str, int]:
    """Insert everything; returns the rows written per table."""
    plan = generated.plan
    ids = _Ids(conn, advance)
    team_ids = ids.insert(Team, [{"name": team.name} for team in plan.teams])
    user_ids = ids.insert(
        User,
        [
            {
                "email": p.email,
                "name": p.name,
                "role": p.role.value,
                "team_id": None if p.team is None else team_ids[p.team],
                "weekly_capacity_hours": p.capacity,
                "bill_rate": p.bill_rate,
                "cost_rate": p.cost_rate,
                "starts_on": p.starts_on,
                "ends_on": p.ends_on,
                "is_active": p.is_active,
                "password_hash": password_hash,
                "session_version": 1,
            }
            for p, password_hash in zip(plan.people, password_hashes, strict=True)
        ],
    )
    teams = table(Team)
    conn.execute(
        update(teams).where(teams.c.id == bindparam("team")).values(lead_id=bindparam("lead")),
        [
            {"team": team_ids[i], "lead": user_ids[team.lead]}
            for i, team in enumerate(plan.teams)
            if team.lead is not None
        ],
    )
    client_ids = ids.insert(
        Client,
        [
            {
                "name": c.name,
                "account_lead_id": user_ids[c.account_lead],
                "target_rate": c.target_rate,
                "status": c.status.value,
            }
            for c in plan.clients
        ],
    )
    project_ids = ids.insert(
        Project,
        [
            {
                "client_id": None if p.client is None else client_ids[p.client],
                "name": p.name,
                "billing_model": p.billing_model.value,
                "budget_hours": p.budget_hours,
                "budget_period": p.budget_period.value,
                "fee": p.fee,
                "bill_rate": p.bill_rate,
                "starts_on": p.starts_on,
                "ends_on": p.ends_on,
                "default_billable": p.default_billable,
                "status": p.status.value,
            }
            for p in plan.projects
        ],
    )
    ids.insert(
        TimeOff,
        [
            {"user_id": user_ids[person], "day": day, "hours": hours}
            for person, days in generated.time_off.items()
            for day, hours in days.items()
        ],
        returning=False,
    )
    entry_rows = _EntryRows(plan, user_ids=user_ids, project_ids=project_ids)
    total = len(generated.entries)
    for lo in range(0, total, CHUNK):
        ids.insert(
            TimeEntry, entry_rows.finished(generated.entries, lo=lo, hi=lo + CHUNK), returning=False
        )
    ids.insert(TimeEntry, [entry_rows.running(t) for t in generated.timers], returning=False)
    ids.insert(
        Task,
        [
            {
                "project_id": project_ids[t.project],
                "assignee_id": None if t.assignee is None else user_ids[t.assignee],
                "title": t.title,
                "status": t.status.value,
                "due_on": t.due_on,
                "version": 1,
            }
            for t in generated.tasks
        ],
        returning=False,
    )
    ids.insert(
        ClientPulse,
        [
            {
                "client_id": client_ids[p.client],
                "week": p.week,
                "rating": p.rating.value,
                "note": p.note,
                "author_id": user_ids[p.author],
            }
            for p in generated.pulses
        ],
        returning=False,
    )
    return ids.counts


class _Ids:
    """Inserts rows in chunks, counts them, reports progress, and hands back new ids."""

    def __init__(self, conn: Connection, advance: Callable[[int], None]) -> None:
        self._conn = conn
        self._advance = advance
        self.counts: dict[str, int] = {}

    def insert(
        self, model: type[SQLModel], rows: list[dict[str, Any]], *, returning: bool = True
    ) -> list[int]:
        target = table(model)
        self.counts[target.name] = self.counts.get(target.name, 0) + len(rows)
        ids: list[int] = []
        for lo in range(0, len(rows), CHUNK):
            chunk = rows[lo : lo + CHUNK]
            if returning:
                statement = insert(target).returning(target.c.id, sort_by_parameter_order=True)
                ids += self._conn.execute(statement, chunk).scalars().all()
            else:
                self._conn.execute(insert(target), chunk)
            self._advance(len(chunk))
        return ids


class _EntryRows:
    """Entries as row dicts: bill_rate is the project's rate, else the person's; billable is the
    project's default (internal work never is); created and updated when they ended."""

    def __init__(self, plan: OrgPlan, *, user_ids: list[int], project_ids: list[int]) -> None:
        self._user_ids = user_ids
        self._project_ids = project_ids
        self._person_rate = [p.bill_rate for p in plan.people]
        self._project_rate = [p.bill_rate for p in plan.projects]
        self._billable = [p.default_billable for p in plan.projects]

    def _rate(self, person: int, project: int) -> float | None:
        rate = self._project_rate[project]
        return rate if rate is not None else self._person_rate[person]

    def finished(self, entries: Entries, *, lo: int, hi: int) -> list[dict[str, Any]]:
        rows = []
        notes = words.ENTRY_NOTES
        for i in range(lo, min(hi, len(entries))):
            person, project, start = entries.person[i], entries.project[i], entries.start[i]
            duration = entries.duration[i]
            ended_at = datetime.fromtimestamp(start + duration, UTC)
            rows.append(
                {
                    "user_id": self._user_ids[person],
                    "project_id": self._project_ids[project],
                    "started_at": datetime.fromtimestamp(start, UTC),
                    "ended_at": ended_at,
                    "duration_s": duration,
                    "note": notes[entries.note[i]],
                    "billable": self._billable[project],
                    "bill_rate": self._rate(person, project),
                    "source": "import",
                    "version": 1,
                    "created_at": ended_at,
                    "updated_at": ended_at,
                }
            )
        return rows

    def running(self, timer: PlanTimer) -> dict[str, Any]:
        return {
            "user_id": self._user_ids[timer.person],
            "project_id": self._project_ids[timer.project],
            "started_at": timer.started_at,
            "ended_at": None,
            "duration_s": None,
            "note": timer.note,
            "billable": self._billable[timer.project],
            "bill_rate": self._rate(timer.person, timer.project),
            "source": "timer",
            "version": 1,
            "created_at": timer.started_at,
            "updated_at": timer.started_at,
        }
