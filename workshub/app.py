"""The composition root: builds settings, engine, clock, hub, live store and scheduler once,
and hands them to the API and the pages. Nothing is built at import time."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from workshub.clock import Clock, SystemClock
from workshub.db import create_db_engine
from workshub.domain.auth import SignInThrottle
from workshub.domain.dashboards.compute import compute_snapshot
from workshub.domain.dashboards.keys import DashboardKey
from workshub.domain.events import EventHub
from workshub.domain.models import Team
from workshub.domain.org import OrgSettings, ensure_org_settings
from workshub.domain.project_history import ProjectHistory
from workshub.domain.services.accounts import TokenTouches
from workshub.live.governor import govern
from workshub.live.jobs import default_jobs
from workshub.live.scheduler import JobSpec, LiveScheduler, build_scheduler, shutdown, start
from workshub.live.store import LiveStore
from workshub.migrate import upgrade_database
from workshub.settings import Settings

__all__ = ["System", "build_system", "start_live", "stop_live"]


@dataclass
class System:
    settings: Settings
    engine: Engine
    clock: Clock
    hub: EventHub
    org: OrgSettings
    sign_in_throttle: SignInThrottle
    store: LiveStore
    history: ProjectHistory
    touches: TokenTouches = field(default_factory=TokenTouches)
    scheduler: LiveScheduler | None = None
    extras: dict[str, object] = field(default_factory=dict)
    _detach_store: Callable[[], None] | None = None
    _governor: asyncio.Task[None] | None = None

    @property
    def tz(self) -> ZoneInfo:
        return self.org.tz


def dashboard_computer(
    engine: Engine, tz: ZoneInfo, *, history: ProjectHistory | None = None
) -> Callable[[DashboardKey, datetime], dict[str, Any]]:
    """The store's compute function: one read session per recompute (run in a worker thread).
    The history reader is taken before the session reads, so sums it caches are never older
    than an event it has seen."""

    def compute(key: DashboardKey, now: datetime) -> dict[str, Any]:
        reader = None if history is None else history.reader(now)
        with Session(engine) as session:
            return compute_snapshot(session, key, now=now, tz=tz, history=reader)

    return compute


def team_leads_loader(engine: Engine) -> Callable[[], dict[int, int | None]]:
    def load() -> dict[int, int | None]:
        with Session(engine) as session:
            return {t.id: t.lead_id for t in session.exec(select(Team)).all() if t.id is not None}

    return load


def build_system(
    settings: Settings,
    *,
    clock: Clock | None = None,
    engine: Engine | None = None,
    migrate: bool = True,
) -> System:
    """Everything WorksHub needs, wired once. Migrates the database unless told not to."""
    if engine is None:
        if settings.database_url is None:
            settings.ensure_data_dir()
        engine = create_db_engine(settings.resolved_database_url)
    if migrate:
        upgrade_database(engine)
    clock = clock or SystemClock()
    org = ensure_org_settings(engine, timezone=settings.timezone)
    hub = EventHub()
    history = ProjectHistory(tz=org.tz)
    history.attach(hub)  # before the store: a recompute must not see sums an event dropped
    store = LiveStore(
        dashboard_computer(engine, org.tz, history=history),
        clock=clock,
        tz=org.tz,
        team_leads=team_leads_loader(engine),
    )
    return System(
        settings=settings,
        engine=engine,
        clock=clock,
        hub=hub,
        org=org,
        sign_in_throttle=SignInThrottle(clock),
        store=store,
        history=history,
    )


async def start_live(system: System, *, jobs: Iterable[JobSpec] = ()) -> None:
    """On the running loop: events reach the store, and the scheduler runs the store's upkeep,
    the rules of `live.jobs.default_jobs`, and `jobs`."""
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    system.hub.attach_loop(asyncio.get_running_loop())
    system._detach_store = system.store.attach(system.hub)
    all_jobs = [*default_jobs(system), *jobs]
    system.scheduler = build_scheduler(system.store, clock=system.clock, jobs=all_jobs)
    start(system.scheduler)
    system._governor = asyncio.create_task(govern(system.store), name="live governor")


async def stop_live(system: System) -> None:
    if system._governor is not None:
        system._governor.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await system._governor
        system._governor = None
    if system.scheduler is not None:
        await shutdown(system.scheduler)
        system.scheduler = None
    await asyncio.to_thread(system.touches.flush, system.engine)  # the last token uses
    if system._detach_store is not None:
        system._detach_store()
        system._detach_store = None
    await system.store.close()
    system.hub.attach_loop(None)
