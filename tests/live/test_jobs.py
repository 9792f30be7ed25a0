"""The scheduler's rules, called directly with a fake clock, on SQLite and PostgreSQL: each
notification raised once and to the right people, nothing below a threshold, exactly the
missing weeks frozen, the week rolling over once; and their wiring into `start_live`.

The world: team Delivery (lead: manager) with member; client Acme (account lead: lead, who
is another manager); slt; admin; a deactivated admin, who hears nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from tests import factories as f
from tests.conftest import make_system
from workshub.app import System, start_live, stop_live
from workshub.clock import FakeClock
from workshub.domain.dashboards.keys import DashboardKey
from workshub.domain.events import (
    DomainEvent,
    NotificationCreated,
    NotificationCreatedPush,
    TimeEntryStopped,
)
from workshub.domain.models import (
    Client,
    ClientHealthSnapshot,
    ClientPulse,
    IdempotencyRecord,
    Notification,
    Project,
    TimeEntry,
    User,
)
from workshub.live.jobs import (
    WeekRollover,
    auto_stop_timers,
    budget_thresholds,
    clients_turning_red,
    default_jobs,
    freeze_weeks,
    long_timers,
    purge_idempotency_records,
)
from workshub.live.store import LiveStore

WEEK = date(2026, 11, 23)  # the clock's week: Wed 25 Nov 2026, 10:00 UTC


@dataclass
class World:
    system: System
    clock: FakeClock
    events: list[DomainEvent]
    manager: User
    member: User
    lead: User
    slt: User
    admin: User
    gone_admin: User
    acme: Client

    @property
    def engine(self) -> Engine:
        return self.system.engine

    @property
    def audience(self) -> set[int | None]:
        """Who hears of Acme's budgets and health."""
        return {self.lead.id, self.slt.id, self.admin.id}

    def project(self, name: str, **fields: Any) -> Project:
        fields.setdefault("client_id", self.acme.id)
        return f.project(self.engine, name, **fields)

    def log(self, project: Project, started_at: datetime, hours: float | None) -> TimeEntry:
        return f.entry(self.engine, self.member, project, started_at, hours)

    def notified(self, dedupe_key: str) -> set[int]:
        with Session(self.engine) as session:
            rows = session.exec(
                select(Notification.user_id).where(Notification.dedupe_key == dedupe_key)
            ).all()
        return set(rows)

    def notification_count(self) -> int:
        with Session(self.engine) as session:
            return len(session.exec(select(Notification.id)).all())


def build_world(engine: Engine, clock: FakeClock, tmp_path: Path, tz: str = "UTC") -> World:
    system = make_system(engine, clock, tmp_path, tz=tz)
    events: list[DomainEvent] = []
    system.hub.subscribe(events.append)
    team = f.team(engine, "Delivery")
    manager = f.user(engine, "manager@x.test", role="manager", team_id=team.id)
    f.set_lead(engine, team, manager)
    member = f.user(engine, "member@x.test", team_id=team.id, bill_rate=100)
    lead = f.user(engine, "lead@x.test", role="manager")
    slt = f.user(engine, "slt@x.test", role="slt", weekly_capacity_hours=0)
    admin = f.user(engine, "admin@x.test", role="admin", weekly_capacity_hours=0)
    gone = f.user(engine, "gone@x.test", role="admin", is_active=False)
    acme = f.client(engine, "Acme", account_lead_id=lead.id, target_rate=100)
    return World(system, clock, events, manager, member, lead, slt, admin, gone, acme)


@pytest.fixture
def world(any_engine: Engine, clock: FakeClock, tmp_path: Path) -> World:
    return build_world(any_engine, clock, tmp_path)


def at(month: int, day: int, hour: int = 9) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


# --- timers -------------------------------------------------------------------------------------


