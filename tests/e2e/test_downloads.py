"""CSV downloads in a real browser: the buttons /team's people table draws in its corner (a slot
template, no element of their own) reach the server and bring back the file."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.e2e.harness import Server, sign_in, wait_live

pytestmark = pytest.mark.browser


def download(page: Page, test_id: str) -> tuple[str, list[list[str]]]:
    with page.expect_download() as info:
        page.get_by_test_id(test_id).click()
    done = info.value
    text = Path(done.path()).read_text(encoding="utf-8")
    return done.suggested_filename, list(csv.reader(io.StringIO(text)))


def test_a_manager_downloads_the_team_people_and_time_entries(page: Page, server: Server) -> None:
    sign_in(page, server.url, "manager@demo.test")
    wait_live(page)
    name, rows = download(page, "export-team-members-csv")
    assert name.startswith("team-") and name.endswith(".csv")
    people = {row[0] for row in rows[1:]}
    assert rows[0][0] == "Person" and len(people) >= 2

    name, rows = download(page, "export-team-entries-csv")
    assert name.endswith(".csv")
    names = {row[rows[0].index("user_name")] for row in rows[1:]}
    assert names and names <= people  # only the team's own people
