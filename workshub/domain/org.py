"""Organisation settings kept in the database (timezone, currency, name)."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import Session

from workshub.db import session_scope
from workshub.domain.models import Setting

__all__ = ["OrgSettings", "ensure_org_settings", "load_org_settings"]

DEFAULTS = {"timezone": "UTC", "currency": "EUR", "name": "WorksHub"}


@dataclass(frozen=True, slots=True)
class OrgSettings:
    timezone: str
    currency: str
    name: str

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def ensure_org_settings(engine: Engine, *, timezone: str) -> OrgSettings:
    """Store the defaults once (the timezone from WORKSHUB_TIMEZONE); later runs keep them."""
    with session_scope(engine, write=True) as session:
        for key, default in {**DEFAULTS, "timezone": timezone}.items():
            if session.get(Setting, key) is None:
                session.add(Setting(key=key, value=default))
    return load_org_settings(engine)


def load_org_settings(engine: Engine) -> OrgSettings:
    with Session(engine) as session:
        values = {
            key: (row.value if (row := session.get(Setting, key)) else default)
            for key, default in DEFAULTS.items()
        }
    return OrgSettings(**values)
