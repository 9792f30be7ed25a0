"""The composition root: builds settings, engine, clock, hub (and later store and scheduler)
once, and hands them to the API and the pages. Nothing is built at import time."""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from workshub.clock import Clock, SystemClock
from workshub.db import create_db_engine
from workshub.domain.auth import SignInThrottle
from workshub.domain.events import EventHub
from workshub.domain.org import OrgSettings, ensure_org_settings
from workshub.migrate import upgrade_database
from workshub.settings import Settings

__all__ = ["System", "build_system"]


@dataclass
class System:
    settings: Settings
    engine: Engine
    clock: Clock
    hub: EventHub
    org: OrgSettings
    sign_in_throttle: SignInThrottle
    extras: dict[str, object] = field(default_factory=dict)

    @property
    def tz(self) -> ZoneInfo:
        return self.org.tz


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
    return System(
        settings=settings,
        engine=engine,
        clock=clock,
        hub=EventHub(),
        org=org,
        sign_in_throttle=SignInThrottle(clock),
    )