async def test_a_timer_over_ten_hours_is_told_to_its_owner_once(world: World) -> None:
    project = world.project("Build")
    running = world.log(project, at(11, 24, 23), None)  # 11 h by the clock
    world.log(project, at(11, 24, 20), 2.0)  # started 14 h ago, but stopped: not a timer
    raised = await long_timers(world.system)
    assert [(n.user_id, n.dedupe_key, n.kind) for n in raised] == [
        (world.member.id, f"long_timer:{running.id}", "long_timer")
    ]
    assert await long_timers(world.system) == []
    assert await auto_stop_timers(world.system) == []  # not 24 h yet
    created = [e for e in world.events if isinstance(e, NotificationCreated)]
    assert [(e.user_id, e.request_id) for e in created] == [(world.member.id, "job:long_timers")]


async def test_a_timer_is_told_at_ten_hours_not_before(world: World) -> None:
    world.log(world.project("Build"), datetime(2026, 11, 25, 0, 1, tzinfo=UTC), None)  # 9:59
    assert await long_timers(world.system) == []
    world.clock.advance(minutes=1)  # 10 h now
    assert len(await long_timers(world.system)) == 1


async def test_a_timer_running_a_day_is_stopped_at_24_hours_and_told(world: World) -> None:
    running = world.log(world.project("Build"), at(11, 24, 8), None)
    world.clock.advance(hours=3)  # 25 h after its start
    assert await auto_stop_timers(world.system) == [running.id]
    with Session(world.engine) as session:
        entry = session.get(TimeEntry, running.id)
        assert entry is not None
        assert entry.ended_at == at(11, 25, 8) and entry.duration_s == 86400
        assert entry.note.endswith("[auto-stopped]")
    assert world.notified(f"auto_stopped:{running.id}") == {world.member.id}
    stopped = [e for e in world.events if isinstance(e, TimeEntryStopped)]
    assert [(e.entry_id, e.auto, e.request_id) for e in stopped] == [
        (running.id, True, "job:auto_stop_timers")
    ]
    assert await auto_stop_timers(world.system) == []


# --- budgets ----------------------------------------------------------------------------------


async def test_budget_crossings_are_told_once_per_threshold_to_lead_slt_and_admin(
    world: World,
) -> None:
    build = world.project("Build", budget_hours=10.0, starts_on=date(2026, 11, 1))
    world.log(build, at(10, 30), 5.0)  # before starts_on: not counted
    world.log(build, at(11, 2), 7.0)
    assert await budget_thresholds(world.system) == []  # 70 %
    world.log(build, at(11, 24), 1.0)  # 80 %
    raised = await budget_thresholds(world.system)
    assert {n.user_id for n in raised} == world.audience
    assert world.notified(f"budget:{build.id}:80") == world.audience
    assert {n.link for n in raised} == {f"/clients/{world.acme.id}"}
    assert await budget_thresholds(world.system) == []
    world.log(build, at(11, 25, 8), None)  # running 2 h by the clock: 100 %
    raised = await budget_thresholds(world.system)
    assert world.notified(f"budget:{build.id}:100") == world.audience
    assert len(raised) == 3 and "100%" in raised[0].title
    assert await budget_thresholds(world.system) == []
    created = [e for e in world.events if isinstance(e, NotificationCreated)]
    assert len(created) == 6 and {e.request_id for e in created} == {"job:budget_thresholds"}


async def test_a_jump_past_both_thresholds_tells_only_the_higher(world: World) -> None:
    build = world.project("Build", budget_hours=10.0)
    world.log(build, at(11, 2), 12.0)
    await budget_thresholds(world.system)
    assert world.notified(f"budget:{build.id}:100") == world.audience
    assert world.notified(f"budget:{build.id}:80") == set()


async def test_monthly_budgets_are_told_once_a_month(world: World) -> None:
    care = world.project(
        "Care", billing_model="retainer", budget_hours=10.0, budget_period="monthly"
    )
    world.log(care, at(10, 28), 9.0)  # last month: not this month's
    world.log(care, at(11, 3), 8.5)
    raised = await budget_thresholds(world.system)
    assert world.notified(f"budget:{care.id}:80:2026-11") == world.audience
    assert "this month" in raised[0].title
    world.clock.set(at(12, 2, 10))
    assert await budget_thresholds(world.system) == []  # December has nothing yet
    world.log(care, at(12, 1), 8.0)
    await budget_thresholds(world.system)
    assert world.notified(f"budget:{care.id}:80:2026-12") == world.audience
    assert await budget_thresholds(world.system) == []


