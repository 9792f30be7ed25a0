"""Signing in in a real browser, and the connection badge through a dropped connection."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.harness import HOMES, Server, field, open_page, sign_in, wait_live

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("email", list(HOMES))
def test_each_demo_login_lands_on_its_home_live(page: Page, server: Server, email: str) -> None:
    sign_in(page, server.url, email)
    assert page.url == f"{server.url}{HOMES[email]}"
    expect(page.get_by_test_id("connection-status")).to_have_text("live")
    # the data's age, beside the state in the same badge
    age = page.locator("[data-wh-connection] .wh-age")
    expect(age).to_have_text(re.compile(r"^updated (just now|\d+ s ago)$"))
    expect(page.get_by_test_id("notification-count")).to_have_text(re.compile(r"^\d+$"))


# Every state the badge shows, in order, from the first paint (a MutationObserver set up
# before any of the page's scripts run).
RECORD_BADGE = """
window.__badge = [];
new MutationObserver(() => {
  const badge = document.querySelector('[data-testid="connection-status"]');
  const state = badge && badge.textContent.trim();
  if (state && window.__badge[window.__badge.length - 1] !== state) window.__badge.push(state);
}).observe(document, {subtree: true, childList: true, characterData: true});
"""


def test_a_page_load_goes_from_connecting_to_live_never_through_reconnecting(
    page: Page, server: Server
) -> None:
    sign_in(page, server.url, "manager@demo.test")
    page.add_init_script(RECORD_BADGE)
    page.reload()
    wait_live(page)
    assert page.evaluate("window.__badge") == ["connecting", "live"]


def test_a_wrong_password_stays_on_login(page: Page, server: Server) -> None:
    open_page(page, f"{server.url}/login")
    field(page, "login-email").fill("member@demo.test")
    field(page, "login-password").fill("wrong")
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_text("Wrong email or password.")).to_be_visible()
    assert page.url.endswith("/login")


def test_a_dropped_connection_shows_and_recovers(page: Page, server: Server) -> None:
    sign_in(page, server.url, "member@demo.test")
    status = page.get_by_test_id("connection-status")
    page.context.set_offline(True)
    expect(status).to_have_text(re.compile(r"^(reconnecting|offline)$"), timeout=5_000)
    page.context.set_offline(False)
    wait_live(page, timeout=20_000)
    # Still the same page, and it still works: the timer's button answers.
    assert page.url.endswith("/today")
    expect(page.get_by_test_id("timer-toggle")).to_be_enabled()
