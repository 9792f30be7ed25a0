"""What every write service shares: who may touch whose data (SPEC §2), where an entry lands on
the dashboards, and the small checks that name the field they refuse."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any, Final
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, select
from sqlmodel import Session

from workshub.domain.errors import Forbidden, NotFound, ValidationFailed
from workshub.domain.events import EntryRef
from workshub.domain.models import (
    Client,
    ClientStatus,
    Project,
    ProjectStatus,
    Role,
    Setting,
    TimeEntry,
    User,
)
from workshub.domain.scope import Viewer
from workshub.domain.services.public import entry_public
from workshub.domain.uow import UnitOfWork

__all__ = [
    "NOTE_MAX",
    "UNSET",
    "TrackableProject",
    "Unset",
    "audit_entry",
    "aware_instant",
    "bill_rate",
    "entry_ref",
    "may_manage_person",
    "may_read_person",
    "org_tz",
    "require_manage",
    "text_field",
    "trackable_project",
]

NOTE_MAX: Final = 2000


class Unset(Enum):
    """Marks an optional argument the caller did not give (None may be a real value)."""

    UNSET = "UNSET"


UNSET: Final = Unset.UNSET


def may_read_person(viewer: Viewer, person: User) -> bool:
    """Own data for everyone; a manager also their led teams' people; slt and admin everyone."""
    if viewer.id == person.id or viewer.org_wide:
        return True
    return viewer.role is Role.manager and viewer.leads(person.team_id)


def may_manage_person(viewer: Viewer, person: User) -> bool:
    """Writes on someone's data: own, a manager for led teams' people, admin for anyone.
    slt reads everything but writes only its own (pulse aside)."""
    if viewer.id == person.id or viewer.is_admin:
        return True
    return viewer.role is Role.manager and viewer.leads(person.team_id)


def require_manage(viewer: Viewer, person: User | None, *, what: str) -> User:
    """The person whose `what` the viewer writes. Outside read scope → NotFound (as if the id did
    not exist); readable but not writable → Forbidden."""
    if person is None or not may_read_person(viewer, person):
        raise NotFound(what)
    if not may_manage_person(viewer, person):
        raise Forbidden(f"Your role may not change another person's {what}.")
    return person


@dataclass(frozen=True, slots=True)
class TrackableProject:
    """What a timer or an entry needs of its project: where the entry lands (client, billing
    model), the billable default, and the rate in force for the person it was asked for."""

    id: int
    client_id: int | None
    billing_model: str
    default_billable: bool
    bill_rate: float | None


# The hot write path (a timer start or stop, hundreds a second, SPEC §9) reads with Core
# statements built once: an ORM lookup costs about three times as much as the query itself.
_PROJECT = Project.__table__  # type: ignore[attr-defined]
_CLIENT = Client.__table__  # type: ignore[attr-defined]
_USER = User.__table__  # type: ignore[attr-defined]


def _person_rate(user_id: Any) -> Any:
    return select(_USER.c.bill_rate).where(_USER.c.id == user_id).scalar_subquery()


# The rate in force is the project's, else the person's (SPEC §3).
_RATE = select(
    func.coalesce(
        select(_PROJECT.c.bill_rate)
        .where(_PROJECT.c.id == bindparam("project_id"))
        .scalar_subquery(),
        _person_rate(bindparam("user_id")),
    )
)
_PROJECT_FACTS = (
    select(
        _PROJECT.c.status,
        _PROJECT.c.client_id,
        _PROJECT.c.billing_model,
        _PROJECT.c.default_billable,
        _CLIENT.c.status.label("client_status"),
        func.coalesce(_PROJECT.c.bill_rate, _person_rate(bindparam("user_id"))).label("bill_rate"),
    )
    .select_from(_PROJECT.outerjoin(_CLIENT, _CLIENT.c.id == _PROJECT.c.client_id))
    .where(_PROJECT.c.id == bindparam("project_id"))
)


def bill_rate(session: Session, *, project_id: int, user_id: int) -> float | None:
    """The rate in force now for `user_id` on `project_id`: the project's, else the person's.
    Read without flushing the session, so a half-changed entry is never written early."""
    rate = (
        session.connection().execute(_RATE, {"project_id": project_id, "user_id": user_id}).scalar()
    )
    return None if rate is None else float(rate)


def trackable_project(
    session: Session, project_id: int, *, user_id: int, field: str = "project_id"
) -> TrackableProject:
    """An active project of an active client, or an active internal one (SPEC §2), with the
    rate in force for `user_id`."""
    row = (
        session.connection()
        .execute(_PROJECT_FACTS, {"project_id": project_id, "user_id": user_id})
        .first()
    )
    ok = row is not None and row.status == ProjectStatus.active.value
    if ok and row is not None and row.client_id is not None:
        ok = row.client_status == ClientStatus.active.value
    if not ok or row is None:
        raise ValidationFailed.field(field, "is not an active project you can track time on")
    return TrackableProject(
        id=project_id,
        client_id=row.client_id,
        billing_model=row.billing_model,
        default_billable=bool(row.default_billable),
        bill_rate=None if row.bill_rate is None else float(row.bill_rate),
    )


def entry_ref(session: Session, entry: TimeEntry) -> EntryRef:
    """Where the entry lands on the dashboards: its person's team, its project's client and
    billing model."""
    person = session.get(User, entry.user_id)
    project = session.get(Project, entry.project_id)
    return EntryRef(
        user_id=entry.user_id,
        team_id=person.team_id if person else None,
        project_id=entry.project_id,
        client_id=project.client_id if project else None,
        started_at=entry.started_at,
        billing_model=project.billing_model if project else None,
    )


def audit_entry(
    uow: UnitOfWork, action: str, entry: TimeEntry, *, before: dict[str, Any] | None = None
) -> None:
    """Audits an entry write with its full state after (money included: the log is internal)."""
    uow.audit(action, "time_entry", entry.id, before=before, after=entry_public(entry, money=True))


def aware_instant(value: datetime, *, field: str) -> datetime:
    """An aware instant in UTC, cut to whole seconds (durations are whole seconds)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationFailed.field(field, "needs a UTC offset or Z")
    return value.astimezone(UTC).replace(microsecond=0)


def text_field(value: str, *, field: str, max_length: int, required: bool = False) -> str:
    """A stripped string within its length; `required` refuses an empty one."""
    if not isinstance(value, str):
        raise ValidationFailed.field(field, "must be text")
    value = value.strip()
    if required and not value:
        raise ValidationFailed.field(field, "is required")
    if len(value) > max_length:
        raise ValidationFailed.field(field, f"must be at most {max_length} characters")
    return value


def org_tz(session: Session) -> ZoneInfo:
    """The organisation's timezone as stored in the database (SPEC §3 Setting)."""
    row = session.get(Setting, "timezone")
    return ZoneInfo(row.value if row else "UTC")
