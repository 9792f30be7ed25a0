"""The push scenario: timer starts and stops through the API at a set rate while N dashboards
(the team's manager's /team page) are connected; per write, from just before the request was
sent until the last dashboard showed it. Plus the server's CPU per change per viewer and its
memory per connected dashboard, and a few Chromium pages as a cross-check.

The floor replays, per write, the very `update` payloads dashboard 0 received for it, from a
plain python-socketio server to the same number of clients, at the same pace.
"""

from __future__ import annotations

import asyncio
import bisect
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
import psutil

from workshub.bench.api_writes import Action, WriteResult, timer_write
from workshub.bench.cast import Cast, Writer
from workshub.bench.loadgen import Watched, rows_of
from workshub.bench.processes import LoadGenerator, Server
from workshub.bench.rawhttp import Connections
from workshub.bench.stats import Expected, arrivals, summary

__all__ = [
    "FloorRecord",
    "Plan",
    "PushRecord",
    "analyse",
    "expected_of",
    "floor_phase",
    "payloads_per_write",
    "push_phase",
    "shown",
    "write_plan",
]

Say = Callable[[str], None]


@dataclass(frozen=True)
class Plan:
    writer: Writer
    action: Action


def write_plan(team: Sequence[Writer], count: int) -> list[Plan]:
    """Start every member's timer in turn, then stop them in turn, and again: the same entry is
    never started and stopped back to back, so no two writes collapse into one update."""
    cycle = [Plan(w, "start") for w in team] + [Plan(w, "stop") for w in team]
    return [cycle[i % len(cycle)] for i in range(count)]


@dataclass
class PushRecord:
    writes: list[WriteResult] = field(default_factory=list)
    started: float = 0.0
    ended: float = 0.0
    cpu_s: float = 0.0
    idle_cpu_per_s: float = 0.0
    loadgen_cpu_s: float = 0.0


async def _paced(count: int, rate: float, act: Callable[[int], Any]) -> None:
    """`act(i)` at start + i/rate, one after another (a late one goes at once)."""
    start = time.monotonic()
    for i in range(count):
        delay = start + i / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        await act(i)


async def idle_cpu_per_s(server: Server, seconds: float) -> float:
    """The server's CPU seconds per second while nothing is written (pings, timers)."""
    before, started = server.cpu_s(), time.monotonic()
    await asyncio.sleep(seconds)
    return (server.cpu_s() - before) / (time.monotonic() - started)


async def push_phase(
    server: Server,
    http: Connections,
    *,
    plan: Sequence[Plan],
    project_id: int,
    rate: float,
    loadgen_pid: int,
    settle_s: float,
    on_write: Callable[[], None] = lambda: None,
) -> PushRecord:
    """`settle_s`: how long the idle CPU is measured before, and the last pushes awaited after."""
    record = PushRecord()
    record.idle_cpu_per_s = await idle_cpu_per_s(server, settle_s)
    loadgen = psutil.Process(loadgen_pid)
    loadgen_before = sum(loadgen.cpu_times()[:2])
    cpu_before = server.cpu_s()
    record.started = time.monotonic()

    async def act(i: int) -> None:
        step = plan[i]
        record.writes.append(
            await timer_write(http, step.writer, step.action, project_id=project_id)
        )
        on_write()

    await _paced(len(plan), rate, act)
    await asyncio.sleep(settle_s)
    record.ended = time.monotonic()
    record.cpu_s = server.cpu_s() - cpu_before
    record.loadgen_cpu_s = sum(loadgen.cpu_times()[:2]) - loadgen_before
    return record


def is_shown(write: WriteResult) -> bool:
    """A write a dashboard can show: successful, with the entry it touched."""
    return write.ok and write.entry_id is not None


def shown(writes: Sequence[WriteResult]) -> list[WriteResult]:
    return [w for w in writes if is_shown(w)]


def expected_of(writes: Sequence[WriteResult], *, wall: bool = False) -> list[Expected]:
    """What each shown write should make a dashboard show, timed from its send (monotonic, or
    the wall clock for the browser's timestamps)."""
    return [
        Expected(
            sent_at=w.sent_wall if wall else w.sent_at,
            entry_id=w.entry_id,
            present=w.action == "start",
        )
        for w in shown(writes)
    ]


