"""Timers: start, switch, stop, one running timer under races, and the scheduler's rules."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlmodel import Session, col

from tests import factories as f
from tests.conftest import make_system
from tests.domain.services_world import World, build_world
from workshub.domain.errors import (
    DomainError,
    Forbidden,
    NoRunningTimer,
    NotFound,
    ValidationFailed,
    VersionConflict,
)
from workshub.domain.events import EntryRef, TimeEntryStarted, TimeEntryStopped
from workshub.domain.models import Notification, TimeEntry
from workshub.domain.services import timer
from workshub.domain.services.timer import (
    auto_stop_long_timers,
    long_timer_notices,
    start_timer,
    stop_timer,
)


@pytest.fixture
def world(any_engine, clock, tmp_path) -> World:
    return build_world(make_system(any_engine, clock, tmp_path))


def running(world: World, person) -> int:
    return world.count(TimeEntry, TimeEntry.user_id == person.id, col(TimeEntry.ended_at).is_(None))


def test_start_runs_a_timer_from_now_with_the_projects_defaults(world: World) -> None:
    me = world.viewer(world.member)
    with world.uow(world.member) as uow:
        entry = start_timer(uow, me, project_id=world.project.id, note=" Homepage ")
    assert entry.started_at == world.system.clock.now()
    assert (entry.ended_at, entry.duration_s, entry.source) == (None, None, "timer")
    assert (entry.note, entry.billable, entry.version) == ("Homepage", True, 1)
    assert entry.bill_rate == 120.0  # the project's rate wins over the person's
    [audit] = world.audits("timer.start")
    assert (audit.entity_id, audit.actor_id, audit.request_id) == (entry.id, me.id, "r1")
    [event] = world.events
    assert isinstance(event, TimeEntryStarted) and event.seq > 0 and event.stopped is None
    team_id = world.member.team_id
    assert event.entry == EntryRef(
        me.id, team_id, world.project.id, world.client.id, entry.started_at, "t_and_m"
    )


def test_billable_defaults_to_the_project_and_may_be_overridden(world: World) -> None:
    me = world.viewer(world.member)
    with world.uow(world.member) as uow:
        internal = start_timer(uow, me, project_id=world.internal.id)
    with world.uow(world.member) as uow:
        billable = start_timer(uow, me, project_id=world.internal.id, billable=True)
    assert internal.billable is False and billable.billable is True
    assert internal.bill_rate == 80.0  # no project rate: the person's


def test_starting_while_running_switches_in_one_transaction(world: World) -> None:
    me = world.viewer(world.member)
    with world.uow(world.member) as uow:
        first = start_timer(uow, me, project_id=world.project.id)
    world.system.clock.advance(minutes=30)
    world.events.clear()
    with world.uow(world.member, request_id="switch") as uow:
        second = start_timer(uow, me, project_id=world.internal.id)
    stopped = world.get(TimeEntry, first.id)
    assert stopped.duration_s == 1800 and stopped.ended_at == first.started_at + timedelta(
        minutes=30
    )
    assert stopped.version == 2 and stopped.bill_rate == 120.0
    assert running(world, world.member) == 1 and second.ended_at is None
    [event] = world.events
    assert isinstance(event, TimeEntryStarted)
    assert event.stopped is not None and event.stopped.project_id == world.project.id
    actions = [a.action for a in world.audits("timer.stop") + world.audits("timer.start")]
    assert actions.count("timer.stop") == 1
    assert {a.request_id for a in world.audits("timer.stop")} == {"switch"}


def test_stop_ends_the_timer_in_whole_seconds_and_at_least_one(world: World) -> None:
    me = world.viewer(world.member)
    with world.uow(world.member) as uow:
        start_timer(uow, me, project_id=world.internal.id)
    world.system.clock.advance(0.4)
    with world.uow(world.member) as uow:
        entry = stop_timer(uow, me)
    assert entry.duration_s == 1 and entry.ended_at == entry.started_at + timedelta(seconds=1)
    assert entry.version == 2
    event = world.events[-1]
    assert isinstance(event, TimeEntryStopped) and event.entry_id == entry.id and not event.auto


def test_stop_without_a_running_timer_is_a_409(world: World) -> None:
    me = world.viewer(world.member)
    with pytest.raises(NoRunningTimer) as raised, world.uow(world.member) as uow:
        stop_timer(uow, me)
    assert raised.value.status == 409 and raised.value.code == "no_running_timer"
    assert world.events == []


def test_stopping_a_timer_past_24_hours_caps_it_like_the_auto_stop(world: World) -> None:
    me = world.viewer(world.member)
    with world.uow(world.member) as uow:
        start_timer(uow, me, project_id=world.project.id, note="Deploy")
    world.system.clock.advance(hours=30)
    with world.uow(world.member) as uow:
        entry = stop_timer(uow, me)
    assert entry.duration_s == 86400 and entry.note == "Deploy [auto-stopped]"


@pytest.mark.parametrize("which", ["archived", "of_archived_client", "missing"])
def test_only_active_projects_take_time(world: World, which: str) -> None:
    project_id = 999_999 if which == "missing" else getattr(world, which).id
    with pytest.raises(ValidationFailed) as raised, world.uow(world.member) as uow:
        start_timer(uow, world.viewer(world.member), project_id=project_id)
    assert set(raised.value.fields or {}) == {"project_id"}
    assert running(world, world.member) == 0


def test_a_racing_second_start_is_refused_by_the_database_as_a_409(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another request's timer lands between our check and our insert."""
    winner = f.entry(world.engine, world.member, world.project, world.system.clock.now(), None)
    real = timer.running_entry
    calls = []

    def blind_first_look(session: Session, user_id: int) -> TimeEntry | None:
        calls.append(user_id)
        return None if len(calls) == 1 else real(session, user_id)

    monkeypatch.setattr(timer, "running_entry", blind_first_look)
    with pytest.raises(VersionConflict) as raised, world.uow(world.member) as uow:
        start_timer(uow, world.viewer(world.member), project_id=world.internal.id)
    assert raised.value.status == 409
    assert raised.value.current is not None and raised.value.current["id"] == winner.id
    assert running(world, world.member) == 1 and world.events == []
    assert world.audits("timer.start") == []