async def test_budget_rules_skip_inactive_people_and_projects_and_reach_internal_ones(
    world: World,
) -> None:
    archived = world.project("Old", budget_hours=1.0, status="archived")
    world.log(archived, at(11, 2), 5.0)
    unbudgeted = world.project("Open")
    world.log(unbudgeted, at(11, 2), 10.0)
    internal = f.project(world.engine, "Tools", billing_model="internal", budget_hours=2.0)
    world.log(internal, at(11, 2), 2.0)
    with Session(world.engine) as session:  # the account lead leaves
        lead = session.get(User, world.lead.id)
        assert lead is not None
        lead.is_active = False
        session.add(lead)
        session.commit()
    raised = await budget_thresholds(world.system)
    assert [(n.dedupe_key, n.link) for n in raised] == [
        (f"budget:{internal.id}:100", "/leadership"),
        (f"budget:{internal.id}:100", "/leadership"),
    ]
    assert {n.user_id for n in raised} == {world.slt.id, world.admin.id}


# --- clients turning red ----------------------------------------------------------------------


def set_pulse(world: World, client: Client, rating: str, week: date = WEEK) -> None:
    with Session(world.engine) as session:
        session.add(ClientPulse(client_id=client.id, week=week, rating=rating, author_id=None))
        session.commit()


async def test_a_client_turning_red_is_told_once_a_week(world: World) -> None:
    calm = f.client(world.engine, "Calm", account_lead_id=world.manager.id)
    assert await clients_turning_red(world.system) == []  # nobody is red
    set_pulse(world, world.acme, "red")  # a red pulse for this very week makes it red
    set_pulse(world, calm, "amber")
    raised = await clients_turning_red(world.system)
    assert {n.user_id for n in raised} == world.audience
    assert world.notified(f"client_red:{world.acme.id}:2026-11-23") == world.audience
    assert raised[0].link == f"/clients/{world.acme.id}" and "Acme" in raised[0].title
    assert await clients_turning_red(world.system) == []
    world.clock.set(at(12, 1, 10))  # red again the next week: told again, once
    set_pulse(world, world.acme, "red", week=date(2026, 11, 30))
    assert len(await clients_turning_red(world.system)) == 3
    assert world.notified(f"client_red:{world.acme.id}:2026-11-30") == world.audience
    assert await clients_turning_red(world.system) == []
    assert world.notification_count() == 6


async def test_red_clients_come_from_the_cached_org_snapshot(world: World) -> None:
    system = world.system
    key = DashboardKey("client_health", "org", 0, WEEK)
    cached = await system.store.get(key)  # before the red pulse; no hub: it stays cached
    try:
        assert [c["rag"] for c in cached.data["clients"]] == ["green"]
        set_pulse(world, world.acme, "red")
        assert await clients_turning_red(system) == []  # the cache says green
        system.store.invalidate(key)
        await system.store.wait_idle()
        assert len(await clients_turning_red(system)) == 3
    finally:
        await system.store.close()


# --- freezing ---------------------------------------------------------------------------------


def frozen(engine: Engine) -> dict[date, datetime]:
    with Session(engine) as session:
        rows = session.exec(select(ClientHealthSnapshot)).all()
    return {row.week: row.computed_at for row in rows}


async def test_freezing_writes_exactly_the_missing_past_weeks(world: World) -> None:
    build = world.project("Build")
    world.log(build, at(10, 6), 3.0)  # the week of 5 Oct: the earliest entry
    world.log(build, at(11, 24), 3.0)  # this week: live, not frozen
    weeks = [date(2026, 10, 5) + timedelta(weeks=k) for k in range(7)]  # up to 16 Nov
    assert await freeze_weeks(world.system) == 7
    first = frozen(world.engine)
    assert sorted(first) == weeks
    missing = [date(2026, 10, 19), date(2026, 11, 9)]
    with Session(world.engine) as session:
        session.execute(
            delete(ClientHealthSnapshot).where(col(ClientHealthSnapshot.week).in_(missing))
        )
        session.commit()
    world.clock.advance(hours=1)
    assert await freeze_weeks(world.system) == 2
    second = frozen(world.engine)
    assert sorted(second) == weeks
    assert [w for w in weeks if second[w] != first[w]] == missing
    assert await freeze_weeks(world.system) == 0


