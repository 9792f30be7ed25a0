"""Live updates between browsers: what one person does shows on another's page without a reload."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.harness import Server, sign_in

pytestmark = pytest.mark.browser


def _running(page: Page, server: Server) -> bool:
    """The truth from the API (the page's button shows "Start" until its first snapshot)."""
    today = page.context.request.get(f"{server.url}/api/v1/dashboard/today")
    assert today.ok, today.text()
    return today.json()["data"]["running"] is not None


def _set_timer(page: Page, server: Server, *, running: bool) -> None:
    toggle = page.get_by_test_id("timer-toggle")
    if _running(page, server) != running:
        expect(toggle).to_have_text("Start" if running else "Stop")
        toggle.click()
    expect(toggle).to_have_text("Stop" if running else "Start")
    # The page shows the change at once (optimistic); the server has it a moment later.
    deadline = time.monotonic() + 5
    while _running(page, server) != running and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    assert _running(page, server) == running


def test_a_started_timer_shows_on_the_managers_team_page(
    new_context: Callable[[], BrowserContext], server: Server
) -> None:
    member = new_context().new_page()
    sign_in(member, server.url, "member@demo.test")
    me = member.context.request.get(f"{server.url}/api/v1/me")
    assert me.ok, me.text()
    name = me.json()["name"]
    _set_timer(member, server, running=False)

    manager = new_context().new_page()
    frames: list[str] = []
    manager.on("websocket", lambda ws: ws.on("framereceived", lambda f: frames.append(str(f))))
    sign_in(manager, server.url, "manager@demo.test")
    assert manager.url.endswith("/team")
    working_now = manager.get_by_test_id("active-timers-list")
    expect(working_now).to_be_visible()
    expect(working_now).not_to_contain_text(name)
    working_count = manager.get_by_test_id("kpi-active-timers")
    expect(working_count).not_to_have_text("—")
    before = int(working_count.inner_text())
    frames.clear()

    try:
        _set_timer(member, server, running=True)
        expect(working_now).to_contain_text(name, timeout=5_000)
        expect(working_count).to_have_text(str(before + 1))
    finally:
        _set_timer(member, server, running=False)
    expect(working_now).not_to_contain_text(name, timeout=5_000)
    # It came as the one message broadcast to every /team of this team, not as an element
    # update serialised for this client (workshub/ui/broadcast.py).
    showing = [frame for frame in frames if name in frame]
    assert showing, "no websocket frame carried the change"
    assert all('"wh_live"' in frame for frame in showing), showing[:2]


def test_the_week_selector_changes_the_client_health_table(page: Page, server: Server) -> None:
    sign_in(page, server.url, "slt@demo.test")
    assert page.url.endswith("/leadership")
    table = page.get_by_test_id("client-health-table")
    expect(table.locator("tbody tr").first).to_be_visible()
    this_week = table.inner_text()

    page.get_by_test_id("week-select").click()
    page.get_by_role("option").nth(1).click()  # newest first: the second is last week
    expect(table).not_to_have_text(this_week, timeout=5_000)
    expect(table.locator("tbody tr").first).to_be_visible()
