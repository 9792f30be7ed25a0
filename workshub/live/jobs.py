"""The scheduler's time-based rules (SPEC §1, §3): timers left running, budget thresholds,
clients turning red, freezing past weeks' client health, the week rolling over, and purging
idempotency records past their 24 h.

Each job is a plain async function of the `System`, so tests call it directly with a fake
clock. Database work runs in a worker thread; every write goes through a `UnitOfWork` (no
actor, request id `job:<name>`), so its events reach the hub only after the commit. The
budget and client rules find what is new with reads first, and take the write lock only then.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlmodel import Session, col, delete

from workshub.db import session_scope
from workshub.domain.dashboards.compute import compute_snapshot
from workshub.domain.dashboards.keys import DashboardKey
from workshub.domain.health_snapshots import freeze_past_weeks
from workshub.domain.models import IdempotencyRecord, Notification
from workshub.domain.services.alerts import (
    Alert,
    ClientRating,
    budget_alerts,
    client_red_alerts,
    raise_alerts,
)
from workshub.domain.services.timer import auto_stop_long_timers, long_timer_notices
from workshub.domain.timeutil import local_date, week_start
from workshub.domain.uow import IDEMPOTENCY_TTL, UnitOfWork
from workshub.live.scheduler import JobSpec
from workshub.live.store import LiveStore

if TYPE_CHECKING:
    from workshub.app import System

__all__ = [
    "CLIENT_KEY_TYPES",
    "WeekRollover",
    "auto_stop_timers",
    "budget_thresholds",
    "clients_turning_red",
    "default_jobs",
    "freeze_weeks",
    "long_timers",
    "purge_idempotency_records",
    "write_token_uses",
]

log = logging.getLogger(__name__)

MINUTE_S = 60.0
RULES_S = 300.0  # budget thresholds and red clients
HOUR_S = 3600.0
TOKEN_USES_S = 5.0  # how far an API token's last_used_at may lag
CLIENT_KEY_TYPES = frozenset({"client_data", "client_health", "client_history"})


def default_jobs(system: System) -> list[JobSpec]:
    """The rules `start_live` schedules next to the store's upkeep."""
    rollover = WeekRollover(system)
    return [
        JobSpec("rules.auto_stop_timers", lambda: auto_stop_timers(system), seconds=MINUTE_S),
        JobSpec("rules.long_timers", lambda: long_timers(system), seconds=MINUTE_S),
        JobSpec("rules.budget_thresholds", lambda: budget_thresholds(system), seconds=RULES_S),
        JobSpec("rules.client_red", lambda: clients_turning_red(system), seconds=RULES_S),
        JobSpec("health.freeze_weeks", lambda: freeze_weeks(system), seconds=HOUR_S, run_now=True),
        JobSpec("live.week_rollover", rollover, seconds=MINUTE_S),
        JobSpec("idempotency.purge", lambda: purge_idempotency_records(system), seconds=HOUR_S),
        JobSpec("accounts.token_uses", lambda: write_token_uses(system), seconds=TOKEN_USES_S),
    ]


async def write_token_uses(system: System) -> int:
    """Write the API tokens' recorded uses (`last_used_at`) in one transaction."""
    return await asyncio.to_thread(system.touches.flush, system.engine)


def _unit_of_work(system: System, name: str) -> UnitOfWork:
    return UnitOfWork(
        system.engine, system.hub, system.clock, actor_id=None, request_id=f"job:{name}"
    )


# --- timers -----------------------------------------------------------------------------------


async def auto_stop_timers(system: System) -> list[int]:
    """Stop timers running 24 h (at started_at + 24 h) and tell their owners; the stopped ids."""

    def work() -> list[int]:
        with _unit_of_work(system, "auto_stop_timers") as uow:
            return [entry.id for entry in auto_stop_long_timers(uow) if entry.id is not None]

    return await asyncio.to_thread(work)


async def long_timers(system: System) -> list[Notification]:
    """Tell each owner of a timer running over 10 h, once per entry."""

    def work() -> list[Notification]:
        with _unit_of_work(system, "long_timers") as uow:
            return long_timer_notices(uow)

    return await asyncio.to_thread(work)


# --- budgets and client health ----------------------------------------------------------------


