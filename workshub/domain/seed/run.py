"""Seeding a database: generate a whole organisation deterministically, write it in one
transaction, then freeze its client-health history.

Deterministic means: the same seed number and the same `now` give the same rows, in the same
order, with the same ids on a fresh database. Everything random comes from one
`random.Random(seed)`; nothing reads the wall clock.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TextIO
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Connection, Engine

from workshub.domain.auth import hash_password
from workshub.domain.health_snapshots import freeze_past_weeks
from workshub.domain.seed.budgets import ProjectHours, choose_trouble, set_budgets
from workshub.domain.seed.extras import plan_pulses, plan_tasks, plan_timers
from workshub.domain.seed.plan import plan_org
from workshub.domain.seed.profiles import PROFILES, Profile, ProfileName
from workshub.domain.seed.timeline import generate_entries, generate_time_off
from workshub.domain.seed.writer import Generated, has_rows, write_generated
from workshub.progress import ProgressBar

__all__ = [
    "DEMO_PASSWORD",
    "DatabaseNotEmpty",
    "SeedSummary",
    "database_is_empty",
    "generate",
    "seed",
    "seed_if_empty",
]

DEMO_PASSWORD = "demo"
SQLITE_SEED_CACHE_KIB = 512 * 1024
_NOT_EMPTY = "The database already holds data; seed only an empty database."


class DatabaseNotEmpty(Exception):
    """Seeding adds a whole organisation; mixing it into existing data would corrupt both."""


@dataclass(frozen=True, slots=True)
class SeedSummary:
    profile: str
    seed: int
    rows: dict[str, int]  # table name → rows written
    running_timers: int
    weeks_frozen: int  # client-health history: weeks of snapshots written

    @property
    def entries(self) -> int:
        return self.rows.get("time_entry", 0)


def database_is_empty(engine: Engine) -> bool:
    with engine.connect() as conn:
        return not has_rows(conn)


def seed(
    engine: Engine,
    *,
    profile: ProfileName = "demo",
    seed: int = 42,
    now: datetime,
    tz: ZoneInfo,
    progress: bool = True,
    scale: float = 1.0,
    stream: TextIO | None = None,
) -> SeedSummary:
    """Fill an empty database with the `demo` or `large` organisation.

    Raises DatabaseNotEmpty when people, teams, clients, projects or entries exist already.
    `scale` (0–1] shrinks the organisation for tests; `progress` draws bars on `stream`
    (stderr by default).
    """
    if now.tzinfo is None:
        raise ValueError("seed needs an aware `now`")
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}: choose one of {', '.join(PROFILES)}")
    if not database_is_empty(engine):
        raise DatabaseNotEmpty(_NOT_EMPTY)
    stream = stream if stream is not None else sys.stderr
    shape = PROFILES[profile].scaled(scale)
    generated = generate(shape, seed=seed, now=now, tz=tz, progress=progress, stream=stream)
    demo_hash = hash_password(DEMO_PASSWORD)
    hashes = [
        demo_hash if shape.name == "demo" or person.login else None
        for person in generated.plan.people
    ]
    with (
        ProgressBar(generated.row_count(), label="Writing", enabled=progress, stream=stream) as bar,
        engine.connect() as conn,
    ):
        conn.execution_options(sqlite_begin="IMMEDIATE")
        with _large_page_cache(conn), conn.begin():
            if has_rows(conn):  # someone seeded while we were generating
                raise DatabaseNotEmpty(_NOT_EMPTY)
            rows = write_generated(conn, generated, password_hashes=hashes, advance=bar.advance)
    weeks = _freeze_history(engine, now=now, tz=tz, progress=progress, stream=stream)
    return SeedSummary(
        profile=profile,
        seed=seed,
        rows=rows,
        running_timers=len(generated.timers),
        weeks_frozen=weeks,
    )


def seed_if_empty(
    engine: Engine, *, now: datetime, tz: ZoneInfo, progress: bool = False
) -> SeedSummary | None:
    """The demo organisation on an empty database (what `serve` does), else None."""
    if not database_is_empty(engine):
        return None
    try:
        return seed(engine, profile="demo", now=now, tz=tz, progress=progress)
    except DatabaseNotEmpty:  # another process seeded first
        return None


def generate(
    profile: Profile,
    *,
    seed: int,
    now: datetime,
    tz: ZoneInfo,
    progress: bool = False,
    stream: TextIO | None = None,
) -> Generated:
    """Decide every row in memory: the organisation, its time off and entries, then budgets
    from the hours worked, pulses, tasks and running timers."""
    rng = random.Random(seed)
    plan = plan_org(rng, profile, today=now.astimezone(tz).date())
    time_off = generate_time_off(rng, plan)
    label = "Generating"
    with ProgressBar(len(plan.people), label=label, enabled=progress, stream=stream) as bar:
        entries = generate_entries(
            rng,
            plan,
            time_off=time_off,
            now=now,
            tz=tz,
            mean_per_day=profile.mean_entries_per_day,
            on_person=bar.advance,
        )
    hours = ProjectHours.of(entries, plan, tz=tz)
    choose_trouble(rng, plan, hours=hours)
    set_budgets(rng, plan, hours=hours)
    timers = plan_timers(
        rng,
        plan,
        count=profile.running_timers,
        last_end_today=entries.last_end_today,
        now=now,
        tz=tz,
    )
    return Generated(
        plan=plan,
        time_off=time_off,
        entries=entries,
        timers=timers,
        tasks=plan_tasks(rng, plan),
        pulses=plan_pulses(rng, plan),
    )


@contextmanager
def _large_page_cache(conn: Connection) -> Iterator[None]:
    """SQLite's default 2 MB page cache spills the indexes of a big transaction to the WAL
    over and over; a large cache for this one connection halves the write time."""
    if conn.dialect.name != "sqlite":
        yield
        return
    raw = conn.connection.driver_connection  # outside SQLAlchemy's transaction bookkeeping
    assert raw is not None
    before = raw.execute("PRAGMA cache_size").fetchone()[0]
    raw.execute(f"PRAGMA cache_size=-{SQLITE_SEED_CACHE_KIB}")
    try:
        yield
    finally:
        raw.execute(f"PRAGMA cache_size={int(before)}")


def _freeze_history(
    engine: Engine, *, now: datetime, tz: ZoneInfo, progress: bool, stream: TextIO
) -> int:
    """Freeze every past week's client health (SPEC §3: the seed freezes its history)."""
    with ProgressBar(0, label="Freezing health", enabled=progress, stream=stream) as bar:
        return freeze_past_weeks(engine, now=now, tz=tz, progress=bar.update_to)
