"""Under overload, dashboards follow a stream of writes less often, so the writes keep the CPU.

The live store paces each key's change-driven recomputes (`follow_up_gap_s`, 100 ms). At
saturation a recompute round — the recompute, the broadcast's bookkeeping per page, a frame to
every page — costs ~40 ms with 200 pages watching, ten times a second: 40–50 % of the core the
writes need. The governor samples the process's CPU share and, above `BUSY`, stretches the gap
towards `MAX_GAP_S`; below it the gap is back to 100 ms at once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from workshub.live.store import FOLLOW_UP_GAP_S, LiveStore

__all__ = ["BUSY", "MAX_GAP_S", "gap_for", "govern"]

BUSY = 0.7  # the process's CPU share (of one core) above which the gap grows
MAX_GAP_S = 0.4
SAMPLE_S = 0.2


def gap_for(cpu_share: float) -> float:
    """The follow-up gap for a CPU share: 100 ms up to BUSY, then growing to MAX_GAP_S at 1."""
    if cpu_share <= BUSY:
        return FOLLOW_UP_GAP_S
    over = min(1.0, (cpu_share - BUSY) / (1.0 - BUSY))
    return FOLLOW_UP_GAP_S + (MAX_GAP_S - FOLLOW_UP_GAP_S) * over


async def govern(
    store: LiveStore,
    *,
    every_s: float = SAMPLE_S,
    cpu: Callable[[], float] = time.process_time,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Run forever (cancel it to stop), setting the store's gap from the last sample."""
    last_cpu, last_at = cpu(), clock()
    while True:
        await asyncio.sleep(every_s)
        now_cpu, now_at = cpu(), clock()
        elapsed = now_at - last_at
        if elapsed > 0:
            store.follow_up_gap_s = gap_for((now_cpu - last_cpu) / elapsed)
        last_cpu, last_at = now_cpu, now_at
