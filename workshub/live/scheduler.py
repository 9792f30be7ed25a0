"""Scheduled jobs on the app's event loop (APScheduler 3, SPEC §1), and their record for /health.

Job bodies are plain `async` functions, so tests call them directly with a fake clock; the
scheduler only decides when. Other modules add their jobs (notification rules, the week freeze)
through `LiveScheduler.add_tracked_job` or `build_scheduler(..., jobs=[JobSpec(...)])`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger

from workshub.clock import Clock
from workshub.domain.dashboards.keys import DashboardKey
from workshub.domain.timeutil import iso_utc
from workshub.live.store import LiveStore

__all__ = [
    "JobSpec",
    "LiveScheduler",
    "build_scheduler",
    "cleanup",
    "refresh_ahead",
    "retry_failed",
    "shutdown",
    "start",
]

log = logging.getLogger(__name__)

JobFunc = Callable[[], Awaitable[object]]

REFRESH_EVERY_S = 5.0
REFRESH_LEAD_S = 10.0  # > REFRESH_EVERY_S, so a watched key is always caught before it expires
RETRY_EVERY_S = 1.0
CLEANUP_EVERY_S = 60.0


# --- the store's jobs -------------------------------------------------------------------------


async def refresh_ahead(store: LiveStore, *, lead_s: float = REFRESH_LEAD_S) -> list[DashboardKey]:
    """Recompute watched keys shortly before their TTL runs out."""
    return store.refresh_ahead(lead_s=lead_s)


async def retry_failed(store: LiveStore) -> list[DashboardKey]:
    """Retry failing keys whose backoff has run out."""
    return store.retry_due()


async def cleanup(store: LiveStore) -> list[DashboardKey]:
    """Forget expired keys nobody watches, so the cache does not grow with every week viewed."""
    return store.cleanup()


# --- the registry -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class JobSpec:
    """A job to schedule: every `seconds`, or on `trigger` (e.g. a CronTrigger)."""

    name: str
    func: JobFunc
    seconds: float | None = None
    trigger: BaseTrigger | None = None
    run_now: bool = False  # also once at start-up (e.g. freezing past weeks)


@dataclass
class _JobRecord:
    runs: int = 0
    last_run: datetime | None = None
    last_duration_s: float | None = None
    last_error: str | None = None


class LiveScheduler(AsyncIOScheduler):
    """An AsyncIOScheduler that times every job and keeps its last error, for /health."""

    def __init__(self, *, clock: Clock) -> None:
        super().__init__(
            timezone=UTC,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 30},
        )
        self._clock = clock
        self._funcs: dict[str, JobFunc] = {}
        self._records: dict[str, _JobRecord] = {}

    def add_tracked_job(self, spec: JobSpec) -> None:
        if (spec.seconds is None) == (spec.trigger is None):
            raise ValueError(f"job {spec.name!r} needs exactly one of seconds and trigger")
        trigger = spec.trigger or IntervalTrigger(seconds=spec.seconds, timezone=UTC)
        self._funcs[spec.name] = spec.func
        self._records[spec.name] = _JobRecord()

        async def job() -> None:
            await self.run_job(spec.name)

        options: dict[str, Any] = {"next_run_time": datetime.now(UTC)} if spec.run_now else {}
        self.add_job(job, trigger, id=spec.name, name=spec.name, replace_existing=True, **options)

    async def run_job(self, name: str) -> None:
        """Run a job now and record it; its failure is logged once, and its recovery."""
        record = self._records[name]
        started = self._clock.monotonic()
        record.last_run = self._clock.now()
        try:
            await self._funcs[name]()
        except Exception as exc:
            if record.last_error is None:
                log.exception("job %s failed", name)
            record.last_error = f"{type(exc).__name__}: {exc}"
        else:
            if record.last_error is not None:
                log.info("job %s recovered", name)
            record.last_error = None
        finally:
            record.runs += 1
            record.last_duration_s = self._clock.monotonic() - started

    def job_stats(self) -> list[dict[str, Any]]:
        """Each job's next run, last run, last duration and last error."""
        stats = []
        for name, record in sorted(self._records.items()):
            job = self.get_job(name)
            next_run = getattr(job, "next_run_time", None) if job else None
            stats.append(
                {
                    "name": name,
                    "next_run": iso_utc(next_run),
                    "last_run": iso_utc(record.last_run),
                    "last_duration_s": record.last_duration_s,
                    "last_error": record.last_error,
                    "runs": record.runs,
                }
            )
        return stats


def build_scheduler(
    store: LiveStore,
    *,
    clock: Clock,
    jobs: Iterable[JobSpec] = (),
    refresh_every_s: float = REFRESH_EVERY_S,
    refresh_lead_s: float = REFRESH_LEAD_S,
    retry_every_s: float = RETRY_EVERY_S,
    cleanup_every_s: float = CLEANUP_EVERY_S,
) -> LiveScheduler:
    """The store's upkeep jobs plus `jobs`. Not started: call `start` on the running loop."""
    scheduler = LiveScheduler(clock=clock)

    async def refresh_job() -> None:
        await refresh_ahead(store, lead_s=refresh_lead_s)

    async def retry_job() -> None:
        await retry_failed(store)

    async def cleanup_job() -> None:
        await cleanup(store)

    scheduler.add_tracked_job(JobSpec("live.refresh_ahead", refresh_job, seconds=refresh_every_s))
    scheduler.add_tracked_job(JobSpec("live.retry_failed", retry_job, seconds=retry_every_s))
    scheduler.add_tracked_job(JobSpec("live.cleanup", cleanup_job, seconds=cleanup_every_s))
    for spec in jobs:
        scheduler.add_tracked_job(spec)
    return scheduler


def start(scheduler: AsyncIOScheduler) -> None:
    """Start on the running loop (app start-up): APScheduler 3 binds to the loop it starts on."""
    if not scheduler.running:
        scheduler.start()


async def shutdown(scheduler: AsyncIOScheduler) -> None:
    """Stop it (app shutdown). AsyncIOScheduler defers its shutdown to the loop: let it run."""
    if scheduler.running:
        scheduler.shutdown(wait=False)
        await asyncio.sleep(0)
