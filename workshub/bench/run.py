"""One bench run: prepare the data, run the asked scenarios, return the report (a dict that
`report` renders as a table and writes as JSON).

The server scenarios share one `workshub serve` on a private copy of the dataset, in this
order: sign-ins, memory at rest, N dashboards connected (memory), push (with the Chromium
cross-check), writes (the dashboards still connected), then the page scenario. The floor runs
after the server has stopped, so the two never share the machine.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from playwright.async_api import Page

from workshub.bench import chromium
from workshub.bench.api_writes import WriteResult, project_for, stop_all
from workshub.bench.cast import Cast, prepare_cast, trackable_project
from workshub.bench.dataset import DB_NAME, Dataset, cached_dataset, working_copy
from workshub.bench.figures import compare, floor_figures, marginal_cpu, push_figures
from workshub.bench.loadgen import LoadConfig
from workshub.bench.options import BenchOptions
from workshub.bench.pages import page_phase
from workshub.bench.processes import LoadGenerator, Server, floor_server, workshub_server
from workshub.bench.profiling import ServerProfile
from workshub.bench.push import (
    PushRecord,
    cast_summary,
    floor_phase,
    payloads_per_write,
    push_phase,
    write_plan,
)
from workshub.bench.rawhttp import Connections
from workshub.bench.recompute import measure_recompute
from workshub.bench.signin import BrowserSession, sign_in
from workshub.bench.throughput import closed_loop, open_loop
from workshub.clock import SystemClock
from workshub.db import create_db_engine
from workshub.domain.seed import DEMO_LOGINS, DEMO_PASSWORD
from workshub.progress import ProgressBar
from workshub.settings import Settings

__all__ = ["run_bench"]

WATCH = "active-timers-list"
ROW_KEY = "entry_id"
CROSS_CHECK_WRITES = 40
# Kept-alive connections for the API writes: requests beyond them wait client-side, counted
# from their scheduled time in the open loop (as wrk2 does).
WRITE_CONNECTIONS = 32


class _Say:
    """Progress lines on stderr, stamped with the seconds since the run began."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.started = time.monotonic()

    def __call__(self, message: str) -> None:
        if self.enabled:
            stamp = time.monotonic() - self.started
            print(f"[{stamp:7.1f} s] {message}", file=sys.stderr, flush=True)


def run_bench(options: BenchOptions) -> dict[str, Any]:
    say = _Say(options.progress)
    tz = ZoneInfo(Settings().timezone)
    now = SystemClock().now()
    report: dict[str, Any] = {"options": options.as_dict(), "results": {}}
    results: dict[str, Any] = report["results"]
    with tempfile.TemporaryDirectory(prefix="workshub-bench-") as scratch:
        work = Path(scratch)
        if any(options.wants(s) for s in ("push", "writes", "page")):
            say(f"dataset: {options.profile}")
            dataset = cached_dataset(
                options.cache_dir,
                profile=options.profile,
                now=now,
                tz=tz,
                progress=options.progress,
            )
            report["dataset"] = dataset.as_dict()
            results.update(asyncio.run(_server_scenarios(options, dataset, work, say=say)))
        if options.wants("recompute"):
            results["recompute"] = _recompute_sizes(options, work, now=now, tz=tz, say=say)
    say("done")
    return report


# --- the server scenarios ----------------------------------------------------------------------


def _cast(data_dir: Path, today: date) -> Cast:
    engine = create_db_engine(f"sqlite:///{data_dir / DB_NAME}")
    try:
        return prepare_cast(engine, today=today)
    finally:
        engine.dispose()


async def _sessions(
    base_url: str, count: int
) -> tuple[list[BrowserSession], dict[str, BrowserSession]]:
    """`count` browsers signed in as the manager, and one per role for the page scenario."""
    managers = [await sign_in(base_url, "manager@demo.test", DEMO_PASSWORD) for _ in range(count)]
    roles = {
        role.value: await sign_in(base_url, email, DEMO_PASSWORD) for email, role in DEMO_LOGINS
    }
    return managers, roles


