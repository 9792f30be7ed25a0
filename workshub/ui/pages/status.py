"""/status: the live layer at a glance for slt and admin — the store's keys (version, age, TTL,
subscribers, hits and misses, errors), the scheduler's jobs, refreshes per data type, the
connections and the event counter (SPEC §7).

It reads in-process state only (never the database), so it is the one page that refreshes on
a timer: every 2 s, one table per section, the few summary numbers bound to a view-model.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.responses import RedirectResponse
from nicegui import binding, ui

from workshub.app import System
from workshub.domain.models import Role
from workshub.ui.components import fmt_pct, instant, kpi_tile, section, tid
from workshub.ui.frame import frame
from workshub.ui.live import LivePage
from workshub.ui.session import HOME_BY_ROLE, current_viewer

__all__ = ["STATUS_ROLES", "StatusModel", "job_rows", "key_rows", "refresh_rows", "register"]

STATUS_ROLES = frozenset({Role.slt, Role.admin})
TICK_S = 2.0
RECHECK_EVERY_TICKS = 5  # who is watching is re-read from the database every 10 s, not every tick


@binding.bindable_dataclass
class StatusModel:
    """The summary numbers, one attribute per bound element."""

    health: str = "—"
    events: str = "—"
    connected: str = "—"
    cache_size: str = "—"
    subscriptions: str = "—"
    hit_rate: str = "—"
    hits_misses: str = ""
    no_jobs: bool = False
    no_keys: bool = False


def fmt_age(seconds: float | None) -> str:
    """An age as people say it: 8 s, 4 min, 2 h."""
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{max(0, int(seconds))} s"
    if seconds < 3600:
        return f"{int(seconds // 60)} min"
    return f"{int(seconds // 3600)} h"


def _local_time(iso: str | None, tz: ZoneInfo) -> str:
    if not iso:
        return "—"
    return instant(iso).astimezone(tz).strftime("%H:%M:%S")


def _age_of(iso: str | None, now: datetime) -> float | None:
    if not iso:
        return None
    return (now - instant(iso)).total_seconds()


def key_rows(stats: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The store's keys, failing first, then by key."""
    rows = []
    for key, entry in stats.get("keys", {}).items():
        state = "failing" if entry["last_error"] else "stale" if entry["stale"] else "fresh"
        rows.append(
            {
                "key": key,
                "version": entry["version"] if entry["version"] is not None else "—",
                "age": fmt_age(entry["age_s"]),
                "age_s": entry["age_s"] if entry["age_s"] is not None else -1,
                "ttl": f"{entry['ttl_s']} s",
                "subscribers": entry["subscribers"],
                "hits": entry["hits"],
                "misses": entry["misses"],
                "state": state,
                "last_error": entry["last_error"] or "",
            }
        )
    return sorted(rows, key=lambda row: (row["state"] != "failing", row["key"]))


def job_rows(jobs: list[dict[str, Any]], *, tz: ZoneInfo) -> list[dict[str, Any]]:
    return [
        {
            "name": job["name"],
            "next_run": _local_time(job["next_run"], tz),
            "last_run": _local_time(job["last_run"], tz),
            "duration": "—"
            if job["last_duration_s"] is None
            else f"{job['last_duration_s'] * 1000:.1f} ms",
            "runs": job["runs"],
            "last_error": job["last_error"] or "",
        }
        for job in jobs
    ]


def refresh_rows(health: Mapping[str, Any], *, now: datetime, tz: ZoneInfo) -> list[dict[str, Any]]:
    """The newest recompute per data type."""
    return [
        {"type": kind, "ago": fmt_age(_age_of(at, now)), "at": _local_time(at, tz)}
        for kind, at in sorted(health.get("last_refresh", {}).items())
    ]


def _table(columns: list[dict[str, Any]], row_key: str, *, rows_per_page: int = 0) -> ui.table:
    pagination = {"rowsPerPage": rows_per_page} if rows_per_page else 0
    props = "flat dense wrap-cells" + ("" if rows_per_page else " hide-bottom")
    return (
        ui.table(columns=columns, rows=[], row_key=row_key, pagination=pagination)
        .props(props)
        .classes("w-full")
    )


def _left(name: str, label: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "label": label, "field": name, "align": "left", **extra}


def _right(name: str, label: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "label": label, "field": name, "align": "right", **extra}


KEY_COLUMNS = [
    _left("key", "Key", sortable=True),
    _right("version", "Version"),
    _right("age", "Age", sortable=True, **{":sort": "(a, b, ra, rb) => ra.age_s - rb.age_s"}),
    _right("ttl", "TTL"),
    _right("subscribers", "Subscribers", sortable=True),
    _right("hits", "Hits", sortable=True),
    _right("misses", "Misses", sortable=True),
    _left("state", "State", sortable=True),
    _left("last_error", "Last error"),
]
JOB_COLUMNS = [
    _left("name", "Job"),
    _right("next_run", "Next run"),
    _right("last_run", "Last run"),
    _right("duration", "Last duration"),
    _right("runs", "Runs"),
    _left("last_error", "Last error"),
]
REFRESH_COLUMNS = [_left("type", "Data type"), _right("ago", "Last recompute"), _left("at", "At")]

