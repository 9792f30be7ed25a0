"""By hand, never in CI: how long a dashboard recompute takes after one write, with and
without ProjectHistory (SPEC §9: "the update after one write does not grow with history").

    python -m tests.domain.bench_recompute --database sqlite:////tmp/perf/workshub.db
    python -m tests.domain.bench_recompute --seed-into /tmp/bench --history-days 14 120 1095

The first form measures an existing database (seeded with `workshub seed --profile large`);
the second seeds one database per history length (or `--scales`) first. Each write goes
through the real services, so the real events invalidate the cache; the writes it makes stay
in the database. Times are medians: wall clock, and CPU time of the computing thread (steadier
on a busy machine). A full garbage collection is run before each timed recompute (not timed):
with the app imported, one costs ~50 ms whenever it lands, whatever the recompute does.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import event, func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from workshub.clock import SystemClock
from workshub.db import create_db_engine
from workshub.domain.dashboards.compute import compute_snapshot
from workshub.domain.dashboards.keys import DashboardKey
from workshub.domain.events import EventHub
from workshub.domain.models import Client, Project, Team, TimeEntry, User
from workshub.domain.org import ensure_org_settings
from workshub.domain.project_history import ProjectHistory
from workshub.domain.scope import load_viewer
from workshub.domain.seed import PROFILES, seed
from workshub.domain.services.entries import update_entry
from workshub.domain.services.timer import start_timer, stop_timer
from workshub.domain.timeutil import local_date, week_start
from workshub.domain.uow import UnitOfWork
from workshub.migrate import upgrade_database


@dataclass(frozen=True)
class Timing:
    wall_ms: float
    cpu_ms: float
    statements: int


class Bench:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.tz = ensure_org_settings(engine, timezone="UTC").tz
        self.clock = SystemClock()
        self.hub = EventHub()
        self.history = ProjectHistory(tz=self.tz)
        self.history.attach(self.hub)
        self.statements = 0
        event.listen(engine, "before_cursor_execute", self._count)
        with Session(engine) as session:
            self.member = session.exec(select(User).where(User.email == "member@demo.test")).one()
            self.team_id = session.exec(select(Team.id)).first()
            self.client_id = session.exec(select(Client.id)).first()
            self.manager_id = session.exec(
                select(User.id).where(User.email == "manager@demo.test")
            ).first()
            self.project_id = session.exec(
                select(Project.id).where(Project.status == "active", Project.client_id.is_not(None))  # type: ignore[union-attr]
            ).first()
            self.entries = session.exec(select(func.count()).select_from(TimeEntry)).one()

    def _count(self, *_: Any) -> None:
        self.statements += 1

    def keys(self) -> list[DashboardKey]:
        monday = week_start(local_date(self.clock.now(), self.tz))
        return [
            DashboardKey("metrics", "org", 0, monday),
            DashboardKey("metrics", "team", self.team_id or 0, monday),
            DashboardKey("client_data", "org", 0, monday),
            DashboardKey("client_data", "manager", self.manager_id or 0, monday),
            DashboardKey("client_health", "org", 0, monday),
            DashboardKey("utilization_trend", "org", 0, monday),
            DashboardKey("client_history", "client", self.client_id or 0, monday),
        ]

    def compute(self, key: DashboardKey, *, cached: bool) -> Timing:
        gc.collect()
        now = self.clock.now()
        self.statements = 0
        wall, cpu = time.perf_counter(), time.thread_time()
        reader = self.history.reader(now) if cached else None
        with Session(self.engine) as session:
            compute_snapshot(session, key, now=now, tz=self.tz, history=reader)
        return Timing(
            (time.perf_counter() - wall) * 1000, (time.thread_time() - cpu) * 1000, self.statements
        )

    @contextmanager
    def _write(self) -> Iterator[tuple[UnitOfWork, Any]]:
        with UnitOfWork(self.engine, self.hub, self.clock, actor_id=self.member.id) as uow:
            yield uow, load_viewer(uow.session, self.member.id or 0)

    def timer_stop(self) -> None:
        """A timer of this week starts and stops: one project's week is read again."""
        with self._write() as (uow, viewer):
            start_timer(uow, viewer, project_id=self.project_id or 0)
        with self._write() as (uow, viewer):
            stop_timer(uow, viewer)

    def past_edit(self) -> None:
        """An entry of three weeks ago changes: one project's history is read again."""
        with Session(self.engine) as session:
            old = self.clock.now() - timedelta(weeks=3)
            entry = session.exec(
                select(TimeEntry)
                .where(TimeEntry.user_id == self.member.id, TimeEntry.started_at < old)
                .where(col(TimeEntry.ended_at).is_not(None))
                .order_by(col(TimeEntry.started_at).desc())
            ).first()
        assert entry is not None and entry.id is not None
        with self._write() as (uow, viewer):
            update_entry(
                uow, viewer, entry_id=entry.id, version=entry.version, billable=not entry.billable
            )


