"""The cached path (ProjectHistory) and the uncached path give identical snapshots, through a
randomised sequence of writes made by the real services (so the real events invalidate), on
SQLite and PostgreSQL — entry writes, time off, and admin edits of projects, clients, people
and teams alike; and the cache reads after one write only what that write touched."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from tests import factories as f
from tests.conftest import make_system
from workshub.app import System
from workshub.clock import FakeClock
from workshub.domain.dashboards.compute import compute_snapshot
from workshub.domain.dashboards.keys import DashboardKey
from workshub.domain.errors import DomainError
from workshub.domain.finance import _project_periods, revenue_for_period
from workshub.domain.models import Project, TimeEntry, TimeOff, User
from workshub.domain.project_history import week_owner
from workshub.domain.scope import load_viewer
from workshub.domain.services.admin import (
    create_client,
    create_project,
    create_team,
    create_user,
    update_client,
    update_project,
    update_team,
    update_user,
)
from workshub.domain.services.alerts import budget_alerts
from workshub.domain.services.entries import create_entry, delete_entry, update_entry
from workshub.domain.services.time_off import add_time_off, delete_time_off
from workshub.domain.services.timer import start_timer, stop_timer
from workshub.domain.timeutil import local_date, local_midnight, week_start
from workshub.domain.uow import UnitOfWork

# Saturday evening: a random walk of the clock soon crosses into the next week.
START = datetime(2026, 11, 21, 18, tzinfo=UTC)
HISTORY_WEEKS = 10


@dataclass
class Org:
    system: System
    clock: FakeClock
    people: list[User]
    projects: list[Project]
    team_ids: list[int]
    client_id: int
    others: list[User] = field(default_factory=list)  # random writes only edit their entries

    @property
    def engine(self) -> Engine:
        return self.system.engine

    def now(self) -> datetime:
        return self.clock.now()

    def monday(self, weeks_back: int = 0) -> date:
        today = local_date(self.now(), self.system.tz)
        return week_start(today) - timedelta(weeks=weeks_back)


def build_org(system: System, clock: FakeClock, rng: random.Random) -> Org:
    """Two teams, two clients, every billing model, projects starting long ago, a few weeks
    ago and this week, and ten weeks of history (some of it before a project's start)."""
    engine = system.engine
    teams = [f.team(engine, "A"), f.team(engine, "B")]
    people = [
        f.user(engine, f"p{i}@x.test", team_id=teams[i % 2].id, bill_rate=60.0 + 10 * i)
        for i in range(4)
    ]
    acme = f.client(engine, "Acme", target_rate=100.0)
    globex = f.client(engine, "Globex", target_rate=80.0)
    monday = week_start(local_date(clock.now(), system.tz))
    terms: list[dict[str, Any]] = [
        dict(name="Build", client_id=acme.id, billing_model="t_and_m", bill_rate=100.0,
             budget_hours=150.0, starts_on=monday - timedelta(weeks=12),
             ends_on=monday + timedelta(weeks=8)),
        dict(name="Care", client_id=acme.id, billing_model="retainer", fee=3000.0,
             budget_hours=26.0, budget_period="monthly", starts_on=date(2025, 1, 1)),
        dict(name="Fixed", client_id=acme.id, billing_model="fixed_fee", fee=10000.0,
             budget_hours=90.0, starts_on=monday - timedelta(weeks=8)),
        dict(name="Late", client_id=acme.id, billing_model="fixed_fee", fee=5000.0,
             budget_hours=30.0, starts_on=monday - timedelta(weeks=2, days=-2)),
        dict(name="Fresh", client_id=globex.id, billing_model="t_and_m", budget_hours=40.0,
             starts_on=monday + timedelta(days=1)),
        dict(name="Ops", client_id=globex.id, billing_model="t_and_m"),
        dict(name="Audit", client_id=globex.id, billing_model="fixed_fee", fee=3000.0,
             budget_hours=20.0, starts_on=monday - timedelta(weeks=3)),
        dict(name="Admin", billing_model="internal", default_billable=False),
    ]  # fmt: skip
    projects = [f.project(engine, **fields) for fields in terms]
    lo = local_midnight(monday - timedelta(weeks=HISTORY_WEEKS), system.tz)
    span = (clock.now() - lo).total_seconds() - 8 * 3600
    for _ in range(120):
        person, project = rng.choice(people), rng.choice(projects)
        started = lo + timedelta(seconds=rng.uniform(0, span))
        f.entry(engine, person, project, started, rng.choice([0.25, 1.0, 2.5, 7.75]),
                bill_rate=project.bill_rate or person.bill_rate)  # fmt: skip
    return Org(system, clock, people, projects, [t.id for t in teams if t.id], acme.id or 0)


@pytest.fixture
def make_org(any_engine: Engine, tmp_path: Path) -> Iterator[Any]:
    def make(seed: int, tz: str = "UTC") -> Org:
        clock = FakeClock(START)
        system = make_system(any_engine, clock, tmp_path, tz=tz)
        return build_org(system, clock, random.Random(seed))

    yield make


def keys(org: Org) -> list[DashboardKey]:
    team = org.team_ids[0]
    found = []
    for back in (0, 1, 3):
        week = org.monday(back)
        found += [
            DashboardKey("metrics", "org", 0, week),
            DashboardKey("metrics", "team", team, week),
            DashboardKey("client_data", "org", 0, week),
            DashboardKey("client_health", "org", 0, week),
        ]
    return [
        *found,
        DashboardKey("client_history", "client", org.client_id, org.monday()),
        DashboardKey("utilization_trend", "org", 0, org.monday()),
        DashboardKey("utilization_trend", "team", team, org.monday(1)),
        DashboardKey("team_data", "team", team, org.monday()),
    ]


def snapshot(org: Org, key: DashboardKey, *, cached: bool) -> dict[str, Any]:
    now = org.now()
    reader = org.system.history.reader(now) if cached else None
    with Session(org.engine) as session:
        return compute_snapshot(session, key, now=now, tz=org.system.tz, history=reader)


def assert_same(org: Org, step: str) -> None:
    for key in keys(org):
        plain = snapshot(org, key, cached=False)
        assert snapshot(org, key, cached=True) == plain, f"{key} after {step}"


@contextmanager
def uow(org: Org, person: User) -> Iterator[tuple[UnitOfWork, Any]]:
    with UnitOfWork(org.engine, org.system.hub, org.clock, actor_id=person.id) as work:
        viewer = load_viewer(work.session, person.id or 0)
        yield work, viewer


def entries(org: Org, *, stopped: bool) -> list[TimeEntry]:
    with Session(org.engine) as session:
        query = select(TimeEntry).where(col(TimeEntry.ended_at).is_not(None) if stopped else True)
        return list(session.exec(query.order_by(col(TimeEntry.id))).all())


def random_write(org: Org, rng: random.Random) -> str:
    """One write through the services (or the clock moving on); returns what it was."""
    now, person = org.now(), rng.choice(org.people)
    owner = {p.id: p for p in [*org.people, *org.others]}
    roll = rng.random()
    if roll < 0.2:
        project = rng.choice(org.projects)
        with uow(org, person) as (work, viewer):
            start_timer(work, viewer, project_id=project.id or 0)
        return f"start {project.name}"
    if roll < 0.35:
        try:
            with uow(org, person) as (work, viewer):
                stop_timer(work, viewer)
        except DomainError:
            return "stop (none running)"
        return "stop"
    if roll < 0.55:
        project = rng.choice(org.projects)
        started = now - timedelta(hours=rng.uniform(1, 24 * 7 * (HISTORY_WEEKS + 3)))
        ended = min(now, started + timedelta(hours=rng.choice([0.5, 1.25, 3.0, 9.5])))
        with uow(org, person) as (work, viewer):
            create_entry(work, viewer, project_id=project.id or 0, started_at=started,
                         ended_at=ended, billable=rng.random() < 0.7)  # fmt: skip
        return f"create {project.name} at {started:%a %d %b %H:%M}"
    if roll < 0.75:
        row = rng.choice(entries(org, stopped=True))
        changes: dict[str, Any] = {}
        what = rng.choice(["move", "length", "project", "billable"])
        if what == "move":
            started = max(
                row.started_at - timedelta(days=rng.uniform(-10, 20)), now - timedelta(days=120)
            )
            started = min(started, now - timedelta(hours=2))
            changes = dict(started_at=started, ended_at=started + timedelta(hours=1))
        elif what == "length":
            end = min(now, row.started_at + timedelta(hours=rng.uniform(0.1, 12)))
            changes = dict(ended_at=end)
        elif what == "project":
            changes = dict(project_id=rng.choice(org.projects).id)
        else:
            changes = dict(billable=not row.billable)
        with uow(org, owner[row.user_id]) as (work, viewer):
            update_entry(work, viewer, entry_id=row.id or 0, version=row.version, **changes)
        return f"{what} entry {row.id}"
    if roll < 0.85:
        row = rng.choice(entries(org, stopped=False))
        with uow(org, owner[row.user_id]) as (work, viewer):
            delete_entry(work, viewer, entry_id=row.id or 0, version=row.version)
        return f"delete entry {row.id}"
    org.clock.advance(hours=rng.choice([0.1, 1.5, 7, 30]))
    return f"clock to {org.now():%a %d %b %H:%M}"


@pytest.mark.parametrize(("seed", "tz"), [(1, "UTC"), (2, "Europe/Berlin"), (3, "UTC")])
def test_random_writes_give_identical_snapshots_cached_and_not(make_org, seed, tz) -> None:
    rng = random.Random(seed)
    org = make_org(seed, tz)
    assert_same(org, "the seed")
    for step in range(40):
        done = random_write(org, rng)
        assert_same(org, f"step {step}: {done}")
    history = org.system.history
    for stats in (history.projects.stats(), history.people.stats()):
        assert stats["hits"] > stats["misses"] > 0 and stats["drops"] > 0


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(*args: Any) -> None:  # (conn, cursor, statement, parameters, context, many)
        seen.append(args[2])

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def misses_after(org: Org, key: DashboardKey) -> tuple[int, list[str]]:
    before = org.system.history.projects.stats()["misses"]
    with statements(org.engine) as seen:
        snapshot(org, key, cached=True)
    return org.system.history.projects.stats()["misses"] - before, seen


def test_after_one_write_only_what_it_touched_is_read_again(make_org) -> None:
    org = make_org(7)
    org.clock.advance(hours=40)  # Monday 10:00: a fresh week
    key = DashboardKey("client_data", "org", 0, org.monday())
    snapshot(org, key, cached=True)
    person, fixed = org.people[0], org.projects[2]

    with uow(org, person) as (work, viewer):  # a timer starts: nothing to read again
        start_timer(work, viewer, project_id=fixed.id or 0)
    org.clock.advance(hours=1)
    missed, seen = misses_after(org, key)
    assert missed == 0
    (running,) = [s for s in seen if "time_entry" in s]  # no sums read: the running timers only
    assert "ended_at IS NULL" in running

    with uow(org, person) as (work, viewer):  # it stops: that project's week, nothing older
        stop_timer(work, viewer)
    missed, seen = misses_after(org, key)
    assert missed == 1
    assert not any("win" in s for s in seen)

    with uow(org, person) as (work, viewer):  # an entry three weeks ago: that project only
        create_entry(work, viewer, project_id=fixed.id or 0,
                     started_at=org.now() - timedelta(weeks=3),
                     ended_at=org.now() - timedelta(weeks=3, hours=-2))  # fmt: skip
    missed, seen = misses_after(org, key)
    assert missed == 1
    assert snapshot(org, key, cached=True) == snapshot(org, key, cached=False)


def test_concurrent_recomputes_never_keep_sums_a_write_overtook(make_org) -> None:
    """Computes in worker threads while the past is edited: whatever interleaving, the
    cache ends up agreeing with the database."""
    org = make_org(11)
    rng = random.Random(11)
    key_list = keys(org)
    stop = threading.Event()
    failures: list[BaseException] = []

    def compute_forever() -> None:
        try:
            while not stop.is_set():
                snapshot(org, rng.choice(key_list), cached=True)
        except BaseException as error:  # surfaced below
            failures.append(error)

    workers = [threading.Thread(target=compute_forever) for _ in range(3)]
    for worker in workers:
        worker.start()
    try:
        writes = random.Random(12)
        for _ in range(25):
            random_write(org, writes)
    finally:
        stop.set()
        for worker in workers:
            worker.join()
    assert not failures
    assert_same(org, "the concurrent writes")


def test_skipping_untouched_projects_changes_no_revenue_bit(make_org) -> None:
    """Revenue sums only the projects that can earn in the period; the others add exact
    zeros, so the sums equal those over every project to the last bit."""
    org = make_org(5)
    rng = random.Random(5)
    for _ in range(15):
        random_write(org, rng)
    now, tz = org.now(), org.system.tz
    earned = []
    with Session(org.engine) as session:
        team = frozenset(p.id for p in org.people if p.team_id == org.team_ids[0] and p.id)
        for user_ids in (None, team):
            for first in (org.monday(), org.monday(2)):
                last = first + timedelta(days=6)
                got = revenue_for_period(
                    session, first=first, last=last, now=now, tz=tz, user_ids=user_ids
                )
                revenue = client_hours = 0.0
                for item in _project_periods(
                    session, first=first, last=last, now=now, tz=tz, user_ids=user_ids,
                    history=None, every_project=True,
                ):  # fmt: skip
                    if item.project.client_id is not None:
                        client_hours += item.member_hours
                    if user_ids is None or item.project.billing_model == "t_and_m":
                        revenue += item.revenue
                    elif item.hours > 0:
                        revenue += item.revenue * item.member_hours / item.hours
                assert (got.revenue, got.client_hours) == (revenue, client_hours)
                earned.append(revenue)
    assert all(earned[:2]) and any(earned[2:])  # not a comparison of zeros


# --- reference data (project terms, people, clients) ------------------------------------------


def reference_keys(org: Org) -> list[DashboardKey]:
    """Every key whose computation reads reference rows: people (metrics, team_data, trends,
    today), project terms (revenue) and clients (the org's and one client's)."""
    found = [
        *keys(org),
        *trend_keys(org),
        DashboardKey("team_data", "org", 0, org.monday()),
        DashboardKey("team_data", "team", org.team_ids[1], org.monday(2)),
        DashboardKey("metrics", "team", org.team_ids[1], org.monday()),
        DashboardKey("today", "user", org.people[0].id or 0),
        DashboardKey("today", "user", org.people[1].id or 0),
    ]
    return list(dict.fromkeys(found))


def assert_same_everywhere(org: Org, step: str) -> None:
    for key in reference_keys(org):
        plain = snapshot(org, key, cached=False)
        assert snapshot(org, key, cached=True) == plain, f"{key} after {step}"


def admin_of(org: Org) -> User:
    return f.user(org.engine, "admin@x.test", role="admin", weekly_capacity_hours=0.0)


def reference_edits(org: Org, admin: User) -> list[tuple[str, Any]]:
    """(what, edit): one admin write each, through the services, covering what the cached
    rows hold — budgets, fees, rates, dates and status of projects; a new project; clients;
    people joining, moving team, changing capacity, leaving and being deactivated; teams."""
    build, care, fixed, late = org.projects[0], org.projects[1], org.projects[2], org.projects[3]
    today = local_date(org.now(), org.system.tz)
    added: dict[str, User] = {}

    def project(project_row: Project, **changes: Any) -> Any:
        def edit(work: UnitOfWork, viewer: Any) -> None:
            update_project(work, viewer, project_id=project_row.id or 0, **changes)

        return edit

    def person(name: str, **changes: Any) -> Any:
        def edit(work: UnitOfWork, viewer: Any) -> None:
            target = added.get(name) or next(p for p in org.people if p.email == name)
            update_user(work, viewer, user_id=target.id or 0, **changes)

        return edit

    def join(work: UnitOfWork, viewer: Any) -> None:
        user = create_user(work, viewer, email="new@x.test", name="Newcomer", role="team_member",
                           team_id=org.team_ids[0], weekly_capacity_hours=30.0, bill_rate=95.0,
                           starts_on=org.monday(2))  # fmt: skip
        added["new@x.test"] = user

    def archive(work: UnitOfWork, viewer: Any) -> None:
        update_project(work, viewer, project_id=build.id or 0, status="archived")
        org.projects.remove(build)  # nobody can track on it any more

    def new_project(work: UnitOfWork, viewer: Any) -> None:
        row = create_project(work, viewer, name="Sprint", client_id=org.client_id,
                             billing_model="fixed_fee", fee=8000.0, budget_hours=12.0,
                             starts_on=org.monday(4))  # fmt: skip
        org.projects.append(row)

    def new_client(work: UnitOfWork, viewer: Any) -> None:
        create_client(work, viewer, name="Initech", target_rate=90.0)

    def client_edit(work: UnitOfWork, viewer: Any) -> None:
        update_client(work, viewer, client_id=org.client_id, name="Acme Ltd", target_rate=140.0)

    def team_edit(work: UnitOfWork, viewer: Any) -> None:
        update_team(work, viewer, team_id=org.team_ids[1], name="B renamed")

    def team_new(work: UnitOfWork, viewer: Any) -> None:
        create_team(work, viewer, name="C")

    return [
        ("fixed fee budget cut below its hours", project(fixed, budget_hours=6.0)),
        ("retainer fee raised", project(care, fee=4200.0)),
        ("t&m rate and budget changed", project(build, bill_rate=130.0, budget_hours=20.0)),
        ("late project starts earlier", project(late, starts_on=org.monday(5))),
        ("a fixed fee becomes t&m", project(late, billing_model="t_and_m", fee=None)),
        ("a project is archived", archive),
        ("a new fixed-fee project", new_project),
        ("a member joins team A", join),
        ("the newcomer moves to team B", person("new@x.test", team_id=org.team_ids[1])),
        ("a member's capacity changes", person("p1@x.test", weekly_capacity_hours=20.0)),
        ("a member leaves the team", person("p2@x.test", team_id=None)),
        ("a member's contract ends", person("p3@x.test", ends_on=today - timedelta(days=2))),
        ("a client is renamed and retargeted", client_edit),
        ("a new client", new_client),
        ("a team is renamed", team_edit),
        ("a new team", team_new),
        ("the newcomer is deactivated", person("new@x.test", is_active=False)),
    ]


@pytest.mark.parametrize(("seed", "tz"), [(21, "UTC"), (22, "Europe/Berlin")])
def test_reference_edits_give_identical_snapshots_cached_and_not(make_org, seed, tz) -> None:
    """Each edit lands on a warm cache (every key was just computed through it), with entry
    writes in between so the newcomer and the new project get hours."""
    rng = random.Random(seed)
    org = make_org(seed, tz)
    admin = admin_of(org)
    assert_same_everywhere(org, "the seed")
    edits = reference_edits(org, admin)
    for step, (what, edit) in enumerate(edits):
        with uow(org, admin) as (work, viewer):
            edit(work, viewer)
        assert_same_everywhere(org, f"edit {step}: {what}")
        if step < len(edits) - 1:  # the newcomer may still write: they are active
            done = [random_write(org, rng) for _ in range(3)]
            assert_same_everywhere(org, f"edit {step}, then {done}")
    stats = org.system.history.reference.stats()
    assert stats["clears"] == len(edits) and stats["hits"] > stats["misses"] > 0
    weeks = org.system.history.weeks.stats()
    assert weeks["hits"] > weeks["misses"] > 0


def test_reference_rows_are_read_once_until_a_reference_edit(make_org) -> None:
    org = make_org(23)
    admin = admin_of(org)
    monday = org.monday()
    people_keys = [
        DashboardKey("metrics", "org", 0, monday),
        DashboardKey("client_data", "org", 0, monday),
        DashboardKey("client_history", "client", org.client_id, monday),
    ]

    def reads() -> tuple[int, int]:
        """Statements that read the people, and that read project terms (with clients)."""
        with statements(org.engine) as seen:
            for key in people_keys:
                snapshot(org, key, cached=True)
        users = sum("weekly_capacity_hours" in s for s in seen)
        terms = sum("project.budget_period" in s for s in seen)
        return users, terms

    assert reads() == (1, 2)  # cold: people, earning projects, clients with their projects
    assert reads() == (0, 0)
    with uow(org, org.people[0]) as (work, viewer):  # an entry write keeps them
        start_timer(work, viewer, project_id=org.projects[0].id or 0)
    assert reads() == (0, 0)
    with uow(org, admin) as (work, viewer):
        update_project(work, viewer, project_id=org.projects[2].id or 0, fee=12000.0)
    assert reads() == (1, 2)
    assert reads() == (0, 0)


def test_rows_changed_behind_the_services_back_show_after_clear(make_org) -> None:
    """What `ProjectHistory.clear` is for: an import or a script that writes without events."""
    org = make_org(24)
    key = DashboardKey("metrics", "org", 0, org.monday())
    fixed = org.projects[2]
    assert snapshot(org, key, cached=True) == snapshot(org, key, cached=False)
    with org.engine.begin() as conn:  # the fee is the whole of the fixed fee's revenue
        conn.execute(text("UPDATE project SET fee = fee * 3 WHERE id = :id"), {"id": fixed.id})
    plain = snapshot(org, key, cached=False)
    assert snapshot(org, key, cached=True) != plain  # the cache kept the old terms
    org.system.history.clear()
    assert snapshot(org, key, cached=True) == plain


# --- the utilization trend's closed weeks ----------------------------------------------------


def trend_keys(org: Org) -> list[DashboardKey]:
    """The organisation's and both teams' trends, ending this week and two weeks ago (their
    spans share ten weeks, so each reads totals the other kept)."""
    scopes = [("org", 0), *(("team", team_id) for team_id in org.team_ids)]
    return [
        DashboardKey("utilization_trend", scope, scope_id, org.monday(back))
        for scope, scope_id in scopes
        for back in (0, 2)
    ]


def assert_same_trends(org: Org, step: str) -> None:
    for key in trend_keys(org):
        plain = snapshot(org, key, cached=False)
        assert snapshot(org, key, cached=True) == plain, f"{key} after {step}"


def time_off_write(org: Org, rng: random.Random) -> str:
    """Someone adds time off on a day of the last 14 weeks (weekends too), or removes some."""
    person = rng.choice(org.people)
    with Session(org.engine) as session:
        taken = list(session.exec(select(TimeOff).where(TimeOff.user_id == person.id)).all())
    if taken and rng.random() < 0.4:
        row = rng.choice(taken)
        with uow(org, person) as (work, viewer):
            delete_time_off(work, viewer, time_off_id=row.id or 0)
        return f"time off on {row.day:%a %d %b} removed"
    day = local_date(org.now(), org.system.tz) - timedelta(days=rng.randrange(7 * 14))
    hours = rng.choice([1.5, 4.0, 7.5, 9.0])
    try:
        with uow(org, person) as (work, viewer):
            add_time_off(work, viewer, day=day, hours=hours)
    except DomainError:
        return "time off refused (a full day already)"
    return f"time off {hours:g} h on {day:%a %d %b}"


def add_starter_and_leaver(org: Org) -> None:
    """Someone who started three weeks ago and someone who left five weeks ago (with entries
    before and after, which count only while they were employed): they are counted in some
    trends and not others, and in some of a trend's weeks and not others."""
    team_a = org.team_ids[0]
    starts_on, ends_on = org.monday(3) + timedelta(days=2), org.monday(5) + timedelta(days=3)
    starter = f.user(org.engine, "starter@x.test", team_id=team_a, starts_on=starts_on)
    leaver = f.user(org.engine, "leaver@x.test", team_id=team_a, ends_on=ends_on)
    ops = org.projects[5]
    for person, middle in ((starter, starts_on), (leaver, ends_on)):
        for days in (-4, -1, 0, 1, 6):
            started = local_midnight(middle + timedelta(days=days), org.system.tz)
            f.entry(org.engine, person, ops, started + timedelta(hours=10), 3.0)
        f.time_off(org.engine, person, middle, 4.0)
    org.others += [starter, leaver]


@pytest.mark.parametrize(("seed", "tz"), [(41, "UTC"), (42, "Europe/Berlin")])
def test_time_off_and_entry_writes_give_identical_trends_cached_and_not(make_org, seed, tz) -> None:
    """Time off added and removed in past weeks and this one, entries created, moved and
    deleted across weeks, timers running over a week's end, the clock crossing weeks: the
    trends read from kept weeks are the trends computed afresh."""
    rng = random.Random(seed)
    org = make_org(seed, tz)
    add_starter_and_leaver(org)
    assert_same_trends(org, "the seed")
    for step in range(40):
        done = time_off_write(org, rng) if rng.random() < 0.35 else random_write(org, rng)
        assert_same_trends(org, f"step {step}: {done}")
    weeks = org.system.history.weeks.stats()
    assert weeks["hits"] > weeks["misses"] > 0 and weeks["drops"] > 0


def trend_reads(org: Org, key: DashboardKey) -> tuple[int, int]:
    """(weeks kept, weeks computed) by a cached recompute of `key`, which must equal the
    uncached one."""
    before = org.system.history.weeks.stats()
    got = snapshot(org, key, cached=True)
    after = org.system.history.weeks.stats()
    assert got == snapshot(org, key, cached=False)
    return after["hits"] - before["hits"], after["misses"] - before["misses"]


def test_after_one_write_the_trend_computes_only_the_weeks_it_touched(make_org) -> None:
    """SPEC §9: the update after one write does not grow with history. This week is always
    computed (it is not over); of the eleven past weeks, only one that a write touched."""
    org = make_org(43)
    org.clock.advance(hours=40)  # Monday 10:00: a fresh week
    key = DashboardKey("utilization_trend", "org", 0, org.monday())
    assert trend_reads(org, key) == (0, 11)  # cold: every past week computed, then kept
    person, ops = org.people[0], org.projects[5]

    with uow(org, person) as (work, viewer):
        start_timer(work, viewer, project_id=ops.id or 0)
    org.clock.advance(hours=1)
    assert trend_reads(org, key) == (11, 0)
    with uow(org, person) as (work, viewer):
        stop_timer(work, viewer)
    assert trend_reads(org, key) == (11, 0)

    with uow(org, person) as (work, viewer):  # time off three weeks ago: that week only
        add_time_off(work, viewer, day=org.monday(3) + timedelta(days=1), hours=7.5)
    assert trend_reads(org, key) == (10, 1)
    with uow(org, person) as (work, viewer):  # an entry five weeks ago: that week only
        create_entry(work, viewer, project_id=ops.id or 0,
                     started_at=org.now() - timedelta(weeks=5),
                     ended_at=org.now() - timedelta(weeks=5, hours=-2))  # fmt: skip
    assert trend_reads(org, key) == (10, 1)
    with uow(org, person) as (work, viewer):  # time off today: this week, computed anyway
        add_time_off(work, viewer, day=org.monday(), hours=2.0)
    assert trend_reads(org, key) == (11, 0)

    admin = admin_of(org)
    with uow(org, admin) as (work, viewer):  # a capacity edit: every week again
        update_user(work, viewer, user_id=person.id or 0, weekly_capacity_hours=30.0)
    assert trend_reads(org, key) == (0, 11)
    assert trend_reads(org, key) == (11, 0)


def test_a_timer_running_since_last_week_keeps_that_week_live(make_org) -> None:
    """A timer started on Sunday evening and still running counts in last week up to now:
    that week is computed afresh until it stops, and kept after."""
    org = make_org(44)
    org.clock.advance(hours=28)  # Sunday 22:00
    person = org.people[0]
    with uow(org, person) as (work, viewer):
        start_timer(work, viewer, project_id=org.projects[5].id or 0)
    org.clock.advance(hours=11)  # Monday 09:00
    key = DashboardKey("utilization_trend", "org", 0, org.monday())
    last_week = org.monday(1)

    def last_weeks_hours() -> float:
        row = next(w for w in snapshot(org, key, cached=True)["weeks"]
                   if w["week"] == last_week.isoformat())  # fmt: skip
        return float(row["tracked_hours"])

    assert trend_reads(org, key) == (0, 10)  # last week and this one computed
    before = last_weeks_hours()
    org.clock.advance(hours=2)
    assert last_weeks_hours() == pytest.approx(before + 2)
    assert trend_reads(org, key) == (10, 0)
    with uow(org, person) as (work, viewer):
        stop_timer(work, viewer)
    assert trend_reads(org, key) == (10, 1)  # stopped: last week is closed, and kept
    assert trend_reads(org, key) == (11, 0)
    assert org.system.history.weeks.get(("org", 0), [week_owner(last_week)]) != {}


def test_concurrent_trend_recomputes_never_keep_totals_a_write_overtook(make_org) -> None:
    """Trends computed in worker threads while time off and past entries change: whatever
    the interleaving, the kept weeks end up agreeing with the database."""
    org = make_org(45)
    rng = random.Random(45)
    key_list = trend_keys(org)
    stop = threading.Event()
    failures: list[BaseException] = []

    def compute_forever() -> None:
        try:
            while not stop.is_set():
                snapshot(org, rng.choice(key_list), cached=True)
        except BaseException as error:  # surfaced below
            failures.append(error)

    workers = [threading.Thread(target=compute_forever) for _ in range(3)]
    for worker in workers:
        worker.start()
    try:
        writes = random.Random(46)
        for _ in range(25):
            time_off_write(org, writes) if writes.random() < 0.5 else random_write(org, writes)
    finally:
        stop.set()
        for worker in workers:
            worker.join()
    assert not failures
    assert_same_trends(org, "the concurrent writes")


# --- budget alerts ---------------------------------------------------------------------------


def alerts(org: Org, *, cached: bool) -> list[Any]:
    now = org.now()
    reader = org.system.history.reader(now) if cached else None
    with Session(org.engine) as session:
        return budget_alerts(session, now=now, tz=org.system.tz, history=reader)


@pytest.mark.parametrize(("seed", "tz"), [(31, "UTC"), (32, "America/New_York")])
def test_budget_alerts_are_the_same_from_the_cache(make_org, seed, tz) -> None:
    """Through entry writes, the clock crossing weeks and months, and budget edits: the
    alerts the cached run finds are the uncached run's, and some are found."""
    rng = random.Random(seed)
    org = make_org(seed, tz)
    f.user(org.engine, "slt@x.test", role="slt", weekly_capacity_hours=0.0)  # the audience
    admin = admin_of(org)
    found = 0
    for step in range(30):
        if step % 10 == 9:
            fixed = org.projects[2]
            with uow(org, admin) as (work, viewer):
                update_project(work, viewer, project_id=fixed.id or 0,
                               budget_hours=rng.choice([5.0, 40.0, 90.0]))  # fmt: skip
            done = "a budget edit"
        elif step % 7 == 6:
            org.clock.advance(hours=rng.choice([50, 120, 200]))
            done = f"clock to {org.now():%a %d %b}"
        else:
            done = random_write(org, rng)
        plain = alerts(org, cached=False)
        assert alerts(org, cached=True) == plain, f"step {step}: {done}"
        found += len(plain)
    assert found > 0


def test_budget_alerts_from_a_warm_cache_read_no_history(make_org) -> None:
    """Cached, a run reads only this week's entries, never a project's hours since it
    started (the `win` windows the uncached run reads every time)."""
    org = make_org(33)
    f.user(org.engine, "slt@x.test", role="slt", weekly_capacity_hours=0.0)
    with statements(org.engine) as uncached:
        plain = alerts(org, cached=False)
    assert plain and any("win" in s for s in uncached)
    assert alerts(org, cached=True) == plain  # cold: fills the cache
    with statements(org.engine) as warm:
        assert alerts(org, cached=True) == plain
    assert not any("win" in s for s in warm)
