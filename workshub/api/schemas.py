"""Request bodies and documented answers. Bodies refuse unknown fields; answers are the
services' wire dicts, described here for OpenAPI (they are not re-validated on the way out)."""

from __future__ import annotations

from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from workshub.api.fields import (
    Day,
    FiniteFloat,
    Instant,
    LongText,
    Name,
    Secret,
    ShortText,
    StrictFlag,
    StrictId,
    Version,
)
from workshub.domain.models import (
    BillingModel,
    BudgetPeriod,
    ClientStatus,
    ProjectStatus,
    Rag,
    Role,
    TaskStatus,
)

__all__ = [
    "ClientCreate",
    "ClientUpdate",
    "EntryCreate",
    "EntryUpdate",
    "ErrorOut",
    "PasswordChange",
    "ProjectCreate",
    "ProjectUpdate",
    "PulseWrite",
    "TaskCreate",
    "TaskUpdate",
    "TeamCreate",
    "TeamUpdate",
    "TimeOffCreate",
    "TimerStart",
    "TokenRequest",
    "UserCreate",
    "UserUpdate",
    "changes",
    "error_responses",
    "values",
]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- errors ------------------------------------------------------------------------------------


class ErrorDetail(BaseModel):
    code: str = Field(examples=["validation_failed"])
    message: str
    fields: dict[str, str] | None = Field(default=None, description="{field: message}")


class ErrorOut(BaseModel):
    error: ErrorDetail


_ERROR_TEXT = {
    400: "invalid_json: the body is not JSON",
    401: "unauthenticated: no valid token or session",
    403: "forbidden: the role may never use this",
    404: "not_found: no such id, or outside your scope",
    409: "version_conflict / no_running_timer",
    422: "validation_failed (with fields) / idempotency_key_reused",
    429: "throttled: see Retry-After",
}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the errors a route may answer."""
    return {code: {"model": ErrorOut, "description": _ERROR_TEXT[code]} for code in codes}


# --- accounts ----------------------------------------------------------------------------------


class TokenRequest(Body):
    email: ShortText
    password: Secret
    name: Name = "api"
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)


class PasswordChange(Body):
    current: Secret
    new: Secret


# --- time --------------------------------------------------------------------------------------


class TimerStart(Body):
    project_id: StrictId
    note: LongText = ""
    billable: StrictFlag | None = None


class EntryCreate(Body):
    project_id: StrictId
    started_at: Instant
    ended_at: Instant
    note: LongText = ""
    billable: StrictFlag | None = None
    user_id: StrictId | None = Field(
        default=None, description="Someone else's entry (a manager's led teams; admin anyone)"
    )


class EntryUpdate(Body):
    version: Version
    project_id: StrictId | None = None
    started_at: Instant | None = None
    ended_at: Instant | None = None
    note: LongText | None = None
    billable: StrictFlag | None = None


class TaskCreate(Body):
    project_id: StrictId
    title: Name
    assignee_id: StrictId | None = None
    due_on: Day | None = None
    status: TaskStatus = TaskStatus.todo


class TaskUpdate(Body):
    version: Version
    status: TaskStatus | None = None
    assignee_id: StrictId | None = None
    title: Name | None = None
    due_on: Day | None = None


class TimeOffCreate(Body):
    day: Day
    hours: FiniteFloat
    user_id: StrictId | None = Field(default=None, description="admin only: someone else's")


class PulseWrite(Body):
    week: Day = Field(description="Any day of the week; stored on its Monday")
    rating: Rag
    note: LongText = ""


# --- admin -------------------------------------------------------------------------------------


class UserCreate(Body):
    email: ShortText
    name: Name
    role: Role
    team_id: StrictId | None = None
    password: Secret | None = None
    weekly_capacity_hours: FiniteFloat = 37.5
    bill_rate: FiniteFloat | None = None
    cost_rate: FiniteFloat | None = None
    starts_on: Day | None = None
    ends_on: Day | None = None


class UserUpdate(Body):
    email: ShortText | None = None
    name: Name | None = None
    role: Role | None = None
    team_id: StrictId | None = None
    weekly_capacity_hours: FiniteFloat | None = None
    bill_rate: FiniteFloat | None = None
    cost_rate: FiniteFloat | None = None
    starts_on: Day | None = None
    ends_on: Day | None = None
    is_active: StrictFlag | None = None


class TeamCreate(Body):
    name: Name
    lead_id: StrictId | None = None


class TeamUpdate(Body):
    name: Name | None = None
    lead_id: StrictId | None = None


class ClientCreate(Body):
    name: Name
    account_lead_id: StrictId | None = None
    target_rate: FiniteFloat | None = None
    status: ClientStatus = ClientStatus.active


class ClientUpdate(Body):
    name: Name | None = None
    account_lead_id: StrictId | None = None
    target_rate: FiniteFloat | None = None
    status: ClientStatus | None = None


class ProjectCreate(Body):
    name: Name
    starts_on: Day
    client_id: StrictId | None = Field(default=None, description="None for internal projects")
    billing_model: BillingModel = BillingModel.t_and_m
    budget_hours: FiniteFloat | None = None
    budget_period: BudgetPeriod = BudgetPeriod.total
    fee: FiniteFloat | None = None
    bill_rate: FiniteFloat | None = None
    ends_on: Day | None = None
    default_billable: StrictFlag | None = None
    status: ProjectStatus = ProjectStatus.active


class ProjectUpdate(Body):
    name: Name | None = None
    starts_on: Day | None = None
    client_id: StrictId | None = None
    billing_model: BillingModel | None = None
    budget_hours: FiniteFloat | None = None
    budget_period: BudgetPeriod | None = None
    fee: FiniteFloat | None = None
    bill_rate: FiniteFloat | None = None
    ends_on: Day | None = None
    default_billable: StrictFlag | None = None
    status: ProjectStatus | None = None


def changes(body: BaseModel) -> dict[str, Any]:
    """The fields the caller sent (an explicit null included), enums as their values."""
    return _plain(body.model_dump(exclude_unset=True))


def values(body: BaseModel) -> dict[str, Any]:
    """Every field, defaults included, enums as their values."""
    return _plain(body.model_dump())


def _plain(fields: dict[str, Any]) -> dict[str, Any]:
    return {name: v.value if isinstance(v, Enum) else v for name, v in fields.items()}