async def _server_scenarios(
    options: BenchOptions, dataset: Dataset, work: Path, *, say: Callable[[str], None]
) -> dict[str, Any]:
    data_dir = working_copy(dataset, work / "server")
    today = datetime.now(ZoneInfo(Settings().timezone)).date()
    cast = _cast(data_dir, today)
    results: dict[str, Any] = {}
    floor_input: dict[str, Any] | None = None
    say("starting workshub serve")
    with workshub_server(data_dir) as server:
        async with Connections(server.url, size=WRITE_CONNECTIONS) as http:
            project_id = await project_for(http, cast.team_writers[0])
            await stop_all(http, cast.team_writers)
            say(f"signing in {options.sessions} manager browsers and one per role")
            managers, roles = await _sessions(server.url, max(1, options.sessions))
            if options.wants("push") or options.wants("writes"):
                connected, floor_input = await _with_dashboards(
                    options, server, http, cast, managers, project_id, work, say=say
                )
                results.update(connected)
            if options.wants("page"):
                say("page: server HTML and time to interactive per role")
                results["page"] = await page_phase(
                    server.url,
                    roles,
                    gets=options.page_gets,
                    browser_loads=options.page_loads if chromium.available() else 0,
                    settle_s=options.settle_s,
                )
    if floor_input is not None and "push" in results:
        say(f"floor: plain python-socketio to {options.dashboards} clients")
        results["push"]["floor"] = await _floor(options, work, floor_input)
        compare(results["push"])
    return results