async def test_freezing_picks_up_the_week_that_just_closed(world: World) -> None:
    world.log(world.project("Build"), at(11, 17), 3.0)
    world.clock.set(at(11, 30, 23))  # Monday: last week is not frozen until Tuesday 00:00
    assert await freeze_weeks(world.system) == 1  # the week of 16 Nov
    world.clock.set(at(12, 1, 0))
    assert await freeze_weeks(world.system) == 1
    assert sorted(frozen(world.engine)) == [date(2026, 11, 16), WEEK]


# --- idempotency records ----------------------------------------------------------------------


def remember_key(world: World, key: str, *, hours_ago: float) -> None:
    """An idempotency record of member's, written `hours_ago` by the fake clock."""
    with Session(world.engine) as session:
        session.add(
            IdempotencyRecord(
                actor_id=world.member.id or 0,
                key=key,
                method="POST",
                path="/api/v1/timer/start",
                body_sha256="0" * 64,
                status=201,
                body="{}",
                created_at=world.clock.now() - timedelta(hours=hours_ago),
            )
        )
        session.commit()


def remembered_keys(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return sorted(session.exec(select(IdempotencyRecord.key)).all())


async def test_idempotency_records_are_kept_24_hours_then_purged(world: World) -> None:
    remember_key(world, "fresh", hours_ago=0)
    remember_key(world, "a day less an hour", hours_ago=23)
    remember_key(world, "a day and an hour", hours_ago=25)
    remember_key(world, "a week", hours_ago=24 * 7)

    assert await purge_idempotency_records(world.system) == 2
    assert remembered_keys(world.engine) == ["a day less an hour", "fresh"]
    assert await purge_idempotency_records(world.system) == 0

    world.clock.advance(hours=2)  # the injected clock decides, not the wall clock
    assert await purge_idempotency_records(world.system) == 1
    assert remembered_keys(world.engine) == ["fresh"]


# --- notifications reach the pages ------------------------------------------------------------


async def test_a_jobs_notification_is_pushed_to_the_stores_listeners(world: World) -> None:
    system = world.system
    system.hub.attach_loop(asyncio.get_running_loop())
    detach = system.store.attach(system.hub)
    pushes: list[Any] = []
    system.store.subscribe_all(pushes.append)
    try:
        running = world.log(world.project("Build"), at(11, 24, 23), None)
        (raised,) = await long_timers(system)
        await asyncio.sleep(0)
        await system.store.wait_idle()
    finally:
        detach()
        await system.store.close()
        system.hub.attach_loop(None)
    notes = [p for p in pushes if isinstance(p, NotificationCreatedPush)]
    assert len(notes) == 1
    (push,) = notes
    assert push.name == "dashboard.notification_created" and push.user_id == world.member.id
    assert push.notification == {
        "id": raised.id,
        "kind": "long_timer",
        "title": raised.title,
        "body": raised.body,
        "link": "/today",
        "created_at": "2026-11-25T10:00:00Z",
        "read_at": None,
    }
    assert f"long_timer:{running.id}" == raised.dedupe_key


# --- the week rolling over --------------------------------------------------------------------


class Counting:
    def __init__(self) -> None:
        self.calls: list[DashboardKey] = []

    def __call__(self, key: DashboardKey, now: datetime) -> dict[str, Any]:
        self.calls.append(key)
        return {"now": now.isoformat()}


@pytest.fixture
async def counted(world: World) -> AsyncIterator[tuple[World, Counting]]:
    compute = Counting()
    world.system.store = LiveStore(compute, clock=world.clock, tz=world.system.tz)
    yield world, compute
    await world.system.store.close()


def key(text: str) -> DashboardKey:
    return DashboardKey.parse(text)


async def test_the_week_rolls_over_once_at_local_monday(
    engine: Engine, clock: FakeClock, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock.set(datetime(2026, 11, 29, 22, 50, tzinfo=UTC))  # Sunday 23:50 in Berlin
    world = build_world(engine, clock, tmp_path, tz="Europe/Berlin")
    compute = Counting()
    store = world.system.store = LiveStore(compute, clock=clock, tz=world.system.tz)
    try:
        watched = [key("metrics:org:0:2026-11-23"), key("today:user:1")]
        for k in watched:
            store.subscribe(k, lambda _update: None)
        await store.get(key("client_health:org:0:2026-11-16"))  # cached, nobody watches
        await store.wait_idle()
        compute.calls.clear()
        rollover = WeekRollover(world.system)
        clock.set(datetime(2026, 11, 29, 22, 59, tzinfo=UTC))
        assert await rollover() == []
        clock.set(datetime(2026, 11, 29, 23, 1, tzinfo=UTC))  # Monday 00:01 in Berlin
        with caplog.at_level(logging.INFO, logger="workshub.live.jobs"):
            assert await rollover() == [key("metrics:org:0:2026-11-30")]
            await store.wait_idle()
            assert await rollover() == []
        assert sorted(map(str, compute.calls)) == [
            "client_health:org:0:2026-11-16",
            "metrics:org:0:2026-11-23",
            "metrics:org:0:2026-11-30",
            "today:user:1",
        ]
        assert len([r for r in caplog.records if "began" in r.message]) == 1
        assert store.get_cached(key("metrics:org:0:2026-11-30")) is not None
    finally:
        await store.close()


async def test_start_up_is_not_a_rollover(counted: tuple[World, Counting]) -> None:
    world, compute = counted
    world.system.store.subscribe(key("metrics:org:0:2026-11-23"), lambda _update: None)
    await world.system.store.wait_idle()
    compute.calls.clear()
    assert await WeekRollover(world.system)() == []
    assert compute.calls == []


async def test_freezing_recomputes_cached_client_keys(counted: tuple[World, Counting]) -> None:
    world, compute = counted
    store = world.system.store
    world.log(world.project("Build"), at(11, 17), 3.0)
    for text in ("client_health:org:0:2026-11-16", "metrics:org:0:2026-11-16"):
        await store.get(key(text))
    compute.calls.clear()
    assert await freeze_weeks(world.system) == 1
    await store.wait_idle()
    assert compute.calls == [key("client_health:org:0:2026-11-16")]


# --- wiring -----------------------------------------------------------------------------------


def test_default_jobs_are_every_rule_with_its_interval(world: World) -> None:
    jobs = {job.name: job for job in default_jobs(world.system)}
    assert {name: job.seconds for name, job in jobs.items()} == {
        "rules.auto_stop_timers": 60,
        "rules.long_timers": 60,
        "rules.budget_thresholds": 300,
        "rules.client_red": 300,
        "health.freeze_weeks": 3600,
        "live.week_rollover": 60,
        "idempotency.purge": 3600,
        "accounts.token_uses": 5,
    }
    assert [name for name, job in jobs.items() if job.run_now] == ["health.freeze_weeks"]


async def test_start_live_schedules_the_rules_and_freezes_at_once(
    engine: Engine, clock: FakeClock, tmp_path: Path
) -> None:
    world = build_world(engine, clock, tmp_path)
    world.log(world.project("Build"), at(11, 17), 3.0)
    await start_live(world.system)
    try:
        scheduler = world.system.scheduler
        assert scheduler is not None
        names = {job.id for job in scheduler.get_jobs()}
        assert {job.name for job in default_jobs(world.system)} <= names
        for _ in range(200):  # the freeze runs at start-up, in a worker thread
            stats = {s["name"]: s for s in scheduler.job_stats()}
            if stats["health.freeze_weeks"]["runs"]:
                break
            await asyncio.sleep(0.02)
        assert stats["health.freeze_weeks"]["runs"] == 1
        assert stats["health.freeze_weeks"]["last_error"] is None
    finally:
        await stop_live(world.system)
    assert sorted(frozen(engine)) == [date(2026, 11, 16)]
