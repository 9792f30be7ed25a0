"""Client pulse: one per client and week, replaced on a second write, scoped per role."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from tests import factories as f
from tests.conftest import make_system
from tests.domain.services_world import World, build_world
from workshub.domain.errors import Forbidden, NotFound, ValidationFailed
from workshub.domain.events import PulseSet
from workshub.domain.models import ClientPulse
from workshub.domain.services import pulse as pulse_service
from workshub.domain.services.pulse import set_pulse

MONDAY = date(2026, 11, 23)  # the fake clock's week


@pytest.fixture
def world(any_engine, clock, tmp_path) -> World:
    return build_world(make_system(any_engine, clock, tmp_path))


def test_a_second_write_for_the_week_replaces_the_first(world: World) -> None:
    boss = world.viewer(world.manager)
    with world.uow(world.manager) as uow:
        first = set_pulse(uow, boss, client_id=world.client.id, week=MONDAY, rating="amber")
    with world.uow(world.manager) as uow:
        second = set_pulse(
            uow, boss, client_id=world.client.id, week=date(2026, 11, 26), rating="red", note="Late"
        )
    assert second.id == first.id and second.week == MONDAY
    row = world.get(ClientPulse, first.id)
    assert (row.rating, row.note, row.author_id) == ("red", "Late", world.manager.id)
    assert world.count(ClientPulse) == 1
    audits = world.audits("pulse.set")
    assert audits[0].before is None
    assert audits[1].before is not None and audits[1].before["rating"] == "amber"
    assert [(e.client_id, e.week) for e in world.events if isinstance(e, PulseSet)] == [
        (world.client.id, MONDAY),
        (world.client.id, MONDAY),
    ]


def test_managers_rate_their_clients_only(world: World) -> None:
    boss = world.viewer(world.manager)
    with pytest.raises(NotFound) as hidden, world.uow(world.manager) as uow:
        set_pulse(uow, boss, client_id=world.client_b.id, week=MONDAY, rating="green")
    with pytest.raises(NotFound) as missing, world.uow(world.manager) as uow:
        set_pulse(uow, boss, client_id=999_999, week=MONDAY, rating="green")
    assert str(hidden.value) == str(missing.value)
    # A client becomes theirs when a led member logged time on it in the last 12 weeks.
    f.entry(world.engine, world.member, world.project_b, datetime(2026, 11, 2, 9, tzinfo=UTC), 2)
    with world.uow(world.manager) as uow:
        set_pulse(uow, boss, client_id=world.client_b.id, week=MONDAY, rating="green")


def test_slt_and_admin_rate_any_client_and_members_none(world: World) -> None:
    for person in (world.slt, world.admin):
        with world.uow(person) as uow:
            set_pulse(
                uow, world.viewer(person), client_id=world.client_b.id, week=MONDAY, rating="green"
            )
    with pytest.raises(Forbidden), world.uow(world.member) as uow:
        set_pulse(
            uow, world.viewer(world.member), client_id=world.client.id, week=MONDAY, rating="red"
        )


@pytest.mark.parametrize(
    ("week", "rating", "field"),
    [(MONDAY + timedelta(days=7), "green", "week"), (MONDAY, "purple", "rating")],
)
def test_pulse_validation_names_the_field(
    world: World, week: date, rating: str, field: str
) -> None:
    with pytest.raises(ValidationFailed) as raised, world.uow(world.slt) as uow:
        set_pulse(uow, world.viewer(world.slt), client_id=world.client.id, week=week, rating=rating)
    assert list(raised.value.fields or {}) == [field]


def test_past_weeks_may_be_rated(world: World) -> None:
    with world.uow(world.slt) as uow:
        pulse = set_pulse(
            uow,
            world.viewer(world.slt),
            client_id=world.client.id,
            week=date(2026, 10, 1),
            rating="red",
        )
    assert pulse.week == date(2026, 9, 28)


def test_a_racing_first_write_becomes_a_replacement(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another first write landed between our look-up and our insert: ours replaces it."""
    with world.uow(world.slt) as uow:
        set_pulse(
            uow, world.viewer(world.slt), client_id=world.client.id, week=MONDAY, rating="green"
        )
    real = pulse_service._current
    calls: list[date] = []

    def blind_first_look(uow, client_id: int, monday: date) -> ClientPulse | None:
        calls.append(monday)
        return None if len(calls) == 1 else real(uow, client_id, monday)

    monkeypatch.setattr(pulse_service, "_current", blind_first_look)
    with world.uow(world.manager) as uow:
        set_pulse(
            uow, world.viewer(world.manager), client_id=world.client.id, week=MONDAY, rating="red"
        )
    assert len(calls) == 2 and world.count(ClientPulse) == 1
    _, audit_second = world.audits("pulse.set")
    assert audit_second.before is not None and audit_second.before["rating"] == "green"
