"""Scheduled jobs: the store's upkeep bodies, called directly with a fake clock, and the
registry that records each job's runs for /health."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.cron import CronTrigger

from workshub.clock import FakeClock
from workshub.domain.dashboards.keys import DashboardKey
from workshub.live.scheduler import (
    JobSpec,
    build_scheduler,
    cleanup,
    refresh_ahead,
    retry_failed,
    shutdown,
    start,
)
from workshub.live.store import LiveStore

W = date(2026, 11, 23)
TIMERS = DashboardKey("active_timers", "team", 10)
TODAY = DashboardKey("today", "user", 1)


class Counting:
    def __init__(self) -> None:
        self.calls: list[DashboardKey] = []
        self.fail = False

    def __call__(self, key: DashboardKey, now: datetime) -> dict[str, Any]:
        self.calls.append(key)
        if self.fail:
            raise RuntimeError("down")
        return {"n": 1}


@pytest.fixture
def compute() -> Counting:
    return Counting()


@pytest.fixture
async def store(compute: Counting, clock: FakeClock) -> AsyncIterator[LiveStore]:
    store = LiveStore(compute, clock=clock, tz=ZoneInfo("UTC"), random=lambda: 0.0)
    yield store
    await store.close()


async def test_refresh_ahead_job_keeps_watched_keys_from_expiring(
    store: LiveStore, compute: Counting, clock: FakeClock
) -> None:
    await asyncio.gather(store.get(TIMERS), store.get(TODAY))
    store.subscribe(TIMERS, lambda update: None)
    for _ in range(12):  # a minute of 5-second ticks; both keys have a 30 s TTL
        clock.advance(5)
        await refresh_ahead(store, lead_s=10)
        await store.wait_idle()
        cached = store.get_cached(TIMERS)
        assert cached is not None and not cached.stale
    assert compute.calls.count(TIMERS) == 4  # the first, then at 20, 40 and 60 s
    assert compute.calls.count(TODAY) == 1


async def test_cleanup_job_forgets_expired_unwatched_keys(
    store: LiveStore, clock: FakeClock
) -> None:
    await asyncio.gather(store.get(TIMERS), store.get(TODAY))
    store.subscribe(TIMERS, lambda update: None)
    clock.advance(30)
    assert await cleanup(store) == [TODAY]
    assert store.get_cached(TODAY) is None
    assert store.get_cached(TIMERS) is not None


async def test_retry_job_retries_after_the_backoff(
    store: LiveStore, compute: Counting, clock: FakeClock
) -> None:
    await store.get(TIMERS)
    store.subscribe(TIMERS, lambda update: None)
    compute.fail = True
    store.invalidate(TIMERS)
    await store.wait_idle()
    assert await retry_failed(store) == []
    clock.advance(0.5)  # base 1 s × jitter factor 0.5
    compute.fail = False
    assert await retry_failed(store) == [TIMERS]
    await store.wait_idle()
    assert not store.degraded


async def test_jobs_are_timed_and_their_errors_recorded_once(
    store: LiveStore, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    outcomes = iter([None, "boom", "boom", None])

    async def rule() -> None:
        clock.advance(0.25)
        if (failure := next(outcomes)) is not None:
            raise RuntimeError(failure)

    scheduler = build_scheduler(store, clock=clock, jobs=[JobSpec("rules", rule, seconds=60)])
    with caplog.at_level(logging.INFO, logger="workshub.live.scheduler"):
        await scheduler.run_job("rules")
        await scheduler.run_job("rules")
        stats = {s["name"]: s for s in scheduler.job_stats()}
        assert stats["rules"]["last_error"] == "RuntimeError: boom"
        await scheduler.run_job("rules")
        await scheduler.run_job("rules")
    stats = {s["name"]: s for s in scheduler.job_stats()}
    assert stats["rules"] == {
        "name": "rules",
        "next_run": None,  # not started
        "last_run": "2026-11-25T10:00:00.750000Z",
        "last_duration_s": 0.25,
        "last_error": None,
        "runs": 4,
    }
    assert [r.levelname for r in caplog.records] == ["ERROR", "INFO"]
    assert set(stats) == {"live.refresh_ahead", "live.retry_failed", "live.cleanup", "rules"}


async def test_the_scheduler_starts_on_the_running_loop_and_shuts_down(
    store: LiveStore, clock: FakeClock
) -> None:
    async def freeze_weeks() -> None:
        return None

    nightly = JobSpec("freeze", freeze_weeks, trigger=CronTrigger(hour=0, timezone="UTC"))
    scheduler = build_scheduler(store, clock=clock, jobs=[nightly])
    start(scheduler)
    try:
        assert scheduler.running
        next_runs = {s["name"]: s["next_run"] for s in scheduler.job_stats()}
        assert all(next_runs.values())
        assert next_runs["freeze"].endswith("T00:00:00Z")
    finally:
        await shutdown(scheduler)
    assert not scheduler.running
    await shutdown(scheduler)  # twice is harmless


async def test_a_job_needs_exactly_one_schedule(store: LiveStore, clock: FakeClock) -> None:
    async def job() -> None:
        return None

    scheduler = build_scheduler(store, clock=clock)
    with pytest.raises(ValueError, match="exactly one"):
        scheduler.add_tracked_job(JobSpec("x", job))
    with pytest.raises(ValueError, match="exactly one"):
        scheduler.add_tracked_job(JobSpec("x", job, seconds=1, trigger=CronTrigger(hour=0)))
