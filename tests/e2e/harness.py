"""A real WorksHub for real browsers: `workshub serve` in a child process on a free port with the
demo seeded, and Debian's Chromium driven by Playwright. Shared by the e2e tests and the
README screenshot script."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, Locator, Page, Playwright, expect

from workshub.bench.chromium import CHROMIUM, CHROMIUM_ARGS
from workshub.bench.processes import Server, workshub_server

__all__ = [
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "DEMO_PASSWORD",
    "HOMES",
    "Server",
    "field",
    "launch",
    "open_page",
    "running_server",
    "sign_in",
    "wait_live",
]

DEMO_PASSWORD = "demo"
HOMES = {
    "admin@demo.test": "/leadership",
    "slt@demo.test": "/leadership",
    "manager@demo.test": "/team",
    "member@demo.test": "/today",
}


@contextmanager
def running_server(data_dir: Path, *, timeout: float = 60.0) -> Iterator[Server]:
    """`python -m workshub serve` with the demo on a free port; yields once it answers."""
    with workshub_server(data_dir, demo=True, timeout=timeout) as server:
        yield server


def launch(playwright: Playwright) -> Browser:
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


def wait_live(page: Page, *, timeout: float = 10_000) -> None:
    """The page is connected: NiceGUI's handshake done, the header badge says live."""
    expect(page.get_by_test_id("connection-status")).to_have_text("live", timeout=timeout)


def field(page: Page, test_id: str) -> Locator:
    """The native input of a Quasar field, wherever its data-testid landed."""
    return page.locator(f'input[data-testid="{test_id}"], [data-testid="{test_id}"] input').first


def open_page(page: Page, url: str) -> None:
    """Load a page and wait for NiceGUI's websocket handshake: clicks before it are lost."""
    page.goto(url)
    page.wait_for_function("window.did_handshake === true", timeout=10_000)


def sign_in(page: Page, base_url: str, email: str, password: str = DEMO_PASSWORD) -> None:
    """Through the real form; returns once the home page is connected."""
    open_page(page, f"{base_url}/login")
    field(page, "login-email").fill(email)
    field(page, "login-password").fill(password)
    page.get_by_test_id("login-submit").click()
    page.wait_for_url(lambda url: not url.endswith("/login"), timeout=10_000)
    wait_live(page)