def median(timings: list[Timing], pick: Callable[[Timing], float]) -> float:
    return statistics.median(pick(t) for t in timings)


def cell(runs: list[Timing]) -> str:
    wall, cpu = median(runs, lambda t: t.wall_ms), median(runs, lambda t: t.cpu_ms)
    return f"{wall:7.1f} ({cpu:6.1f})"


def measure(engine: Engine, *, repeat: int) -> None:
    bench = Bench(engine)
    print(f"\n{bench.entries:,} entries")
    head = ("uncached", "cold", "after timer stop", "after past edit", "stmts")
    print(f"{'key':38} {head[0]:>17} {head[1]:>7} {head[2]:>17} {head[3]:>17} {head[4]:>5}")
    keys = bench.keys()
    cold = {key: bench.compute(key, cached=True) for key in keys}
    results: dict[DashboardKey, dict[str, list[Timing]]] = {
        key: {"uncached": [], "stop": [], "edit": []} for key in keys
    }
    for _ in range(repeat):
        for write, label in ((bench.timer_stop, "stop"), (bench.past_edit, "edit")):
            for key in keys:
                write()
                results[key][label].append(bench.compute(key, cached=True))
        for key in keys:
            results[key]["uncached"].append(bench.compute(key, cached=False))
    for key in keys:
        runs = results[key]
        print(
            f"{key!s:38} {cell(runs['uncached']):>17} {cold[key].wall_ms:7.1f} "
            f"{cell(runs['stop']):>17} {cell(runs['edit']):>17} {runs['stop'][-1].statements:5d}"
        )
    print("ms: wall median (CPU median); cold = first cached compute;", bench.history.stats())


def seeded(directory: Path, *, history_days: int | None, scale: float) -> Engine:
    name = f"h{history_days}" if history_days else f"s{scale}"
    path = directory / f"{name}.db"
    engine = create_db_engine(f"sqlite:///{path}")
    if path.exists():
        return engine
    upgrade_database(engine)
    original = PROFILES["large"]
    if history_days:
        PROFILES["large"] = replace(original, history_days=history_days)
    try:
        seed(engine, profile="large", now=datetime.now(UTC), tz=ZoneInfo("UTC"), scale=scale)
    finally:
        PROFILES["large"] = original
    return engine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", action="append", default=[])
    parser.add_argument("--seed-into", type=Path)
    parser.add_argument("--history-days", type=int, nargs="*", default=[])
    parser.add_argument("--scales", type=float, nargs="*", default=[])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    engines = [create_db_engine(url) for url in args.database]
    if args.seed_into:
        args.seed_into.mkdir(parents=True, exist_ok=True)
        engines += [seeded(args.seed_into, history_days=d, scale=1.0) for d in args.history_days]
        engines += [seeded(args.seed_into, history_days=None, scale=s) for s in args.scales]
    for engine in engines:
        measure(engine, repeat=args.repeat)


if __name__ == "__main__":
    main()
