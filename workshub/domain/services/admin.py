"""Admin writes: people, teams, clients and projects (SPEC §2 admin, §3 rules, §6 admin routes).

Admin only: anyone else gets Forbidden. Each write is one UnitOfWork with an audit event and a
ReferenceChanged event (names, leads, rates and budgets feed every dashboard). An update takes
the changed fields only (`**changes`, as a PATCH body) and validates the merged record, so a
rule that spans fields (a fixed fee needs its fee) holds after any partial change.
"""

from __future__ import annotations

from datetime import date
from typing import Any, TypeVar

from sqlmodel import Session, SQLModel, select

from workshub.domain.errors import Forbidden, NotFound, ValidationFailed
from workshub.domain.events import ReferenceChanged
from workshub.domain.models import (
    BillingModel,
    BudgetPeriod,
    Client,
    ClientStatus,
    Project,
    ProjectStatus,
    Role,
    Team,
    User,
)
from workshub.domain.scope import Viewer
from workshub.domain.services.accounts import (
    USER_FIELDS,
    add_user,
    clean_user,
    flush_user,
    user_audit_fields,
)
from workshub.domain.services.fields import FieldReader, reject_unknown
from workshub.domain.uow import UnitOfWork

__all__ = [
    "CLIENT_FIELDS",
    "LEAD_ROLES",
    "PROJECT_FIELDS",
    "TEAM_FIELDS",
    "create_client",
    "create_project",
    "create_team",
    "create_user",
    "update_client",
    "update_project",
    "update_team",
    "update_user",
]

LEAD_ROLES = frozenset({Role.manager, Role.slt, Role.admin})
TEAM_FIELDS = ("name", "lead_id")
CLIENT_FIELDS = ("name", "account_lead_id", "target_rate", "status")
PROJECT_FIELDS = (
    "client_id",
    "name",
    "billing_model",
    "budget_hours",
    "budget_period",
    "fee",
    "bill_rate",
    "starts_on",
    "ends_on",
    "default_billable",
    "status",
)


def _require_admin(viewer: Viewer) -> None:
    if not viewer.is_admin:
        raise Forbidden()


def _fields(row: SQLModel, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(row, name) for name in names}


def _changed(uow: UnitOfWork, entity: str, entity_id: int) -> None:
    uow.emit(
        ReferenceChanged(
            actor_id=uow.actor_id, request_id=uow.request_id, entity=entity, entity_id=entity_id
        )
    )


Row = TypeVar("Row", Team, Client, Project)


def _editable(uow: UnitOfWork, model: type[Row], row_id: int, entity: str) -> Row:
    """The row an update changes, or NotFound."""
    row = uow.session.get(model, row_id)
    if row is None:
        raise NotFound(entity)
    return row


def _saved(
    uow: UnitOfWork,
    row: Row,
    entity: str,
    fields: tuple[str, ...],
    *,
    cleaned: dict[str, Any] | None = None,
    before: dict[str, Any] | None = None,
) -> Row:
    """Apply `cleaned` to `row`, write it, audit it (`before` given: an update, else a
    create) and announce the change of reference data."""
    for name, value in (cleaned or {}).items():
        setattr(row, name, value)
    uow.session.add(row)
    uow.session.flush()
    assert row.id is not None
    action = f"{entity}.{'update' if before is not None else 'create'}"
    uow.audit(action, entity, row.id, before=before, after=_fields(row, fields))
    _changed(uow, entity, row.id)
    return row


def _check_lead(session: Session, read: FieldReader, name: str, *, previous: int | None) -> None:
    """A team's lead or a client's account lead: an active manager, slt or admin.
    An unchanged lead is left alone (they may have been deactivated since)."""
    lead_id = read.ident(name)
    if lead_id is None or lead_id == previous:
        return
    lead = session.get(User, lead_id)
    if lead is None:
        read.fail(name, "no such user")
    elif Role(lead.role) not in LEAD_ROLES:
        read.fail(name, "must be a manager, slt or admin")
    elif not lead.is_active:
        read.fail(name, "is not active")


# --- people ------------------------------------------------------------------------------------