_STATE_CELL = r"""
<q-td :props="props">
  <span :class="'wh-rag ' + ({fresh: 'wh-rag-green', stale: 'wh-rag-amber',
                              failing: 'wh-rag-red'})[props.row.state]">
    {{ ({fresh: '●', stale: '▲', failing: '■'})[props.row.state] }} {{ props.row.state }}
  </span>
</q-td>
"""

_ERROR_CELL = r"""
<q-td :props="props"><span class="text-negative">{{ props.row.last_error }}</span></q-td>
"""


@dataclass
class Tables:
    keys: ui.table
    jobs: ui.table
    refreshes: ui.table


def build_tables(model: StatusModel) -> Tables:
    with section("Live store keys"):
        keys = tid(_table(KEY_COLUMNS, "key", rows_per_page=25), "status-keys-table")
        keys.add_slot("body-cell-state", _STATE_CELL)
        keys.add_slot("body-cell-last_error", _ERROR_CELL)
        ui.label("Nothing cached yet.").classes("wh-empty").bind_visibility_from(model, "no_keys")
    with ui.element("div").classes("w-full grid grid-cols-1 lg:grid-cols-2 gap-4"):
        with section("Scheduler jobs"):
            jobs = tid(_table(JOB_COLUMNS, "name"), "status-jobs-table")
            jobs.add_slot("body-cell-last_error", _ERROR_CELL)
            ui.label("The scheduler is not running.").classes("wh-empty").bind_visibility_from(
                model, "no_jobs"
            )
        with section("Recomputes per data type"):
            refreshes = tid(_table(REFRESH_COLUMNS, "type"), "status-refresh-table")
    return Tables(keys=keys, jobs=jobs, refreshes=refreshes)


def build_summary(model: StatusModel) -> None:
    with ui.element("div").classes("wh-kpis"):
        kpi_tile("Store", "status-health", model, "health", "ok, or degraded while a key fails")
        kpi_tile("Events published", "status-events", model, "events", "the hub's seq")
        kpi_tile("Connected clients", "status-connected", model, "connected")
        kpi_tile("Cached keys", "status-cache-size", model, "cache_size")
        kpi_tile("Subscriptions", "status-subscriptions", model, "subscriptions")
        kpi_tile("Cache hit rate", "status-hit-rate", model, "hit_rate")


def show(system: System, model: StatusModel, tables: Tables) -> None:
    """Read the store, the scheduler and the hub (in-process, cheap) into the page."""
    stats = system.store.stats()
    health = system.store.connection_health()
    now = system.clock.now()
    hits, misses = stats["hits"], stats["misses"]
    model.health = "degraded" if stats["degraded"] else "ok"
    model.events = str(system.hub.seq)
    model.connected = str(health["connected"])
    model.cache_size = str(stats["cache_size"])
    model.subscriptions = str(health["subscriptions"])
    model.hit_rate = fmt_pct(hits / (hits + misses)) if hits + misses else "—"
    scheduler = system.scheduler
    jobs = scheduler.job_stats() if scheduler is not None else []
    _replace_rows(tables.keys, key_rows(stats))
    _replace_rows(tables.jobs, job_rows(jobs, tz=system.tz))
    _replace_rows(tables.refreshes, refresh_rows(health, now=now, tz=system.tz))
    model.no_keys = not tables.keys.rows
    model.no_jobs = not jobs


def _replace_rows(table: ui.table, rows: list[dict[str, Any]]) -> None:
    if rows != table.rows:  # unchanged tables send nothing
        table.rows = rows
        table.update()


def register(system: System) -> None:
    @ui.page("/status", title="Status · WorksHub", reconnect_timeout=60)
    async def status_page() -> RedirectResponse | None:
        viewer = await current_viewer(system)
        if viewer is None:
            return RedirectResponse("/login")
        if viewer.role not in STATUS_ROLES:
            return RedirectResponse(HOME_BY_ROLE[viewer.role])
        page = LivePage(system, viewer)
        model = StatusModel()
        with frame(page, title="Status", active="/status"):
            ui.label(
                "The live layer of this process, refreshed every 2 s. Ages are since each "
                "snapshot was computed."
            ).classes("wh-subtitle")
            build_summary(model)
            tables = build_tables(model)
        show(system, model, tables)
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            ticks += 1
            if ticks % RECHECK_EVERY_TICKS == 0:
                me = await current_viewer(system)
                if me is None or me.role not in STATUS_ROLES:
                    timer.cancel()
                    ui.navigate.to("/login" if me is None else HOME_BY_ROLE[me.role])
                    return
            show(system, model, tables)

        timer = ui.timer(TICK_S, tick)
        return None
