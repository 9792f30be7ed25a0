"""A real WorksHub for real browsers: `workshub serve` in a child process on a free port with the
demo seeded, and Debian's Chromium driven by Playwright. Shared by the e2e tests and the
README screenshot script."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from playwright.sync_api import Browser, Locator, Page, Playwright, expect

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

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEMO_PASSWORD = "demo"
HOMES = {
    "admin@demo.test": "/leadership",
    "slt@demo.test": "/leadership",
    "manager@demo.test": "/team",
    "member@demo.test": "/today",
}


@dataclass(frozen=True)
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log: Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def child_env() -> dict[str, str]:
    """Our environment without pytest's markers: NiceGUI will not serve under PYTEST_*."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.pop("NICEGUI_USER_SIMULATION", None)
    return env


def _stop(process: subprocess.Popen[bytes]) -> None:
    """The whole process group: uvicorn and any worker it started."""
    if process.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


@contextmanager
def running_server(data_dir: Path, *, timeout: float = 60.0) -> Iterator[Server]:
    """`python -m workshub serve` on a free port; yields once /api/v1/health answers."""
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = data_dir / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "workshub",
                "serve",
                "--port",
                str(port),
                "--data-dir",
                str(data_dir),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=child_env(),
            start_new_session=True,  # its own process group, so stopping it leaves nothing
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process, log, timeout=timeout)
        yield Server(url=url, process=process, log=log)
    finally:
        _stop(process)


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path, *, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"workshub exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/api/v1/health", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"workshub did not answer within {timeout:.0f} s:\n{log.read_text()}")


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
