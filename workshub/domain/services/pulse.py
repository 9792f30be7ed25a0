"""Client pulse: a person's weekly read of how a client feels (green, amber, red). One per client
and week; a second write replaces the first. It feeds the health score's S_pulse."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from workshub.domain.errors import Forbidden, NotFound, ValidationFailed
from workshub.domain.events import PulseSet
from workshub.domain.models import Client, ClientPulse, Rag, Role, User
from workshub.domain.scope import Viewer, manager_client_ids
from workshub.domain.services.common import NOTE_MAX, org_tz, text_field
from workshub.domain.services.public import pulse_public
from workshub.domain.timeutil import local_date, week_start
from workshub.domain.uow import UnitOfWork

__all__ = ["list_pulses", "set_pulse"]


def set_pulse(
    uow: UnitOfWork,
    viewer: Viewer,
    *,
    client_id: int,
    week: date,
    rating: str,
    note: str = "",
    tz: ZoneInfo | None = None,
) -> ClientPulse:
    """Writes the pulse of `week` (any day; stored as its Monday), replacing an earlier one.
    Managers for their clients, slt and admin for any; not for a future week. `tz` defaults to
    the organisation's timezone stored in the database."""
    session = uow.session
    if viewer.role is Role.team_member:
        raise Forbidden("Only managers, slt and admins rate clients.")
    client = session.get(Client, client_id)
    if client is None or not (
        viewer.org_wide or client_id in manager_client_ids(session, viewer, now=uow.now)
    ):
        raise NotFound("client")
    monday = week_start(week)
    if monday > week_start(local_date(uow.now, tz or org_tz(session))):
        raise ValidationFailed.field("week", "must not be in the future")
    allowed = [r.value for r in Rag]
    if rating not in allowed:
        raise ValidationFailed.field("rating", f"must be one of {', '.join(allowed)}")
    note = text_field(note, field="note", max_length=NOTE_MAX)
    pulse = _current(uow, client_id, monday)
    before = pulse_public(pulse) if pulse else None
    if pulse is None:
        pulse = ClientPulse(
            client_id=client_id, week=monday, rating=rating, note=note, author_id=viewer.id
        )
        try:
            with session.begin_nested():
                session.add(pulse)
                session.flush()
        except IntegrityError:  # a concurrent first write won: replace it instead
            pulse = _current(uow, client_id, monday)
            if pulse is None:
                raise
            before = pulse_public(pulse)
    _fill(pulse, viewer, rating=rating, note=note)
    session.add(pulse)
    session.flush()
    assert pulse.id is not None
    uow.audit("pulse.set", "client_pulse", pulse.id, before=before, after=pulse_public(pulse))
    uow.emit(
        PulseSet(actor_id=viewer.id, request_id=uow.request_id, client_id=client_id, week=monday)
    )
    return pulse


def _current(uow: UnitOfWork, client_id: int, monday: date) -> ClientPulse | None:
    return uow.session.exec(
        select(ClientPulse)
        .where(ClientPulse.client_id == client_id)
        .where(ClientPulse.week == monday)
        .with_for_update()
    ).first()


def _fill(pulse: ClientPulse, viewer: Viewer, *, rating: str, note: str) -> None:
    pulse.rating = rating
    pulse.note = note
    pulse.author_id = viewer.id


def list_pulses(
    session: Session, viewer: Viewer, *, client_id: int, first: date, last: date, now: datetime
) -> list[dict[str, Any]]:
    """The client's pulses for the weeks from `first` to `last`, newest first, each with its
    `author_name` — for those who may write them (a pulse page shows what it would replace)."""
    if viewer.role is Role.team_member:
        raise Forbidden("Only managers, slt and admins rate clients.")
    if session.get(Client, client_id) is None or not (
        viewer.org_wide or client_id in manager_client_ids(session, viewer, now=now)
    ):
        raise NotFound("client")
    rows = session.exec(
        select(ClientPulse, User.name)
        .outerjoin(User, col(User.id) == ClientPulse.author_id)
        .where(ClientPulse.client_id == client_id)
        .where(ClientPulse.week >= week_start(first))
        .where(ClientPulse.week <= last)
        .order_by(col(ClientPulse.week).desc())
    ).all()
    return [{**pulse_public(pulse), "author_name": name} for pulse, name in rows]
