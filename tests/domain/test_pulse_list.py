"""list_pulses: a client's recent pulses for the people who may write them, newest first."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlmodel import Session

from tests.conftest import make_system
from tests.domain.services_world import World, build_world
from workshub.domain.errors import Forbidden, NotFound
from workshub.domain.services.pulse import list_pulses, set_pulse

MONDAY = date(2026, 11, 23)  # the fake clock's week
NOW = datetime.fromisoformat("2026-11-25T10:00:00+00:00")


@pytest.fixture
def world(any_engine, clock, tmp_path) -> World:
    return build_world(make_system(any_engine, clock, tmp_path))


def _rate(world: World, week: date, rating: str, note: str = "") -> None:
    with world.uow(world.manager) as uow:
        set_pulse(
            uow,
            world.viewer(world.manager),
            client_id=world.client.id,
            week=week,
            rating=rating,
            note=note,
        )


def test_pulses_come_newest_first_within_the_weeks_asked_with_their_author(world: World) -> None:
    _rate(world, date(2026, 11, 2), "green")
    _rate(world, date(2026, 11, 11), "amber", "Slow")  # a Wednesday: stored as its Monday
    _rate(world, MONDAY, "red", "Escalated")
    with Session(world.engine) as session:
        found = list_pulses(
            session,
            world.viewer(world.slt),
            client_id=world.client.id,
            first=date(2026, 11, 5),  # any day: its week counts from its Monday
            last=MONDAY,
            now=NOW,
        )
    assert [(p["week"], p["rating"], p["note"]) for p in found] == [
        ("2026-11-23", "red", "Escalated"),
        ("2026-11-09", "amber", "Slow"),
        ("2026-11-02", "green", ""),
    ]
    assert {p["author_name"] for p in found} == {world.manager.name}
    assert all(p["client_id"] == world.client.id for p in found)


def test_pulses_are_read_in_the_same_scope_as_they_are_written(world: World) -> None:
    _rate(world, MONDAY, "green")
    with Session(world.engine) as session:
        mine = list_pulses(
            session,
            world.viewer(world.manager),
            client_id=world.client.id,
            first=MONDAY,
            last=MONDAY,
            now=NOW,
        )
        assert len(mine) == 1
        with pytest.raises(NotFound) as hidden:
            list_pulses(
                session,
                world.viewer(world.manager_b),
                client_id=world.client.id,
                first=MONDAY,
                last=MONDAY,
                now=NOW,
            )
        with pytest.raises(NotFound) as missing:
            list_pulses(
                session,
                world.viewer(world.manager_b),
                client_id=999_999,
                first=MONDAY,
                last=MONDAY,
                now=NOW,
            )
        assert str(hidden.value) == str(missing.value)
        with pytest.raises(Forbidden):
            list_pulses(
                session,
                world.viewer(world.member),
                client_id=world.client.id,
                first=MONDAY,
                last=MONDAY,
                now=NOW,
            )
