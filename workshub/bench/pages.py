"""The page scenario: each role's home page — the server's time to the whole HTML (a signed-in
GET, sequential, after one warm-up), and time to interactive in Chromium."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any

import httpx

from workshub.bench import chromium
from workshub.bench.signin import BrowserSession
from workshub.bench.stats import summary

__all__ = ["page_phase"]


async def html_ms(
    base_url: str, session: BrowserSession, *, gets: int, settle_s: float
) -> list[float]:
    """The first GET warms the page's code paths and starts its keys' first recomputes (a cold
    org key takes 40-120 ms of CPU in a worker thread); the measured GETs follow once those
    are done (`settle_s`), so the first role measured does not pay for its keys' cold start."""
    times = []
    headers = {"Cookie": session.cookie}
    async with httpx.AsyncClient(base_url=base_url, timeout=60.0) as http:
        for index in range(gets + 1):
            started = time.monotonic()
            response = await http.get(session.home, headers=headers)
            response.raise_for_status()
            if index:
                times.append((time.monotonic() - started) * 1000)
            else:
                await asyncio.sleep(settle_s)
    return times


async def page_phase(
    base_url: str,
    sessions: Mapping[str, BrowserSession],
    *,
    gets: int,
    browser_loads: int,
    settle_s: float,
) -> dict[str, Any]:
    """Per role: the home path, server HTML ms and (when Chromium is there) interactive ms."""
    results: dict[str, Any] = {}
    for role, session in sessions.items():
        results[role] = {
            "path": session.home,
            "html_ms": summary(await html_ms(base_url, session, gets=gets, settle_s=settle_s)),
        }
    if browser_loads <= 0 or not chromium.available():
        return results
    async with chromium.browser() as browser:
        # One context, so the browser's cache is warm for every role after the first load.
        context = await chromium.signed_in_context(browser, base_url, None)
        try:
            warm = True
            for role, session in sessions.items():
                await chromium.set_session(context, base_url, session.cookie)
                if warm:
                    await chromium.interactive_ms(context, session.home)
                    warm = False
                loads = [
                    await chromium.interactive_ms(context, session.home)
                    for _ in range(browser_loads)
                ]
                results[role]["interactive_ms"] = summary(loads)
        finally:
            await context.close()
    return results