def create_user(
    uow: UnitOfWork,
    viewer: Viewer,
    *,
    email: str,
    name: str,
    role: str,
    team_id: int | None = None,
    password: str | None = None,
    weekly_capacity_hours: float = 37.5,
    bill_rate: float | None = None,
    cost_rate: float | None = None,
    starts_on: date | None = None,
    ends_on: date | None = None,
) -> User:
    _require_admin(viewer)
    return add_user(
        uow,
        email=email,
        name=name,
        role=role,
        team_id=team_id,
        password=password,
        weekly_capacity_hours=weekly_capacity_hours,
        bill_rate=bill_rate,
        cost_rate=cost_rate,
        starts_on=starts_on,
        ends_on=ends_on,
    )


def update_user(uow: UnitOfWork, viewer: Viewer, *, user_id: int, **changes: Any) -> User:
    """Change a person. A role change or (de)activation bumps session_version, so it takes
    effect on their very next request."""
    _require_admin(viewer)
    reject_unknown(changes, USER_FIELDS)
    user = uow.session.get(User, user_id)
    if user is None:
        raise NotFound("user")
    before = user_audit_fields(user)
    cleaned = clean_user(uow.session, _fields(user, USER_FIELDS) | changes, user_id=user_id)
    _check_role_change(uow.session, viewer, user, cleaned)
    bump = cleaned["role"] != user.role or cleaned["is_active"] != user.is_active
    for name, value in cleaned.items():
        setattr(user, name, value)
    if bump:
        user.session_version += 1
    flush_user(uow.session, user)
    uow.audit("user.update", "user", user_id, before=before, after=user_audit_fields(user))
    _changed(uow, "user", user_id)
    return user


def _check_role_change(
    session: Session, viewer: Viewer, user: User, cleaned: dict[str, Any]
) -> None:
    """Keep two invariants: an admin cannot lock themselves out, and every lead can lead."""
    if user.id == viewer.id:
        if cleaned["role"] != Role.admin.value:
            raise ValidationFailed.field("role", "you cannot take away your own admin role")
        if not cleaned["is_active"]:
            raise ValidationFailed.field("is_active", "you cannot deactivate yourself")
    if Role(cleaned["role"]) in LEAD_ROLES:
        return
    leads_team = session.exec(select(Team.id).where(Team.lead_id == user.id)).first()
    leads_client = session.exec(select(Client.id).where(Client.account_lead_id == user.id)).first()
    if leads_team is not None or leads_client is not None:
        what = "team" if leads_team is not None else "client"
        raise ValidationFailed.field("role", f"leads a {what}: give it another lead first")


# --- teams -------------------------------------------------------------------------------------


def _clean_team(
    session: Session, values: dict[str, Any], *, previous_lead: int | None
) -> dict[str, Any]:
    read = FieldReader(values)
    cleaned = {"name": read.text("name", max_length=120), "lead_id": read.ident("lead_id")}
    _check_lead(session, read, "lead_id", previous=previous_lead)
    read.done()
    return cleaned


def create_team(uow: UnitOfWork, viewer: Viewer, *, name: str, lead_id: int | None = None) -> Team:
    _require_admin(viewer)
    team = Team(**_clean_team(uow.session, {"name": name, "lead_id": lead_id}, previous_lead=None))
    return _saved(uow, team, "team", TEAM_FIELDS)


def update_team(uow: UnitOfWork, viewer: Viewer, *, team_id: int, **changes: Any) -> Team:
    _require_admin(viewer)
    reject_unknown(changes, TEAM_FIELDS)
    team = _editable(uow, Team, team_id, "team")
    before = _fields(team, TEAM_FIELDS)
    cleaned = _clean_team(uow.session, before | changes, previous_lead=team.lead_id)
    return _saved(uow, team, "team", TEAM_FIELDS, cleaned=cleaned, before=before)


# --- clients -----------------------------------------------------------------------------------


def _clean_client(
    session: Session, values: dict[str, Any], *, previous_lead: int | None
) -> dict[str, Any]:
    read = FieldReader(values)
    cleaned = {
        "name": read.text("name", max_length=200),
        "account_lead_id": read.ident("account_lead_id"),
        "target_rate": read.number("target_rate", positive=True),
        "status": read.choice("status", ClientStatus, default=ClientStatus.active),
    }
    _check_lead(session, read, "account_lead_id", previous=previous_lead)
    read.done()
    return cleaned


def create_client(
    uow: UnitOfWork,
    viewer: Viewer,
    *,
    name: str,
    account_lead_id: int | None = None,
    target_rate: float | None = None,
    status: str = ClientStatus.active.value,
) -> Client:
    _require_admin(viewer)
    values = {
        "name": name,
        "account_lead_id": account_lead_id,
        "target_rate": target_rate,
        "status": status,
    }
    client = Client(**_clean_client(uow.session, values, previous_lead=None))
    return _saved(uow, client, "client", CLIENT_FIELDS)


