"""Time off: hours of a day a person is away, which lower that day's capacity (SPEC §4).
Everyone keeps their own; an admin keeps anyone's."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func
from sqlmodel import Session, select

from workshub.domain.errors import Forbidden, NotFound, ValidationFailed
from workshub.domain.events import TimeOffChanged
from workshub.domain.models import TimeOff, User
from workshub.domain.scope import Viewer
from workshub.domain.services.common import may_read_person
from workshub.domain.services.public import time_off_public
from workshub.domain.uow import UnitOfWork

__all__ = ["add_time_off", "delete_time_off", "time_off_owner"]

MAX_HOURS_PER_DAY = 24.0


def time_off_owner(session: Session, viewer: Viewer, user_id: int, *, what: str = "user") -> User:
    """The person whose time off the viewer keeps: themself, or anyone for an admin. Someone the
    viewer cannot see is NotFound; someone they can see but not change is Forbidden."""
    person = session.get(User, user_id)
    if person is None or not may_read_person(viewer, person):
        raise NotFound(what)
    if person.id != viewer.id and not viewer.is_admin:
        raise Forbidden("Only admins keep other people's time off.")
    return person


def add_time_off(
    uow: UnitOfWork,
    viewer: Viewer,
    *,
    day: date,
    hours: float,
    user_id: int | None = None,
) -> TimeOff:
    session = uow.session
    person = time_off_owner(session, viewer, viewer.id if user_id is None else user_id)
    assert person.id is not None
    if not 0 < hours <= MAX_HOURS_PER_DAY:
        raise ValidationFailed.field("hours", "must be more than 0 and at most 24")
    taken = session.exec(
        select(func.coalesce(func.sum(TimeOff.hours), 0.0))
        .where(TimeOff.user_id == person.id)
        .where(TimeOff.day == day)
    ).one()
    if float(taken) + hours > MAX_HOURS_PER_DAY:
        raise ValidationFailed.field(
            "hours", f"{float(taken):g} h of time off is already on that day; at most 24 in all"
        )
    row = TimeOff(user_id=person.id, day=day, hours=float(hours))
    session.add(row)
    session.flush()
    assert row.id is not None
    uow.audit("time_off.add", "time_off", row.id, after=time_off_public(row))
    _emit(uow, viewer, person, day)
    return row


def delete_time_off(uow: UnitOfWork, viewer: Viewer, *, time_off_id: int) -> None:
    session = uow.session
    row = session.get(TimeOff, time_off_id)
    if row is None:
        raise NotFound("time off")
    person = time_off_owner(session, viewer, row.user_id, what="time off")
    uow.audit("time_off.delete", "time_off", time_off_id, before=time_off_public(row))
    session.delete(row)
    _emit(uow, viewer, person, row.day)


def _emit(uow: UnitOfWork, viewer: Viewer, person: User, day: date) -> None:
    assert person.id is not None
    uow.emit(
        TimeOffChanged(
            actor_id=viewer.id,
            request_id=uow.request_id,
            user_id=person.id,
            team_id=person.team_id,
            day=day,
        )
    )
