"""The garbage collector of a process that holds hundreds of live pages (SPEC §9 latency).

CPython's full (generation 2) collection walks every object the collector tracks, with the
event loop stopped. With 200 manager pages connected that is 200–270 ms, and under five writes
a second CPython started one every 5–15 s on its own (measured with `gc.callbacks` during the
push bench): those pauses were the p99 of every latency figure. They found next to nothing
(0–350 objects a run): pages, snapshots and requests are freed by reference counting.

So the process:
- freezes everything alive once it has started (modules, NiceGUI, SQLAlchemy's metadata, the
  seeded caches): no collection walks it again;
- keeps CPython's young-generation collections as they are, but never lets it start a full one;
- runs the full collection itself every `FULL_EVERY_S` (5 min), logging its pause, so cyclic
  garbage (a closed page leaves some) is freed within minutes, not never.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time

__all__ = ["FULL_EVERY_S", "collect_periodically", "settle_startup"]

log = logging.getLogger(__name__)

FULL_EVERY_S = 300.0
NEVER = 2**30  # generation-1 collections before CPython starts a full one by itself


def settle_startup() -> None:
    """Collect and freeze what start-up made; from now on full collections are ours."""
    gc.collect()
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, NEVER)
    log.info("froze %d start-up objects out of the garbage collector", gc.get_freeze_count())


def collect_fully() -> None:
    """One full collection, logged with what it freed and how long it paused the process."""
    started = time.perf_counter()
    found = gc.collect()
    pause_ms = (time.perf_counter() - started) * 1000
    log.info("full garbage collection: %d objects freed, %.0f ms", found, pause_ms)


async def collect_periodically(every_s: float = FULL_EVERY_S) -> None:
    """Run forever (cancel it to stop): a full collection every `every_s` seconds."""
    while True:
        await asyncio.sleep(every_s)
        collect_fully()
