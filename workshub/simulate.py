"""`workshub serve --simulate`: demo people keep starting, switching and stopping timers, so a
fresh install looks alive. Every change goes through the real domain services, so it travels
the real path: commit → event → live store → every open dashboard."""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass, field
from datetime import timedelta

from sqlmodel import Session, col, select

from workshub.app import System
from workshub.domain.errors import DomainError
from workshub.domain.models import TimeEntry, User
from workshub.domain.scope import load_viewer
from workshub.domain.seed import DEMO_LOGINS
from workshub.domain.services.reference import list_projects
from workshub.domain.services.timer import start_timer, stop_timer
from workshub.domain.uow import UnitOfWork
from workshub.live.scheduler import JobSpec

__all__ = ["Simulator", "simulation_job"]

log = logging.getLogger(__name__)

NOTES = ("Design review", "Client call", "Fixing a bug", "Planning", "Copy edits", "QA pass", "")


@dataclass
class Simulator:
    """One step = one person's timer changes: start (or switch) with probability 0.6, else stop."""

    system: System
    rng: random.Random = field(default_factory=lambda: random.Random(7))

    def step(self) -> str | None:
        with Session(self.system.engine) as session:
            logins = {email for email, _role in DEMO_LOGINS}
            people = [
                u
                for u in session.exec(
                    select(User).where(col(User.is_active)).where(User.weekly_capacity_hours > 0)
                ).all()
                if u.email not in logins and u.id is not None
            ]
            if not people:
                return None
            person = self.rng.choice(people)
            assert person.id is not None
            viewer = load_viewer(session, person.id)
            running = session.exec(
                select(TimeEntry)
                .where(TimeEntry.user_id == person.id)
                .where(col(TimeEntry.ended_at).is_(None))
            ).first()
            projects = list_projects(session, viewer, now=self.system.clock.now()) if viewer else []
        if viewer is None or not projects:
            return None
        recent = projects[:5] or projects
        now = self.system.clock.now()
        too_long = running is not None and now - running.started_at > timedelta(hours=3)
        try:
            with UnitOfWork(
                self.system.engine,
                self.system.hub,
                self.system.clock,
                actor_id=viewer.id,
                request_id="simulate",
            ) as uow:
                if running is not None and (too_long or self.rng.random() < 0.4):
                    stop_timer(uow, viewer)
                    return f"{viewer.name} stopped"
                project = self.rng.choice(recent)
                start_timer(uow, viewer, project_id=project["id"], note=self.rng.choice(NOTES))
                return f"{viewer.name} started {project['name']}"
        except DomainError as exc:  # a race with a real person: skip this step
            log.debug("simulation step skipped: %s", exc.message)
            return None


def simulation_job(system: System, *, every_s: float = 4.0) -> JobSpec:
    simulator = Simulator(system)

    async def simulate() -> None:
        what = await asyncio.to_thread(simulator.step)
        if what:
            log.debug("simulate: %s", what)

    return JobSpec("demo.simulate", simulate, seconds=every_s)
