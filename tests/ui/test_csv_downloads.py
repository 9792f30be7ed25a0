"""The pages' CSV buttons in the simulated browser: /today and /team download the API's entry
export for what they show (own week; the selected team and week), and /team and /leadership
download their tables from the data on the page.

build_org this week (Mon 23 Nov 2026): member_a 3.0 h Monday, member_a2 4.0 h Tuesday (team
Alpha, led by manager_a); member_b 5.0 h Monday (team Beta); last week member_a 2.0 h on Xeno.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from nicegui.testing.user import User

from tests.api.conftest import Org
from tests.ui.conftest import SignIn, viewer_of, wait_for
from workshub.app import System
from workshub.csv_export import export_entries

MONDAY, SUNDAY = date(2026, 11, 23), date(2026, 11, 29)
LAST_MONDAY, LAST_SUNDAY = date(2026, 11, 16), date(2026, 11, 22)


def the(user: User, marker: str) -> Any:
    elements = list(user.find(marker=marker).elements)
    assert len(elements) == 1, f"{len(elements)} elements marked {marker!r}"
    return elements[0]


# Downloads a table draws in its corner (a slot template, no element): the click is its event.
DRAWN_BY = {
    "export-team-entries-csv": "team-members-table",
    "export-team-members-csv": "team-members-table",
}


async def download(user: User, marker: str) -> list[list[str]]:
    table = DRAWN_BY.get(marker)
    if table is None:
        user.find(marker=marker).click()
    else:
        assert f'data-testid="{marker}"' in the(user, table).slots["top-right"].template
        user.find(marker=table).trigger("download", {"name": marker})
    response = await user.download.next(timeout=3.0)
    return list(csv.reader(io.StringIO(response.content.decode("utf-8"))))


def column(rows: list[list[str]], name: str) -> list[str]:
    index = rows[0].index(name)
    return [row[index] for row in rows[1:]]


async def test_today_downloads_the_own_week_as_the_api_exports_it(
    user: User, ui_org: Org, ui_system: System, sign_in: SignIn
) -> None:
    await sign_in(user, ui_org.member_a)
    user.find(marker="export-entries-csv").click()
    response = await user.download.next(timeout=3.0)
    expected = export_entries(
        ui_system.engine,
        viewer_of(ui_system, ui_org.member_a),
        first=MONDAY,
        last=SUNDAY,
        tz=ui_system.tz,
        user_id=ui_org.member_a.id,
    )
    assert response.content == expected
    rows = list(csv.reader(io.StringIO(expected.decode("utf-8"))))
    assert column(rows, "user_name") == [ui_org.member_a.name]
    assert column(rows, "hours") == ["3.0"]


async def test_team_downloads_the_selected_team_and_week(
    user: User, ui_org: Org, sign_in: SignIn
) -> None:
    await sign_in(user, ui_org.manager_a, path="/team")
    rows = await download(user, "export-team-entries-csv")
    assert sorted(column(rows, "user_name")) == [ui_org.member_a.name, ui_org.member_a2.name]
    assert "bill_rate" not in rows[0]  # a manager sees no money

    the(user, "week-select").set_value(LAST_MONDAY.isoformat())
    table = the(user, "team-members-table")
    await wait_for(
        lambda: {row["name"]: row["hours"] for row in table.rows}.get("Member.A2") == 0,
        what="last week on show",
    )
    rows = await download(user, "export-team-entries-csv")
    assert column(rows, "project_name") == [ui_org.project_x.name]
    assert column(rows, "started_at") == ["2026-11-17T09:00:00Z"]


async def test_team_switch_changes_what_slt_downloads(
    user: User, ui_org: Org, sign_in: SignIn
) -> None:
    await sign_in(user, ui_org.slt, path="/team")
    the(user, "team-select").set_value(ui_org.team_b.id)
    table = the(user, "team-members-table")
    await wait_for(
        lambda: [row["name"] for row in table.rows] == ["Manager.B", "Member.B"],
        what="team Beta on show",
    )
    rows = await download(user, "export-team-entries-csv")
    assert column(rows, "user_name") == [ui_org.member_b.name]
    assert "bill_rate" in rows[0]


async def test_team_downloads_its_people_table(user: User, ui_org: Org, sign_in: SignIn) -> None:
    await sign_in(user, ui_org.manager_a, path="/team")
    table = the(user, "team-members-table")
    await wait_for(lambda: len(table.rows) == 3, what="the members")
    rows = await download(user, "export-team-members-csv")
    hours = dict(zip(column(rows, "Person"), column(rows, "Hours"), strict=True))
    assert hours == {"Manager.A": "0.0", "Member.A": "3.0", "Member.A2": "4.0"}
    assert column(rows, "Capacity") == ["22.5", "22.5", "22.5"]


async def test_leadership_downloads_client_health_and_budget_burn(
    user: User, ui_org: Org, sign_in: SignIn
) -> None:
    await sign_in(user, ui_org.slt, path="/leadership")
    health = the(user, "client-health-table")
    await wait_for(lambda: len(health.rows) == 3, what="the client health rows")
    rows = await download(user, "export-client-health-csv")
    assert sorted(column(rows, "Client")) == ["Acme", "Bolt", "Xeno"]
    shown = {row["client"]: str(row["score"]) for row in health.rows}
    assert dict(zip(column(rows, "Client"), column(rows, "Score"), strict=True)) == shown

    burn = the(user, "budget-burn-table")
    await wait_for(lambda: len(burn.rows) == 1, what="the budget burn rows")
    rows = await download(user, "export-budget-burn-csv")
    assert [(r[0], r[1], r[4]) for r in rows[1:]] == [("Xeno", "Xeno audit", "10.0")]
