"""The writes scenario: timer starts and stops through the API while the dashboards stay
connected. An open loop at the target rate (latency counted from each request's scheduled
time, so a server that falls behind shows it), then a closed loop of concurrent workers for the
saturation rate. Each person alternates start and stop, never two requests at once."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Sequence
from typing import Any

from workshub.bench.api_writes import Action, WriteResult, timer_write
from workshub.bench.cast import Writer
from workshub.bench.rawhttp import Connections
from workshub.bench.stats import summary

__all__ = ["closed_loop", "open_loop"]


class _People:
    """Whose turn it is and what they do next; one request per person at a time."""

    def __init__(self, writers: Sequence[Writer]) -> None:
        self.writers = list(writers)
        self.locks = {w.user_id: asyncio.Lock() for w in self.writers}
        self.next: dict[int, Action] = {w.user_id: "start" for w in self.writers}

    async def write(
        self,
        http: Connections,
        writer: Writer,
        *,
        project_id: int,
        deadline: float = math.inf,
    ) -> WriteResult | None:
        """One request for `writer`, after their previous one; None once past `deadline`."""
        async with self.locks[writer.user_id]:
            if time.monotonic() > deadline:
                return None
            action = self.next[writer.user_id]
            result = await timer_write(http, writer, action, project_id=project_id)
            if result.ok:
                self.next[writer.user_id] = "stop" if action == "start" else "start"
            return result


def _outcome(results: Sequence[WriteResult], seconds: float) -> dict[str, Any]:
    ok = [r for r in results if r.ok]
    statuses: dict[str, int] = {}
    for r in results:
        statuses[str(r.status)] = statuses.get(str(r.status), 0) + 1
    return {
        "requests": len(results),
        "ok": len(ok),
        "statuses": statuses,
        "seconds": round(seconds, 3),
        "achieved_per_s": round(len(ok) / seconds, 1) if seconds > 0 else None,
    }


async def open_loop(
    http: Connections,
    writers: Sequence[Writer],
    *,
    project_id: int,
    rate: float,
    seconds: float,
    on_write: Callable[[], None] = lambda: None,
) -> dict[str, Any]:
    """`rate` requests per second for `seconds`. A server that falls far behind does not keep
    the bench waiting: requests not sent within 3× the planned time are counted, not sent."""
    people = _People(writers)
    count = max(1, int(rate * seconds))
    start = time.monotonic() + 0.05
    deadline = start + max(3 * seconds, seconds + 10)
    latencies: list[float] = []
    by_second: dict[int, list[float]] = {}

    async def one(i: int, scheduled: float) -> WriteResult | None:
        writer = people.writers[i % len(people.writers)]
        result = await people.write(http, writer, project_id=project_id, deadline=deadline)
        if result is not None:
            latency = (result.answered_at - scheduled) * 1000
            latencies.append(latency)
            by_second.setdefault(int(scheduled - start), []).append(latency)
        on_write()
        return result

    # Each request's task is made at its time: making all of them up front kept this process's
    # loop busy for the first tens of milliseconds, and the first requests left late.
    tasks: list[asyncio.Task[WriteResult | None]] = []
    for i in range(count):
        scheduled = start + i / rate
        await asyncio.sleep(max(0.0, scheduled - time.monotonic()))
        tasks.append(asyncio.create_task(one(i, scheduled)))
    outcomes = await asyncio.gather(*tasks)
    results = [r for r in outcomes if r is not None]
    seconds_taken = max((r.answered_at for r in results), default=start) - start
    return {
        "target_per_s": rate,
        **_outcome(results, seconds_taken),
        "not_sent": count - len(results),
        "latency_ms": summary(latencies),
        "request_ms": summary(r.request_ms for r in results),
        # where the slow ones are: a start transient, or all along
        "p99_ms_by_second": [round(summary(v)["p99"], 1) for _, v in sorted(by_second.items())],
    }


async def closed_loop(
    http: Connections,
    writers: Sequence[Writer],
    *,
    project_id: int,
    workers: int,
    seconds: float,
    on_write: Callable[[], None] = lambda: None,
) -> dict[str, Any]:
    """`workers` loops, each over its own share of the people, as fast as answers come."""
    people = _People(writers)
    shares = [people.writers[i::workers] for i in range(workers)]
    deadline = time.monotonic() + seconds
    results: list[WriteResult] = []

    async def worker(share: list[Writer]) -> None:
        turn = 0
        while share and time.monotonic() < deadline:
            result = await people.write(http, share[turn % len(share)], project_id=project_id)
            if result is not None:  # always, without a deadline
                results.append(result)
            on_write()
            turn += 1

    started = time.monotonic()
    await asyncio.gather(*(worker(share) for share in shares))
    return {
        "workers": workers,
        **_outcome(results, time.monotonic() - started),
        "request_ms": summary(r.request_ms for r in results),
    }
