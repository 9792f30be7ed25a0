"""SQLModel tables (SPEC §3). Rows are never the wire format: the API has its own schemas.

Rules that must hold under concurrency live in the database too: case-insensitive unique
emails, one running timer per user (partial unique index), entry length and order, one pulse
per client and week, notification dedupe keys.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlmodel import Field, SQLModel

from workshub.db import UTCDateTime

__all__ = [
    "ApiToken",
    "AuditEvent",
    "BillingModel",
    "BudgetPeriod",
    "Client",
    "ClientHealthSnapshot",
    "ClientPulse",
    "ClientStatus",
    "IdempotencyRecord",
    "Notification",
    "Project",
    "ProjectStatus",
    "Rag",
    "Role",
    "Setting",
    "Task",
    "TaskStatus",
    "Team",
    "TimeEntry",
    "TimeOff",
    "User",
    "utcnow",
]


def utcnow() -> datetime:
    return datetime.now(UTC)


def _instant(*, nullable: bool = False, index: bool = False) -> Any:
    return Field(sa_type=UTCDateTime, nullable=nullable, index=index)


class Role(StrEnum):
    team_member = "team_member"
    manager = "manager"
    slt = "slt"
    admin = "admin"


class ClientStatus(StrEnum):
    active = "active"
    archived = "archived"


class ProjectStatus(StrEnum):
    active = "active"
    archived = "archived"


class BillingModel(StrEnum):
    retainer = "retainer"
    t_and_m = "t_and_m"
    fixed_fee = "fixed_fee"
    internal = "internal"


class BudgetPeriod(StrEnum):
    total = "total"
    monthly = "monthly"


class TaskStatus(StrEnum):
    todo = "todo"
    doing = "doing"
    done = "done"


class Rag(StrEnum):
    green = "green"
    amber = "amber"
    red = "red"


def _one_of(column: str, enum: type[StrEnum]) -> CheckConstraint:
    values = ", ".join(f"'{v.value}'" for v in enum)
    return CheckConstraint(f"{column} IN ({values})", name=f"ck_{column}_valid")


class Team(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    lead_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("user.id", use_alter=True, name="fk_team_lead"), index=True
        ),
    )


class User(SQLModel, table=True):
    __table_args__ = (
        Index("ux_user_email_lower", func.lower(text("email")), unique=True),
        _one_of("role", Role),
        CheckConstraint("weekly_capacity_hours >= 0", name="ck_user_capacity"),
    )

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254)
    name: str = Field(max_length=120)
    role: str = Field(default=Role.team_member.value, max_length=20)
    team_id: int | None = Field(default=None, foreign_key="team.id", index=True)
    weekly_capacity_hours: float = 37.5
    bill_rate: float | None = None
    cost_rate: float | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    is_active: bool = True
    password_hash: str | None = Field(default=None, max_length=255)
    session_version: int = 1


class Client(SQLModel, table=True):
    __table_args__ = (_one_of("status", ClientStatus),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    account_lead_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    target_rate: float | None = None
    status: str = Field(default=ClientStatus.active.value, max_length=20)


class Project(SQLModel, table=True):
    __table_args__ = (
        _one_of("billing_model", BillingModel),
        _one_of("budget_period", BudgetPeriod),
        _one_of("status", ProjectStatus),
        CheckConstraint("budget_hours IS NULL OR budget_hours > 0", name="ck_project_budget"),
    )

    id: int | None = Field(default=None, primary_key=True)
    client_id: int | None = Field(default=None, foreign_key="client.id", index=True)
    name: str = Field(max_length=200)
    billing_model: str = Field(default=BillingModel.t_and_m.value, max_length=20)
    budget_hours: float | None = None
    budget_period: str = Field(default=BudgetPeriod.total.value, max_length=20)
    fee: float | None = None
    bill_rate: float | None = None
    starts_on: date
    ends_on: date | None = None
    default_billable: bool = True
    status: str = Field(default=ProjectStatus.active.value, max_length=20)


class TimeEntry(SQLModel, table=True):
    __tablename__ = "time_entry"
    __table_args__ = (
        CheckConstraint(
            "duration_s IS NULL OR (duration_s > 0 AND duration_s <= 86400)",
            name="ck_entry_duration",
        ),
        CheckConstraint("ended_at IS NULL OR ended_at > started_at", name="ck_entry_order"),
        CheckConstraint(
            "(ended_at IS NULL AND duration_s IS NULL) OR "
            "(ended_at IS NOT NULL AND duration_s IS NOT NULL)",
            name="ck_entry_running_shape",
        ),
        Index(
            "ux_entry_one_running",
            "user_id",
            unique=True,
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
        Index("ix_entry_user_time", "user_id", "started_at", "duration_s", "billable"),
        Index("ix_entry_project_time", "project_id", "started_at", "duration_s", "billable"),
        Index("ix_entry_started", "started_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id")
    project_id: int = Field(foreign_key="project.id")
    started_at: datetime = _instant()
    ended_at: datetime | None = _instant(nullable=True)
    duration_s: int | None = None
    note: str = Field(default="", sa_type=Text)
    billable: bool = True
    bill_rate: float | None = None
    source: str = Field(default="timer", max_length=10)
    version: int = 1
    created_at: datetime = _instant()
    updated_at: datetime = _instant()


class Task(SQLModel, table=True):
    __table_args__ = (_one_of("status", TaskStatus),)

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    assignee_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    title: str = Field(max_length=300)
    status: str = Field(default=TaskStatus.todo.value, max_length=10)
    due_on: date | None = None
    version: int = 1


class TimeOff(SQLModel, table=True):
    __tablename__ = "time_off"
    __table_args__ = (
        CheckConstraint("hours > 0 AND hours <= 24", name="ck_time_off_hours"),
        Index("ix_time_off_user_day", "user_id", "day"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id")
    day: date
    hours: float


class ClientPulse(SQLModel, table=True):
    __tablename__ = "client_pulse"
    __table_args__ = (
        UniqueConstraint("client_id", "week", name="ux_pulse_client_week"),
        _one_of("rating", Rag),
    )

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id")
    week: date
    rating: str = Field(max_length=10)
    note: str = Field(default="", sa_type=Text)
    author_id: int | None = Field(default=None, foreign_key="user.id")


class Notification(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("user_id", "dedupe_key", name="ux_notification_dedupe"),
        Index("ix_notification_user_unread", "user_id", "read_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id")
    kind: str = Field(max_length=40)
    title: str = Field(max_length=200)
    body: str = Field(default="", sa_type=Text)
    link: str = Field(default="", max_length=300)
    created_at: datetime = _instant()
    read_at: datetime | None = _instant(nullable=True)
    dedupe_key: str | None = Field(default=None, max_length=200)


class ClientHealthSnapshot(SQLModel, table=True):
    __tablename__ = "client_health_snapshot"

    client_id: int = Field(foreign_key="client.id", primary_key=True)
    week: date = Field(primary_key=True)
    score: int
    rag: str = Field(max_length=10)
    components: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    computed_at: datetime = _instant()


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int | None = Field(default=None, foreign_key="user.id")
    action: str = Field(max_length=60)
    entity: str = Field(max_length=40)
    entity_id: int | None = None
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    at: datetime = _instant()
    request_id: str | None = Field(default=None, max_length=100, index=True)


class IdempotencyRecord(SQLModel, table=True):
    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("actor_id", "key", name="ux_idempotency_actor_key"),)

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int = Field(foreign_key="user.id")
    key: str = Field(max_length=200)
    method: str = Field(max_length=10)
    path: str = Field(max_length=300)
    body_sha256: str = Field(max_length=64)
    status: int
    body: str = Field(sa_type=Text)
    created_at: datetime = _instant(index=True)


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    name: str = Field(max_length=120)
    token_sha256: str = Field(max_length=64, unique=True)
    created_at: datetime = _instant()
    expires_at: datetime | None = _instant(nullable=True)
    last_used_at: datetime | None = _instant(nullable=True)


class Setting(SQLModel, table=True):
    key: str = Field(primary_key=True, max_length=60)
    value: str = Field(sa_type=Text)
