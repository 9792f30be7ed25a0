"""The live governor: a busy process stretches the store's pacing gap, a quiet one restores it."""

from __future__ import annotations

import asyncio
import itertools
from zoneinfo import ZoneInfo

import pytest

from workshub.clock import FakeClock
from workshub.live.governor import BUSY, MAX_GAP_S, gap_for, govern
from workshub.live.store import FOLLOW_UP_GAP_S, LiveStore


def test_the_gap_is_the_usual_one_until_busy_then_grows_to_its_cap() -> None:
    assert gap_for(0.0) == gap_for(BUSY) == FOLLOW_UP_GAP_S
    halfway = BUSY + (1 - BUSY) / 2
    assert gap_for(halfway) == pytest.approx((FOLLOW_UP_GAP_S + MAX_GAP_S) / 2)
    assert gap_for(1.0) == gap_for(1.8) == MAX_GAP_S  # threads can take more than one core


async def test_the_store_follows_the_process_cpu_share(clock: FakeClock) -> None:
    store = LiveStore(lambda key, now: {}, clock=clock, tz=ZoneInfo("UTC"))
    # CPU seconds used per sample of one (fake) second: busy, busy, then quiet from then on
    used = itertools.chain([0.0, 1.0, 2.0], itertools.count(2.1, 0.1))
    samples = itertools.count(0.0, 1.0)
    seen: list[float] = []

    async def watch() -> None:
        while len(seen) < 3:
            await asyncio.sleep(0.001)
            if not seen or seen[-1] != store.follow_up_gap_s:
                seen.append(store.follow_up_gap_s)

    task = asyncio.create_task(
        govern(store, every_s=0.01, cpu=lambda: next(used), clock=lambda: next(samples))
    )
    await asyncio.wait_for(watch(), 2.0)
    task.cancel()
    assert seen == [FOLLOW_UP_GAP_S, MAX_GAP_S, FOLLOW_UP_GAP_S]