def update_client(uow: UnitOfWork, viewer: Viewer, *, client_id: int, **changes: Any) -> Client:
    _require_admin(viewer)
    reject_unknown(changes, CLIENT_FIELDS)
    client = _editable(uow, Client, client_id, "client")
    before = _fields(client, CLIENT_FIELDS)
    cleaned = _clean_client(uow.session, before | changes, previous_lead=client.account_lead_id)
    return _saved(uow, client, "client", CLIENT_FIELDS, cleaned=cleaned, before=before)


# --- projects ----------------------------------------------------------------------------------


def _clean_project(session: Session, values: dict[str, Any]) -> dict[str, Any]:
    """The billing rules: a fixed fee has its total fee and a total budget; a retainer has its
    fee per month; only those two have a fee; a project without a client is internal."""
    read = FieldReader(values)
    billing = read.choice("billing_model", BillingModel)
    cleaned: dict[str, Any] = {
        "client_id": read.ident("client_id"),
        "name": read.text("name", max_length=200),
        "billing_model": billing,
        "budget_hours": read.number("budget_hours", positive=True, maximum=1_000_000),
        "budget_period": read.choice("budget_period", BudgetPeriod, default=BudgetPeriod.total),
        "fee": read.number("fee", positive=True),
        "bill_rate": read.number("bill_rate", positive=True),
        "starts_on": read.day("starts_on", required=True),
        "ends_on": read.day("ends_on"),
        "default_billable": read.flag(
            "default_billable", default=billing != BillingModel.internal.value
        ),
        "status": read.choice("status", ProjectStatus, default=ProjectStatus.active),
    }
    if cleaned["client_id"] is not None and session.get(Client, cleaned["client_id"]) is None:
        read.fail("client_id", "no such client")
    if "billing_model" not in read.errors:
        _check_billing(read, cleaned)
    starts, ends = cleaned["starts_on"], cleaned["ends_on"]
    if starts is not None and ends is not None and ends < starts:
        read.fail("ends_on", "must not be before starts_on")
    read.done()
    return cleaned


def _check_billing(read: FieldReader, cleaned: dict[str, Any]) -> None:
    billing = BillingModel(cleaned["billing_model"])
    if cleaned["client_id"] is None and billing is not BillingModel.internal:
        read.fail("client_id", "is required unless the project is internal")
    if cleaned["fee"] is None:
        if billing is BillingModel.fixed_fee:
            read.fail("fee", "is required for a fixed fee (the total fee)")
        elif billing is BillingModel.retainer:
            read.fail("fee", "is required for a retainer (the fee per month)")
    elif billing not in (BillingModel.fixed_fee, BillingModel.retainer):
        read.fail("fee", "applies only to fixed-fee and retainer projects")
    if billing is BillingModel.fixed_fee and cleaned["budget_period"] != BudgetPeriod.total.value:
        read.fail("budget_period", "must be total for a fixed fee")


def create_project(
    uow: UnitOfWork,
    viewer: Viewer,
    *,
    name: str,
    client_id: int | None,
    billing_model: str,
    starts_on: date,
    budget_hours: float | None = None,
    budget_period: str = BudgetPeriod.total.value,
    fee: float | None = None,
    bill_rate: float | None = None,
    ends_on: date | None = None,
    default_billable: bool | None = None,
    status: str = ProjectStatus.active.value,
) -> Project:
    _require_admin(viewer)
    values = {
        "name": name,
        "client_id": client_id,
        "billing_model": billing_model,
        "starts_on": starts_on,
        "budget_hours": budget_hours,
        "budget_period": budget_period,
        "fee": fee,
        "bill_rate": bill_rate,
        "ends_on": ends_on,
        "default_billable": default_billable,
        "status": status,
    }
    project = Project(**_clean_project(uow.session, values))
    return _saved(uow, project, "project", PROJECT_FIELDS)


def update_project(uow: UnitOfWork, viewer: Viewer, *, project_id: int, **changes: Any) -> Project:
    _require_admin(viewer)
    reject_unknown(changes, PROJECT_FIELDS)
    project = _editable(uow, Project, project_id, "project")
    before = _fields(project, PROJECT_FIELDS)
    cleaned = _clean_project(uow.session, before | changes)
    return _saved(uow, project, "project", PROJECT_FIELDS, cleaned=cleaned, before=before)