def test_concurrent_starts_leave_one_timer_and_never_a_500(world: World) -> None:
    me = world.viewer(world.member)
    outcomes: list[object] = []
    barrier = threading.Barrier(6)

    def start() -> None:
        barrier.wait()
        try:
            with world.uow(world.member) as uow:
                outcomes.append(start_timer(uow, me, project_id=world.project.id))
        except DomainError as error:
            outcomes.append(error)
        except Exception as error:  # anything else would be a 500
            outcomes.append(("crash", error))

    threads = [threading.Thread(target=start) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(outcomes) == 6
    assert all(isinstance(o, TimeEntry | VersionConflict) for o in outcomes), outcomes
    assert any(isinstance(o, TimeEntry) for o in outcomes)
    assert running(world, world.member) == 1


def test_a_manager_may_stop_a_led_members_timer_but_slt_may_not(world: World) -> None:
    f.entry(world.engine, world.member, world.project, world.system.clock.now(), None)
    f.entry(world.engine, world.other, world.project, world.system.clock.now(), None)
    world.system.clock.advance(minutes=5)
    with pytest.raises(Forbidden), world.uow(world.slt) as uow:
        stop_timer(uow, world.viewer(world.slt), user_id=world.member.id)
    with pytest.raises(NotFound), world.uow(world.manager) as uow:
        stop_timer(uow, world.viewer(world.manager), user_id=world.other.id)
    with world.uow(world.manager) as uow:
        entry = stop_timer(uow, world.viewer(world.manager), user_id=world.member.id)
    assert entry.user_id == world.member.id and entry.duration_s == 300
    assert running(world, world.member) == 0 and running(world, world.other) == 1


def test_auto_stop_ends_timers_at_24_hours_with_the_suffix_and_tells_the_owner(
    world: World,
) -> None:
    now = world.system.clock.now()
    old = f.entry(world.engine, world.member, world.project, now - timedelta(hours=25), None)
    young = f.entry(world.engine, world.other, world.project, now - timedelta(hours=23), None)
    with world.uow(None) as uow:
        stopped = auto_stop_long_timers(uow)
    assert [e.id for e in stopped] == [old.id]
    row = world.get(TimeEntry, old.id)
    assert row.ended_at == old.started_at + timedelta(hours=24) and row.duration_s == 86400
    assert row.note == "[auto-stopped]" and row.bill_rate == 120.0
    assert world.get(TimeEntry, young.id).ended_at is None
    assert world.count(Notification, Notification.user_id == world.member.id) == 1
    kinds = [type(e).__name__ for e in world.events]
    assert kinds == ["NotificationCreated", "TimeEntryStopped"]
    assert isinstance(world.events[1], TimeEntryStopped) and world.events[1].auto
    with world.uow(None) as uow:
        assert auto_stop_long_timers(uow) == []


def test_long_timer_notices_are_raised_once_per_entry(world: World) -> None:
    now = world.system.clock.now()
    long = f.entry(world.engine, world.member, world.project, now - timedelta(hours=11), None)
    f.entry(world.engine, world.other, world.project, now - timedelta(hours=9), None)
    with world.uow(None) as uow:
        [notice] = long_timer_notices(uow)
    assert (notice.user_id, notice.dedupe_key) == (world.member.id, f"long_timer:{long.id}")
    assert "10 hours" in notice.title
    world.system.clock.advance(minutes=30)  # the 9 h timer is still under 10 h
    with world.uow(None) as uow:
        assert long_timer_notices(uow) == []
    assert world.count(Notification) == 1


def test_events_are_published_only_after_commit(world: World) -> None:
    seen: list[int] = []

    def committed(event: object) -> None:
        assert isinstance(event, TimeEntryStarted)
        with Session(world.engine) as session:  # a fresh connection sees the row
            seen.append(session.get(TimeEntry, event.entry_id) is not None)

    world.system.hub.subscribe(committed)
    with pytest.raises(RuntimeError), world.uow(world.member) as uow:
        start_timer(uow, world.viewer(world.member), project_id=world.project.id)
        raise RuntimeError("the request failed after the service ran")
    assert world.events == [] and seen == [] and running(world, world.member) == 0
    with world.uow(world.member) as uow:
        start_timer(uow, world.viewer(world.member), project_id=world.project.id)
        assert world.events == []  # queued, not yet published
    assert seen == [True] and uow.seq == world.events[0].seq


def test_stop_events_place_the_entry_on_its_owners_team(world: World) -> None:
    """Own stop (the viewer's team, no reload) and a manager's stop (the member's team) land
    on the same dashboards."""
    me = world.viewer(world.member)
    expected_team = world.member.team_id
    with world.uow(world.member) as uow:
        start_timer(uow, me, project_id=world.project.id)
    with world.uow(world.member) as uow:
        own = stop_timer(uow, me)
    with world.uow(world.member) as uow:
        start_timer(uow, me, project_id=world.project.id)
    with world.uow(world.manager) as uow:
        theirs = stop_timer(uow, world.viewer(world.manager), user_id=world.member.id)
    stops = [e for e in world.events if isinstance(e, TimeEntryStopped)]
    assert [e.entry_id for e in stops] == [own.id, theirs.id]
    for event in stops:
        assert (event.entry.user_id, event.entry.team_id) == (world.member.id, expected_team)
        assert (event.entry.client_id, event.entry.billing_model) == (world.client.id, "t_and_m")
    assert stops[1].actor_id == world.manager.id


def test_the_long_timer_rules_find_running_timers_among_a_long_history(world: World) -> None:
    """The rules look up running timers by the one-running index, whatever the history holds."""
    now = world.system.clock.now()
    for day in range(1, 40):
        f.entry(world.engine, world.member, world.project, now - timedelta(days=day), 1.0)
    running_long = f.entry(
        world.engine, world.other, world.project, now - timedelta(hours=30), None
    )
    with world.uow(None) as uow:
        stopped = auto_stop_long_timers(uow)
    assert [e.id for e in stopped] == [running_long.id]
    assert running(world, world.other) == 0