async def _with_dashboards(
    options: BenchOptions,
    server: Server,
    http: Connections,
    cast: Cast,
    managers: list[BrowserSession],
    project_id: int,
    work: Path,
    *,
    say: Callable[[str], None],
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    n = options.dashboards
    baseline = None
    if options.wants("push"):
        say("push baseline: the same writes with one dashboard connected")
        baseline = await _one_dashboard(options, server, http, cast, managers, project_id, work)
    rss_idle = server.rss()  # after the baseline's writes filled the caches: dashboards alone
    config = LoadConfig(
        mode="nicegui",
        base_url=server.url,
        clients=n,
        out=str(work / "nicegui-records.json"),
        path=managers[0].home,
        cookies=[m.cookie for m in managers],
        watch=WATCH,
        row_key=ROW_KEY,
    )
    loadgen = LoadGenerator(config, work_dir=work)
    say(f"connecting {n} dashboards ({managers[0].home}) from the load generator")
    ready = await loadgen.start()
    if ready["ready"] < n:
        await loadgen.kill()
        raise RuntimeError(f"only {ready['ready']} of {n} dashboards became ready: {ready}")
    await asyncio.sleep(options.settle_s)
    rss_connected = server.rss()
    memory = {
        "idle_rss_mb": round(rss_idle / 2**20, 1),
        "connected_rss_mb": round(rss_connected / 2**20, 1),
        "kb_per_dashboard": round((rss_connected - rss_idle) / n / 1024, 1),
    }
    say(f"{n} dashboards ready in {ready['connect_s']} s; {memory['kb_per_dashboard']} KB each")
    results: dict[str, Any] = {}
    floor_input = None
    if options.wants("push"):
        # Chromium first, on its own writes: open during the measured writes, its rendering
        # would share the machine's two cores with the server and the load generator.
        browser_writes, browser_states = await _cross_check(
            options, server, http, cast, managers[0], project_id, loadgen.pid, say=say
        )
        plan = write_plan(cast.team_writers, options.writes)
        say(f"push: {len(plan)} timer writes at {options.rate}/s")
        profile = _profile(options, server, "push", seconds=len(plan) / options.rate + 1)
        with ProgressBar(len(plan), label="Writes", enabled=options.progress) as bar:
            push = await push_phase(
                server,
                http,
                plan=plan,
                project_id=project_id,
                rate=options.rate,
                loadgen_pid=loadgen.pid,
                settle_s=options.settle_s,
                on_write=bar.advance,
            )
        results["push"] = {
            "cast": cast_summary(cast),
            "baseline": baseline,
            "memory": memory,
            "raw": push,
            "browser_states": browser_states,
            "browser_writes": browser_writes,
            "profile": profile.finish() if profile is not None else None,
        }
    if options.wants("writes"):
        results["writes"] = await _writes(options, server, http, cast, project_id, say=say)
    say("collecting the dashboards' records")
    records = await loadgen.finish()
    if "push" in results:
        push = results["push"]
        raw: PushRecord = push.pop("raw")
        push.update(
            push_figures(
                raw,
                records,
                dashboards=options.dashboards,
                rate=options.rate,
                browser_states=push.pop("browser_states"),
                browser_writes=push.pop("browser_writes"),
            )
        )
        marginal_cpu(push, push.pop("baseline", None), options.dashboards)
        floor_input = {
            "watch_id": records["watch_id"],
            "watch_tag": records["watch_tag"],
            "writes": raw.writes,
            "batches": payloads_per_write(
                raw.writes,
                records["captured"],
                watch_id=records["watch_id"],
                watch_tag=records["watch_tag"],
                row_key=ROW_KEY,
            ),
        }
    else:
        results["memory"] = memory
    return results, floor_input


@asynccontextmanager
async def _watchers(
    options: BenchOptions, base_url: str, session: BrowserSession
) -> AsyncIterator[list[Page]]:
    """The Chromium cross-check pages (none without Chromium or when not asked)."""
    count = options.chromium_pages if chromium.available() else 0
    if count <= 0:
        yield []
        return
    async with chromium.browser() as browser:
        context = await chromium.signed_in_context(browser, base_url, session.cookie)
        try:
            yield [
                await chromium.open_watcher(context, session.home, test_id=WATCH, row_key=ROW_KEY)
                for _ in range(count)
            ]
        finally:
            await context.close()


def _profile(
    options: BenchOptions, server: Server, name: str, *, seconds: float
) -> ServerProfile | None:
    """py-spy on the server for `seconds`, when asked (`--profile-server`)."""
    if not options.profile_server:
        return None
    profile = ServerProfile(server.process.pid, options.out_dir, name=name)
    profile.start(seconds=seconds)
    return profile


async def _writes(
    options: BenchOptions,
    server: Server,
    http: Connections,
    cast: Cast,
    project_id: int,
    *,
    say: Callable[[str], None],
) -> dict[str, Any]:
    count = int(options.write_rate * options.write_seconds)
    say(f"writes: open loop at {options.write_rate}/s for {options.write_seconds} s")
    profile = _profile(options, server, "writes", seconds=options.write_seconds)
    await http.open_all("/api/v1/health")  # idle since the set-up: the server closed some
    cpu_before = server.cpu_s()
    with ProgressBar(count, label="Writes", enabled=options.progress) as bar:
        target = await open_loop(
            http,
            cast.writers,
            project_id=project_id,
            rate=options.write_rate,
            seconds=options.write_seconds,
            on_write=bar.advance,
        )
    target["server_cpu_ms_per_request"] = _cpu_per_request(server, cpu_before, target)
    say(f"writes: {options.workers} workers as fast as they go for {options.write_seconds} s")
    cpu_before = server.cpu_s()
    saturation = await closed_loop(
        http,
        cast.writers,
        project_id=project_id,
        workers=options.workers,
        seconds=options.write_seconds,
    )
    saturation["server_cpu_ms_per_request"] = _cpu_per_request(server, cpu_before, saturation)
    await stop_all(http, cast.writers)
    return {
        "dashboards": options.dashboards,
        "open_loop": target,
        "saturation": saturation,
        "profile": profile.finish() if profile is not None else None,
    }


def _cpu_per_request(server: Server, cpu_before: float, phase: dict[str, Any]) -> float | None:
    """The server's CPU (all threads: the requests, the recomputes and pushes they caused)
    over the phase, per request answered: steadier than requests per second on a busy box."""
    if not phase["ok"]:
        return None
    return round((server.cpu_s() - cpu_before) * 1000 / phase["ok"], 2)


async def _cross_check(
    options: BenchOptions,
    server: Server,
    http: Connections,
    cast: Cast,
    manager: BrowserSession,
    project_id: int,
    loadgen_pid: int,
    *,
    say: Callable[[str], None],
) -> tuple[list[WriteResult], list[list[tuple[float, list[Any]]]]]:
    """A few real Chromium pages on the same page, with the emulated dashboards connected,
    and a short run of the same writes: what a browser shows, against what they record."""
    async with _watchers(options, server.url, manager) as pages:
        if not pages:
            return [], []
        plan = write_plan(cast.team_writers, min(options.writes, CROSS_CHECK_WRITES))
        say(f"Chromium cross-check: {len(pages)} pages, {len(plan)} writes")
        raw = await push_phase(
            server,
            http,
            plan=plan,
            project_id=project_id,
            rate=options.rate,
            loadgen_pid=loadgen_pid,
            settle_s=options.settle_s,
        )
        states = [await chromium.watcher_states(page) for page in pages]
    await stop_all(http, cast.team_writers)
    return raw.writes, states


async def _one_dashboard(
    options: BenchOptions,
    server: Server,
    http: Connections,
    cast: Cast,
    managers: list[BrowserSession],
    project_id: int,
    work: Path,
) -> dict[str, Any]:
    """The server's CPU for the push's writes (the API request, the recomputes) with one
    dashboard watching: subtracted from the run with N, it leaves what N − 1 more viewers
    cost — the per-viewer cost the floor is compared with."""
    config = LoadConfig(
        mode="nicegui",
        base_url=server.url,
        clients=1,
        out=str(work / "baseline-records.json"),
        path=managers[0].home,
        cookies=[managers[0].cookie],
        watch=WATCH,
        row_key=ROW_KEY,
        capture_first=False,
    )
    loadgen = LoadGenerator(config, work_dir=work)
    ready = await loadgen.start()
    if ready["ready"] < 1:
        await loadgen.kill()
        raise RuntimeError(f"the baseline dashboard did not become ready: {ready}")
    plan = write_plan(cast.team_writers, options.writes)
    raw = await push_phase(
        server,
        http,
        plan=plan,
        project_id=project_id,
        rate=options.rate,
        loadgen_pid=loadgen.pid,
        settle_s=options.settle_s,
    )
    await loadgen.finish()
    await stop_all(http, cast.team_writers)
    duration = raw.ended - raw.started
    return {
        "writes_ok": sum(1 for w in raw.writes if w.ok),
        "seconds": round(duration, 2),
        "server_cpu_s": round(raw.cpu_s, 3),
        "net_cpu_s": round(raw.cpu_s - raw.idle_cpu_per_s * duration, 3),
    }


async def _floor(options: BenchOptions, work: Path, floor_input: dict[str, Any]) -> dict[str, Any]:
    """The same payloads as dashboard 0 received, per write and at the writes' own pace."""
    n = options.dashboards
    writes: list[WriteResult] = floor_input["writes"]
    with floor_server(work) as floor:
        config = LoadConfig(
            mode="floor",
            base_url=floor.url,
            clients=n,
            out=str(work / "floor-records.json"),
            watch_id=floor_input["watch_id"],
            watch_tag=floor_input["watch_tag"],
            row_key=ROW_KEY,
            capture_first=False,
        )
        loadgen = LoadGenerator(config, work_dir=work)
        ready = await loadgen.start()
        if ready["ready"] < n:
            await loadgen.kill()
            raise RuntimeError(f"only {ready['ready']} of {n} floor clients connected: {ready}")
        await asyncio.sleep(options.settle_s)
        record, records = await floor_phase(
            floor,
            loadgen,
            batches=floor_input["batches"],
            offsets=[w.sent_at - writes[0].sent_at for w in writes],
            settle_s=options.settle_s,
        )
    return floor_figures(record, records, writes, clients=n)


# --- recompute -----------------------------------------------------------------------------------


def _recompute_sizes(
    options: BenchOptions, work: Path, *, now: datetime, tz: ZoneInfo, say: Callable[[str], None]
) -> list[dict[str, Any]]:
    results = []
    for size in options.recompute_sizes:
        dataset = cached_dataset(
            options.cache_dir,
            profile=options.profile,
            now=now,
            tz=tz,
            target_entries=size,
            progress=options.progress,
        )
        say(f"recompute: {dataset.name} ({dataset.entries:,} entries)")
        data_dir = working_copy(dataset, work / f"recompute-{dataset.name}")
        engine = create_db_engine(f"sqlite:///{data_dir / DB_NAME}")
        try:
            cast = prepare_cast(engine, today=now.astimezone(tz).date(), max_writers=1)
            writer = cast.team_writers[0]
            measured = measure_recompute(
                engine,
                tz=tz,
                team_id=cast.team_id,
                writer_id=writer.user_id,
                project_id=trackable_project(engine, writer.user_id, now=now, client_work=True),
                repeats=options.recompute_repeats,
                writes=options.recompute_writes,
            )
        finally:
            engine.dispose()
        results.append({"dataset": dataset.as_dict(), **measured})
    return results
