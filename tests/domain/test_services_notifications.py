"""Notifications: one per (user, dedupe key) even when two writers race; read by their owner."""

from __future__ import annotations

import pytest
from sqlmodel import col

from tests.conftest import make_system
from tests.domain.services_world import World, build_world
from workshub.domain.errors import NotFound
from workshub.domain.events import NotificationCreated, NotificationRead
from workshub.domain.models import Notification, TimeOff
from workshub.domain.services import notifications
from workshub.domain.services.notifications import mark_all_read, mark_read, raise_notification


@pytest.fixture
def world(any_engine, clock, tmp_path) -> World:
    return build_world(make_system(any_engine, clock, tmp_path))


def _raise(world: World, key: str | None = "budget:1:80", user=None) -> Notification | None:
    with world.uow(None) as uow:
        return raise_notification(
            uow,
            user_id=(user or world.member).id,
            kind="budget",
            title="Website passed 80 % of its budget",
            body="32 of 40 h",
            link="/clients/1",
            dedupe_key=key,
        )


def test_a_notification_is_raised_once_per_key(world: World) -> None:
    first = _raise(world)
    assert first is not None and first.created_at == world.system.clock.now()
    assert _raise(world) is None
    assert _raise(world, user=world.other) is not None  # keys are per user
    assert world.count(Notification) == 2
    created = [e for e in world.events if isinstance(e, NotificationCreated)]
    assert [(e.user_id, e.kind) for e in created] == [
        (world.member.id, "budget"),
        (world.other.id, "budget"),
    ]
    assert created[0].notification_id == first.id and created[0].link == "/clients/1"


def test_notifications_without_a_key_are_never_deduplicated(world: World) -> None:
    assert _raise(world, key=None) is not None and _raise(world, key=None) is not None
    assert world.count(Notification) == 2


def test_a_racing_twin_is_absorbed_without_losing_the_callers_transaction(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The twin committed after our check: the unique index refuses ours, only the savepoint
    rolls back, and the rest of the caller's work still commits."""
    _raise(world)
    checks: list[str] = []
    real = notifications._exists

    def late_check(uow, *, user_id: int, dedupe_key: str) -> bool:
        checks.append(dedupe_key)
        return False if len(checks) == 1 else real(uow, user_id=user_id, dedupe_key=dedupe_key)

    monkeypatch.setattr(notifications, "_exists", late_check)
    world.events.clear()
    with world.uow(None) as uow:
        uow.session.add(
            TimeOff(user_id=world.member.id, day=world.system.clock.now().date(), hours=2)
        )
        assert (
            raise_notification(
                uow, user_id=world.member.id, kind="budget", title="again", dedupe_key="budget:1:80"
            )
            is None
        )
    assert len(checks) == 2 and world.count(Notification) == 1 and world.count(TimeOff) == 1
    assert world.events == []


def test_mark_read_is_for_the_owner_only_and_keeps_the_first_time(world: World) -> None:
    note = _raise(world)
    assert note is not None
    with pytest.raises(NotFound), world.uow(world.admin) as uow:
        mark_read(uow, world.viewer(world.admin), note.id)
    with world.uow(world.member) as uow:
        read = mark_read(uow, world.viewer(world.member), note.id)
    first_read = world.system.clock.now()
    assert read.read_at == first_read
    world.system.clock.advance(minutes=5)
    with world.uow(world.member) as uow:
        again = mark_read(uow, world.viewer(world.member), note.id)
    assert again.read_at == first_read
    reads = [e for e in world.events if isinstance(e, NotificationRead)]
    assert [(e.notification_id, e.user_id) for e in reads] == [(note.id, world.member.id)]


def test_mark_all_read_touches_only_the_viewers_unread(world: World) -> None:
    _raise(world, key="a")
    _raise(world, key="b")
    _raise(world, key="c", user=world.other)
    with world.uow(world.member) as uow:
        assert mark_all_read(uow, world.viewer(world.member)) == 2
    assert world.count(Notification, col(Notification.read_at).is_(None)) == 1