def _raise(system: System, name: str, alerts: Sequence[Alert]) -> list[Notification]:
    if not alerts:
        return []
    with _unit_of_work(system, name) as uow:
        return raise_alerts(uow, alerts)


async def budget_thresholds(system: System) -> list[Notification]:
    """Projects at 80 % / 100 % of their budget → their client's account lead, slt and admin."""

    def work() -> list[Notification]:
        now = system.clock.now()
        reader = system.history.reader(now)  # taken before the session reads (see ProjectHistory)
        with Session(system.engine) as session:
            alerts = budget_alerts(session, now=now, tz=system.tz, history=reader)
        return _raise(system, "budget_thresholds", alerts)

    return await asyncio.to_thread(work)


async def clients_turning_red(system: System) -> list[Notification]:
    """Clients red this week → the same people, once per client and week. The ratings come
    from the organisation's client_health snapshot when the store holds it."""
    now = system.clock.now()
    key = DashboardKey("client_health", "org", 0, week_start(local_date(now, system.tz)))
    cached = system.store.get_cached(key)

    def work() -> list[Notification]:
        with Session(system.engine) as session:
            data = cached.data if cached else compute_snapshot(session, key, now=now, tz=system.tz)
            ratings = [_rating(row) for row in data["clients"]]
            assert key.week is not None
            alerts = client_red_alerts(session, ratings, week=key.week)
        return _raise(system, "client_red", alerts)

    return await asyncio.to_thread(work)


def _rating(row: dict[str, Any]) -> ClientRating:
    return ClientRating(row["client_id"], row["name"], row["score"], row["rag"])


# --- idempotency records ----------------------------------------------------------------------


async def purge_idempotency_records(system: System) -> int:
    """Delete the idempotency records past their 24 h (SPEC §3: kept 24 h), which no request
    replays any more; returns how many went. A key whose record is gone is a new request."""
    cutoff = system.clock.now() - IDEMPOTENCY_TTL

    def work() -> int:
        with session_scope(system.engine, write=True) as session:  # in the writers' queue
            result = session.exec(
                delete(IdempotencyRecord).where(col(IdempotencyRecord.created_at) < cutoff)
            )
            return result.rowcount

    purged = await asyncio.to_thread(work)
    if purged:
        log.info("purged %d idempotency records older than 24 h", purged)
    return purged


# --- frozen weeks and the week rolling over ---------------------------------------------------


async def freeze_weeks(system: System) -> int:
    """Freeze every past week not frozen yet; cached client dashboards then show them frozen.
    Returns how many weeks were frozen."""
    weeks = await asyncio.to_thread(
        freeze_past_weeks, system.engine, now=system.clock.now(), tz=system.tz
    )
    if weeks:
        for key, _subscribers in _store_keys(system.store):
            if key.type in CLIENT_KEY_TYPES:
                system.store.invalidate(key)
    return weeks


class WeekRollover:
    """At the first run after Monday 00:00 local: recompute every cached or watched key (last
    week's figures are whole now), and compute this week's twin of each watched key of last
    week, so a page switching to the new week finds it ready."""

    def __init__(self, system: System) -> None:
        self.system = system
        self.week = self._current()  # start-up is no rollover: the store starts empty

    def _current(self) -> date:
        return week_start(local_date(self.system.clock.now(), self.system.tz))

    async def __call__(self) -> list[DashboardKey]:
        """The new week's keys it started computing ([] when the week has not changed)."""
        current = self._current()
        if current == self.week:
            return []
        previous, self.week = self.week, current
        store = self.system.store
        keys = _store_keys(store)
        refreshed = [key for key, _subscribers in keys if store.invalidate(key)]
        ahead = [
            replace(key, week=current)
            for key, subscribers in keys
            if subscribers and key.week == previous
        ]
        for key in ahead:
            store.request_refresh(key, manual=False)
        log.info(
            "week of %s began: recomputing %d keys, computing %d of the new week",
            current.isoformat(),
            len(refreshed),
            len(ahead),
        )
        return ahead


def _store_keys(store: LiveStore) -> list[tuple[DashboardKey, int]]:
    """The store's keys with their subscriber counts."""
    keys: dict[str, dict[str, Any]] = store.stats()["keys"]
    return [(DashboardKey.parse(text), info["subscribers"]) for text, info in keys.items()]
