"""Optimistic edits in Chromium, against a server whose page writes wait 1.5 s before they run
(WORKSHUB_TEST_PERSIST_DELAY_MS, a test-only setting): the timer runs before the server has
saved it, a double click starts one timer, and an edit that meets someone else's newer version
rolls back visibly with the reason."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from unittest import mock

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.e2e.conftest import VIEWPORT, require_chromium
from tests.e2e.harness import Server, launch, running_server, sign_in

pytestmark = pytest.mark.browser

DELAY_MS = 1500


@pytest.fixture(scope="module")
def slow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    require_chromium()
    with mock.patch.dict(os.environ, {"WORKSHUB_TEST_PERSIST_DELAY_MS": str(DELAY_MS)}):
        server = running_server(tmp_path_factory.mktemp("workshub-slow"))
        running = server.__enter__()  # the child took its environment at start
    try:
        yield running
    finally:
        server.__exit__(None, None, None)


@pytest.fixture(scope="module")
def slow_browser(slow_server: Server) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def member(slow_browser: Browser, slow_server: Server) -> Iterator[Page]:
    context = slow_browser.new_context(viewport=VIEWPORT, base_url=slow_server.url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    sign_in(page, slow_server.url, "member@demo.test")
    assert page.url.endswith("/today")
    yield page
    today = page.context.request.get("/api/v1/dashboard/today").json()["data"]
    if today["running"] is not None:  # leave the demo as we found it
        page.context.request.post("/api/v1/timer/stop")
    context.close()


def running(page: Page) -> bool:
    today = page.context.request.get("/api/v1/dashboard/today")
    assert today.ok, today.text()
    return today.json()["data"]["running"] is not None


def entry_count(page: Page) -> int:
    found = page.context.request.get("/api/v1/time-entries?limit=1000")
    assert found.ok, found.text()
    return len(found.json()["entries"])


def test_the_timer_runs_before_the_server_has_saved_it(member: Page) -> None:
    toggle = member.get_by_test_id("timer-toggle")
    expect(toggle).to_have_text(re.compile("start", re.I))
    assert not running(member)

    toggle.click()
    expect(toggle).to_have_text(re.compile("stop", re.I), timeout=DELAY_MS // 2)
    saving = member.get_by_test_id("edit-pending")
    expect(saving).to_be_visible()
    assert not running(member)  # shown, and not saved yet
    expect(member.get_by_test_id("timer-elapsed")).not_to_have_text("0:00:00", timeout=3_000)

    expect(saving).to_be_hidden(timeout=DELAY_MS * 4)
    assert running(member)
    toggle.click()
    expect(toggle).to_have_text(re.compile("start", re.I), timeout=DELAY_MS // 2)
    expect(saving).to_be_hidden(timeout=DELAY_MS * 4)
    assert not running(member)


def test_a_double_click_starts_one_timer(member: Page) -> None:
    before = entry_count(member)
    toggle = member.get_by_test_id("timer-toggle")
    expect(toggle).to_have_text(re.compile("start", re.I))
    toggle.dblclick()
    expect(toggle).to_have_text(re.compile("stop", re.I))  # shown at once, while saving
    expect(member.get_by_test_id("edit-pending")).to_be_hidden(timeout=DELAY_MS * 4)
    expect(toggle).to_have_text(re.compile("stop", re.I))  # the second click did not stop it
    assert running(member) and entry_count(member) == before + 1


def test_an_edit_that_meets_a_newer_version_rolls_back_visibly(member: Page) -> None:
    mark = f"e2e-{uuid.uuid4().hex[:8]}"
    started = member.context.request.post(
        "/api/v1/timer/start", data={"project_id": _a_project(member), "note": mark}
    )
    assert started.ok, started.text()
    stopped = member.context.request.post("/api/v1/timer/stop")
    assert stopped.ok, stopped.text()
    entry = stopped.json()
    entries = member.get_by_test_id("today-entries")
    row = entries.locator("tbody tr", has_text=mark)
    expect(row).to_be_visible(timeout=5_000)

    row.get_by_role("button", name="Edit entry").click()
    note = member.locator('[data-testid="field-note"] input, input[data-testid="field-note"]')
    note.first.fill(f"{mark} mine")
    # Meanwhile, from another device: the entry moves on to a new version.
    theirs = member.context.request.patch(
        f"/api/v1/time-entries/{entry['id']}",
        data={"note": f"{mark} theirs", "version": entry["version"]},
    )
    assert theirs.ok, theirs.text()
    member.get_by_test_id("form-save").click()

    expect(entries).to_contain_text(f"{mark} mine", timeout=DELAY_MS // 2)  # at once
    expect(member.get_by_text("was changed by someone else just now")).to_be_visible(
        timeout=DELAY_MS * 4
    )
    expect(entries).to_contain_text(f"{mark} theirs")  # rolled back to the current one
    expect(entries).not_to_contain_text(f"{mark} mine")
    current = member.context.request.get("/api/v1/time-entries?limit=1000").json()["entries"]
    saved = next(e for e in current if e["id"] == entry["id"])
    member.context.request.delete(f"/api/v1/time-entries/{entry['id']}?version={saved['version']}")
    assert saved["note"] == f"{mark} theirs"


def _a_project(page: Page) -> int:
    projects = page.context.request.get("/api/v1/projects")
    assert projects.ok, projects.text()
    return int(projects.json()["projects"][0]["id"])
