"""Time off: own for everyone, anyone's for admin; hours within a day."""

from __future__ import annotations

from datetime import date

import pytest

from tests.conftest import make_system
from tests.domain.services_world import World, build_world
from workshub.domain.errors import Forbidden, NotFound, ValidationFailed
from workshub.domain.events import TimeOffChanged
from workshub.domain.models import TimeOff
from workshub.domain.services.time_off import add_time_off, delete_time_off

DAY = date(2026, 11, 27)


@pytest.fixture
def world(any_engine, clock, tmp_path) -> World:
    return build_world(make_system(any_engine, clock, tmp_path))


def test_add_and_delete_own_time_off(world: World) -> None:
    me = world.viewer(world.member)
    with world.uow(world.member) as uow:
        row = add_time_off(uow, me, day=DAY, hours=3.75)
    assert (row.user_id, row.day, row.hours) == (world.member.id, DAY, 3.75)
    with world.uow(world.member) as uow:
        delete_time_off(uow, me, time_off_id=row.id)
    assert world.count(TimeOff) == 0
    changes = [e for e in world.events if isinstance(e, TimeOffChanged)]
    assert [(e.user_id, e.team_id, e.day) for e in changes] == [
        (world.member.id, world.member.team_id, DAY)
    ] * 2
    assert len(world.audits("time_off.add")) == len(world.audits("time_off.delete")) == 1


@pytest.mark.parametrize("hours", [0, -1, 24.5, float("nan")])
def test_hours_must_lie_within_a_day(world: World, hours: float) -> None:
    with pytest.raises(ValidationFailed) as raised, world.uow(world.member) as uow:
        add_time_off(uow, world.viewer(world.member), day=DAY, hours=hours)
    assert list(raised.value.fields or {}) == ["hours"]


def test_a_day_holds_at_most_24_hours_of_time_off(world: World) -> None:
    me = world.viewer(world.member)
    with world.uow(world.member) as uow:
        add_time_off(uow, me, day=DAY, hours=20)
    with pytest.raises(ValidationFailed) as raised, world.uow(world.member) as uow:
        add_time_off(uow, me, day=DAY, hours=5)
    assert list(raised.value.fields or {}) == ["hours"]


def test_only_admin_keeps_other_peoples_time_off(world: World) -> None:
    with world.uow(world.admin) as uow:
        row = add_time_off(uow, world.viewer(world.admin), day=DAY, hours=8, user_id=world.other.id)
    assert row.user_id == world.other.id
    with pytest.raises(NotFound), world.uow(world.member) as uow:
        add_time_off(uow, world.viewer(world.member), day=DAY, hours=8, user_id=world.other.id)
    with pytest.raises(Forbidden), world.uow(world.manager_b) as uow:
        add_time_off(uow, world.viewer(world.manager_b), day=DAY, hours=8, user_id=world.other.id)
    with pytest.raises(NotFound), world.uow(world.member) as uow:
        delete_time_off(uow, world.viewer(world.member), time_off_id=row.id)
    with pytest.raises(Forbidden), world.uow(world.slt) as uow:
        delete_time_off(uow, world.viewer(world.slt), time_off_id=row.id)
    assert world.count(TimeOff) == 1
