"""Real Chromium pages (Debian's, driven by Playwright): the cross-check of the emulated
dashboards, and time to interactive for the page scenario.

A watcher page records, in the page itself, when the watched element's rows changed in the
page's state, whether NiceGUI's `update` or WorksHub's `wh_live` brought them
(`performance.timeOrigin + performance.now()`, epoch ms, comparable with the orchestrator's
`time.time()`), and the row keys it showed.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, BrowserContext, Page, async_playwright

__all__ = [
    "CHROMIUM",
    "available",
    "browser",
    "interactive_ms",
    "open_watcher",
    "set_session",
    "signed_in_context",
    "watcher_states",
]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 30_000
# Interactive: NiceGUI's handshake is done, the header says live, and no table is loading.
INTERACTIVE = """() => window.did_handshake === true
  && document.querySelector('[data-testid="connection-status"]')?.textContent.trim() === 'live'
  && !document.querySelector('.q-table--loading')"""
WATCH = """([testId, rowKey]) => {
  const element = Object.entries(mounted_app.elements)
    .find(([, e]) => (e.props || {})['data-testid'] === testId);
  if (!element) return false;
  const id = element[0];
  window.__bench = [];
  // Whatever brings the rows (NiceGUI's update, WorksHub's wh_live broadcast), record when
  // the page's own state for the element changed.
  const rows = () => {
    const el = mounted_app.elements[id];
    if (!el || !el.props || el.props.loading || !Array.isArray(el.props.rows)) return null;
    return el.props.rows.map((row) => row[rowKey]).join(',');
  };
  Vue.watch(rows, (keys) => {
    if (keys === null) return;
    const at = performance.timeOrigin + performance.now();
    window.__bench.push([at, keys === '' ? [] : keys.split(',').map(Number)]);
  }, { flush: 'sync' });
  return true;
}"""


def available() -> bool:
    return CHROMIUM.exists()


@asynccontextmanager
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            await chromium.close()


async def signed_in_context(chromium: Browser, base_url: str, cookie: str | None) -> BrowserContext:
    context = await chromium.new_context(base_url=base_url)
    context.set_default_timeout(TIMEOUT_MS)
    if cookie is not None:
        await set_session(context, base_url, cookie)
    return context


async def set_session(context: BrowserContext, base_url: str, cookie: str) -> None:
    """Replace the context's cookies with one signed-in session's."""
    name, _, value = cookie.partition("=")
    await context.clear_cookies()
    await context.add_cookies([{"name": name, "value": value, "url": base_url}])


async def interactive_ms(context: BrowserContext, path: str) -> float:
    """From navigation start to interactive (see INTERACTIVE), in a fresh tab."""
    page = await context.new_page()
    try:
        started = time.monotonic()
        await page.goto(path)
        await page.wait_for_function(INTERACTIVE, timeout=TIMEOUT_MS)
        return (time.monotonic() - started) * 1000
    finally:
        await page.close()


async def open_watcher(context: BrowserContext, path: str, *, test_id: str, row_key: str) -> Page:
    """A page that records every arrival of `test_id`'s rows; ready once it is interactive."""
    page = await context.new_page()
    await page.goto(path)
    await page.wait_for_function(INTERACTIVE, timeout=TIMEOUT_MS)
    if not await page.evaluate(WATCH, [test_id, row_key]):
        raise RuntimeError(f"{path} has no data-testid={test_id}")
    return page


async def watcher_states(page: Page) -> list[tuple[float, list[Any]]]:
    """(epoch seconds, row keys) for each arrival recorded so far."""
    raw = await page.evaluate("() => window.__bench || []")
    return [(at / 1000, rows) for at, rows in raw]