def analyse(
    expected: Sequence[Expected],
    clients: Sequence[Sequence[tuple[float, Sequence[Any]]]],
    *,
    answered: Sequence[float] | None = None,
    committed: Sequence[float] | None = None,
) -> dict[str, Any]:
    """Per write: when the first and the last dashboard had it (ms after the send), with
    `answered` (each write's answer time) the last dashboard's time after the API answered
    (negative when the push beat the answer), and with `committed` (each write's commit, from
    the server) the last dashboard's time after the commit: SPEC §9's latency."""
    per_client = [arrivals(expected, states) for states in clients]
    last, first, every, after_answer, after_commit = [], [], [], [], []
    missed = 0
    for index, want in enumerate(expected):
        times = [found[index] for found in per_client]
        if not times or any(t is None for t in times):
            missed += 1
            continue
        reached = [t for t in times if t is not None]
        delays = [(t - want.sent_at) * 1000 for t in reached]
        last.append(max(delays))
        first.append(min(delays))
        every.extend(delays)
        if answered is not None:
            after_answer.append((max(reached) - answered[index]) * 1000)
        if committed is not None:
            after_commit.append((max(reached) - committed[index]) * 1000)
    result = {
        "writes": len(expected),
        "missed": missed,
        "last_dashboard_ms": summary(last),
        "first_dashboard_ms": summary(first),
        "every_dashboard_ms": summary(every),
    }
    if answered is not None:
        result["last_dashboard_after_answer_ms"] = summary(after_answer)
    if committed is not None:
        result["last_dashboard_after_commit_ms"] = summary(after_commit)
    return result


def payloads_per_write(
    writes: Sequence[WriteResult],
    captured: Sequence[tuple[float, str, dict[str, Any]]],
    *,
    watch_id: str,
    watch_tag: str | None,
    row_key: str,
) -> list[list[tuple[str, dict[str, Any]]]]:
    """Dashboard 0's messages (`update`s and `wh_live` broadcasts), per write: those received
    after the previous write showed up to the one that showed this write (by content, not by
    clock, so a push slower than the writes' pace stays with its own write)."""
    watched = Watched(watch_id, {"props": {"data-wh-live": watch_tag}} if watch_tag else None)
    states = []
    for at, message_type, payload in captured:
        if watched.take(message_type, payload):
            rows = rows_of(watched.element, row_key)
            if rows is not None:
                states.append((at, rows))
    found = iter(arrivals(expected_of(writes), states))
    bounds: list[float] = []
    latest = -math.inf
    for write in writes:
        arrived = next(found) if is_shown(write) else None
        latest = max(latest, arrived) if arrived is not None else latest
        bounds.append(latest)
    batches: list[list[tuple[str, dict[str, Any]]]] = [[] for _ in writes]
    for at, message_type, payload in captured:
        if writes and at >= writes[0].sent_at:
            index = min(bisect.bisect_left(bounds, at), len(writes) - 1)
            batches[index].append((message_type, payload))
    return batches


@dataclass
class FloorRecord:
    sends: list[tuple[float, float]] = field(default_factory=list)  # (sent_at, answered_at)
    started: float = 0.0
    ended: float = 0.0
    cpu_s: float = 0.0
    idle_cpu_per_s: float = 0.0
    bytes_per_write: list[int] = field(default_factory=list)


async def floor_phase(
    floor: Server,
    loadgen: LoadGenerator,
    *,
    batches: Sequence[list[tuple[str, dict[str, Any]]]],
    offsets: Sequence[float],
    settle_s: float,
) -> tuple[FloorRecord, dict[str, Any]]:
    """Broadcast each write's payloads at its write's offset from the first (the push's own
    pace); returns the floor's numbers and the load generator's records."""
    record = FloorRecord()
    record.idle_cpu_per_s = await idle_cpu_per_s(floor, settle_s)
    bodies = [orjson.dumps({"messages": batch}) for batch in batches]
    record.bytes_per_write = [len(body) for body in bodies]
    cpu_before = floor.cpu_s()
    record.started = time.monotonic()
    async with httpx.AsyncClient(base_url=floor.url, timeout=60.0) as http:
        for body, offset in zip(bodies, offsets, strict=True):
            await asyncio.sleep(max(0.0, record.started + offset - time.monotonic()))
            sent = time.monotonic()
            response = await http.post("/broadcast", content=body)
            response.raise_for_status()
            record.sends.append((sent, time.monotonic()))
        await asyncio.sleep(settle_s)
    record.ended = time.monotonic()
    record.cpu_s = floor.cpu_s() - cpu_before
    return record, await loadgen.finish()


def cast_summary(cast: Cast) -> dict[str, Any]:
    return {
        "manager": cast.manager_email,
        "team_id": cast.team_id,
        "team_writers": len(cast.team_writers),
        "writers": len(cast.writers),
    }
