"""Browser end-to-end tests: one `workshub serve` (demo data) per test session, one Chromium per
module, a fresh browser context (cookies, storage) per test. Mark modules
`pytestmark = pytest.mark.browser`; tests leave the demo as they found it (stop their timers).

Chromium is Debian's (/usr/bin/chromium). Without it these tests skip locally and FAIL in CI
(CI=true): a browser suite that silently skips in CI proves nothing.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, sync_playwright

from tests.e2e import harness
from tests.e2e.harness import Server, launch, running_server

VIEWPORT: ViewportSize = {"width": 1400, "height": 900}


def require_chromium() -> None:
    """Skip without Chromium locally; fail in CI (CI=true), where skipping would hide it."""
    if harness.CHROMIUM.exists():
        return
    reason = f"browser tests need Chromium at {harness.CHROMIUM}"
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"{reason}; CI must not skip them", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """WorksHub with the demo organisation (~4 s to migrate, seed and start)."""
    require_chromium()
    with running_server(tmp_path_factory.mktemp("workshub")) as running:
        yield running


@pytest.fixture(scope="module")
def browser(server: Server) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def new_context(browser: Browser, server: Server) -> Iterator[Callable[[], BrowserContext]]:
    """Fresh contexts (separate sessions) on demand, all closed after the test."""
    contexts: list[BrowserContext] = []

    def make() -> BrowserContext:
        context = browser.new_context(viewport=VIEWPORT, base_url=server.url)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context: Callable[[], BrowserContext]) -> Page:
    return new_context().new_page()
