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

And it gives freed heap back to the system. Building a page makes far more short-lived objects
than the page keeps; glibc's malloc keeps the pages they freed, so a burst of 200 dashboards
opening left ~5 MB of free heap counted in the process's memory (~14 KB per dashboard of the
~245 measured; SPEC §9's bar is 250 KB). `HeapTrimmer` calls glibc's `malloc_trim` once pages
have stopped opening (a client connects) or closing (a client is deleted, its elements with it)
for `TRIM_AFTER_S`, and after every full collection: ~1–2 ms
with 200 pages open. Where the C library has no `malloc_trim` (not glibc), it does nothing.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import gc
import logging
import time
from collections.abc import Callable

__all__ = [
    "FULL_EVERY_S",
    "TRIM_AFTER_S",
    "HeapTrimmer",
    "collect_periodically",
    "settle_startup",
    "trim_heap",
]

log = logging.getLogger(__name__)

FULL_EVERY_S = 300.0
NEVER = 2**30  # generation-1 collections before CPython starts a full one by itself
TRIM_AFTER_S = 2.0  # quiet time after pages open or close before the heap is trimmed


def _find_malloc_trim() -> Callable[[int], int] | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim: Callable[[int], int] = libc.malloc_trim
    except (OSError, AttributeError):  # not glibc: musl, macOS, Windows
        return None
    return trim


_MALLOC_TRIM = _find_malloc_trim()


def trim_heap() -> bool:
    """Return the C heap's free pages to the system; False where the C library can't."""
    if _MALLOC_TRIM is None:
        return False
    _MALLOC_TRIM(0)
    return True


class HeapTrimmer:
    """Trims the heap once things are quiet: `poke()` when a page's client connects or is
    deleted; the trim runs `delay_s` after the last poke (a burst of pages opening trims once)."""

    def __init__(self, delay_s: float = TRIM_AFTER_S, trim: Callable[[], object] = trim_heap):
        self.delay_s = delay_s
        self._trim = trim
        self._pending: asyncio.TimerHandle | None = None

    def poke(self) -> None:
        if self._pending is not None:
            self._pending.cancel()
        self._pending = asyncio.get_running_loop().call_later(self.delay_s, self._run)

    def _run(self) -> None:
        self._pending = None
        self._trim()

    def cancel(self) -> None:
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None


def settle_startup() -> None:
    """Collect and freeze what start-up made; from now on full collections are ours."""
    gc.collect()
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, NEVER)
    log.info("froze %d start-up objects out of the garbage collector", gc.get_freeze_count())


def collect_fully() -> None:
    """One full collection and a heap trim, logged with what the collection freed and how long
    both paused the process."""
    started = time.perf_counter()
    found = gc.collect()
    trim_heap()
    pause_ms = (time.perf_counter() - started) * 1000
    log.info("full garbage collection: %d objects freed, %.0f ms", found, pause_ms)


async def collect_periodically(every_s: float = FULL_EVERY_S) -> None:
    """Run forever (cancel it to stop): a full collection every `every_s` seconds."""
    while True:
        await asyncio.sleep(every_s)
        collect_fully()
