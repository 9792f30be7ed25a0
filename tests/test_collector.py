"""The server's garbage-collection policy (workshub.collector): CPython never starts a full
collection by itself, ours runs on schedule and frees what the young generations could not.

Run in a fresh interpreter: the policy changes process-wide state the test suite relies on."""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import asyncio, gc, weakref
    from workshub import collector

    full = []
    gc.callbacks.append(lambda phase, info: phase == "stop" and info["generation"] == 2
                        and full.append(1))

    class Node:
        pass

    def churn():
        keep = []
        for i in range(400_000):  # long-lived objects accumulate, as pages do
            keep.append([i])
        return keep

    def old_cycle():
        node = Node()
        node.me = node
        gc.collect(1)  # survives the young generations: it sits in the oldest one
        return weakref.ref(node)

    churn()
    print("full collections by CPython before:", len(full))

    collector.settle_startup()
    full.clear()
    ref = old_cycle()
    kept = churn()
    print("full collections by CPython after:", len(full))
    print("old cycle alive:", ref() is not None)
    print("threshold:", gc.get_threshold()[2] == collector.NEVER)

    async def one_period():
        try:
            await asyncio.wait_for(collector.collect_periodically(0.01), 0.2)
        except asyncio.TimeoutError:
            pass

    asyncio.run(one_period())
    print("old cycle alive after ours:", ref() is not None)
    """
)


def test_full_collections_run_on_our_schedule_only() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120, check=True
    )
    lines = dict(line.rsplit(": ", 1) for line in done.stdout.strip().splitlines())
    assert int(lines["full collections by CPython before"]) > 0  # the churn would trigger them
    assert lines["full collections by CPython after"] == "0"
    assert lines["old cycle alive"] == "True"
    assert lines["threshold"] == "True"
    assert lines["old cycle alive after ours"] == "False"


async def test_the_heap_is_trimmed_once_after_a_burst_of_pages() -> None:
    """Pages opening in a burst trim once, when they have stopped; each later burst again."""
    import asyncio

    from workshub.collector import HeapTrimmer

    trims: list[float] = []
    loop = asyncio.get_running_loop()
    trimmer = HeapTrimmer(delay_s=0.05, trim=lambda: trims.append(loop.time()))
    started = loop.time()
    for _ in range(5):  # five pages connecting 20 ms apart
        trimmer.poke()
        await asyncio.sleep(0.02)
    assert trims == []
    await asyncio.sleep(0.1)
    assert len(trims) == 1 and trims[0] - started >= 0.08 + 0.05 - 0.01
    trimmer.poke()
    trimmer.cancel()  # shutting down: nothing runs after
    await asyncio.sleep(0.1)
    assert len(trims) == 1


def test_trim_heap_works_on_glibc() -> None:
    import platform

    from workshub.collector import trim_heap

    assert trim_heap() is (platform.libc_ver()[0] == "glibc")
