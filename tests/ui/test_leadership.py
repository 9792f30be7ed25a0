"""/leadership in the simulated browser: who may open it, the organisation's KPIs with money,
the trend, client health, budget burn, the week picker, and the page following writes live.

build_org this week (Wed 25 Nov 2026, week to date Mon–Wed): member_a 3.0 h on Acme, member_a2
4.0 h on Acme, member_b 5.0 h on Bolt, all billable. Counted capacity: two managers and three
members × 3 days × 7.5 h = 112.5 h (slt and admin have none). Last week member_a logged 2.0 h on
Xeno's budgeted project (10 h, no end date, so no pace).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from nicegui import ui
from nicegui.testing.user import User

from tests import factories as f
from tests.api.conftest import Org
from tests.ui.conftest import SignIn, current_path, expect_text, settle, viewer_of, wait_for
from workshub.app import System
from workshub.domain.services import entries as entry_service
from workshub.domain.uow import UnitOfWork


def the(user: User, marker: str) -> Any:
    elements = list(user.find(marker=marker).elements)
    assert len(elements) == 1, f"{len(elements)} elements marked {marker!r}"
    return elements[0]


def health_rows(user: User) -> dict[str, dict[str, Any]]:
    return {row["client"]: row for row in the(user, "client-health-table").rows}


def burn_table(user: User) -> Any:
    return the(user, "budget-burn-table")


@pytest.mark.parametrize("role", ["slt", "admin"])
async def test_slt_and_admin_see_the_organisation_with_money(
    user: User, ui_org: Org, sign_in: SignIn, role: str
) -> None:
    await sign_in(user, role, path="/leadership")
    assert current_path(user) == "/leadership"
    await expect_text(user, "kpi-tracked-hours", "12.0")
    await expect_text(user, "kpi-utilization", "11%")  # 12.0 ÷ 112.5 = 10.7 %
    await expect_text(user, "kpi-billable-pct", "100%")
    await expect_text(user, "kpi-active-timers", "0")
    await user.should_see("Utilization (tracked ÷ capacity)")
    await user.should_see("of 112.5 h capacity")
    await expect_text(user, "kpi-revenue", "€0")  # build_org's entries carry no rate
    await expect_text(user, "kpi-effective-rate", "€0/h")
    await user.should_see("Effective rate")


async def test_people_without_leadership_rights_are_sent_home(
    user: User, ui_org: Org, sign_in: SignIn
) -> None:
    await sign_in(user, "team_member", path="/leadership")
    assert current_path(user) == "/today"
    await sign_in(user, "manager", path="/leadership")
    assert current_path(user) == "/team"
    await user.should_not_see("Revenue")


async def test_the_trend_chart_covers_twelve_weeks_ending_this_week(
    user: User, ui_org: Org, sign_in: SignIn
) -> None:
    await sign_in(user, "slt", path="/leadership")
    chart = next(iter(user.find(kind=ui.echart).elements))
    await wait_for(lambda: len(chart.options["xAxis"]["data"]) == 12, what="12 weeks")
    assert chart.options["xAxis"]["data"][-2:] == ["16 Nov", "23 Nov"]
    capacity, tracked, utilization, billable = (s["data"] for s in chart.options["series"])
    assert tracked[-2:] == [2.0, 12.0]
    assert capacity[-1] == 112.5
    assert utilization[-1] == 10.7
    assert billable[-1] == 100.0
    assert [s["name"] for s in chart.options["series"]] == [
        "Capacity",
        "Tracked",
        "Utilization",
        "Billable %",
    ]


async def test_client_health_shows_score_rag_change_and_components(
    user: User, ui_org: Org, sign_in: SignIn
) -> None:
    await sign_in(user, "slt", path="/leadership")
    await wait_for(lambda: len(health_rows(user)) == 3, what="three clients")
    rows = health_rows(user)
    assert set(rows) == {"Acme", "Bolt", "Xeno"}
    xeno = rows["Xeno"]
    assert isinstance(xeno["score"], int) and 0 <= xeno["score"] <= 100
    assert xeno["rag_html"].count("wh-rag-") == 1
    assert any(word in xeno["rag_html"] for word in ("Green", "Amber", "Red"))
    assert xeno["change_text"][0] in "▲▼●"
    for component in ("pace", "overservice", "rate", "volatility", "pulse"):
        assert 0 <= xeno[component] <= 100
    assert rows["Acme"]["pulse_text"] == "75"  # no pulse yet: 75
    assert rows["Acme"]["client_id"] == ui_org.client_a.id  # the name links to /clients/{id}


async def test_budget_burn_lists_the_fastest_pace_first_and_highlights_overruns(
    user: User, ui_org: Org, ui_system: System, sign_in: SignIn
) -> None:
    rush = f.project(
        ui_system.engine,
        "Xeno rush",
        client_id=ui_org.client_x.id,
        budget_hours=2,
        starts_on=date(2026, 11, 1),
        ends_on=date(2026, 12, 31),
    )
    f.entry(ui_system.engine, ui_org.member_b, rush, datetime(2026, 11, 23, 14, tzinfo=UTC), 3.0)
    await sign_in(user, "admin", path="/leadership")
    table = burn_table(user)
    await wait_for(lambda: len(table.rows) == 2, what="two budgeted projects")
    first, second = table.rows
    assert (first["project"], second["project"]) == ("Xeno rush", "Xeno audit")
    assert first["burn_text"] == "150% ⚠" and "negative" in first["burn_class"]
    # elapsed 25 of 61 days: pace 1.5 ÷ 0.41 = 3.66
    assert first["pace_text"] == "3.66×" and "warning" in first["pace_class"]
    assert (second["burn_text"], second["pace_text"], second["burn_class"]) == ("20%", "—", "")


async def test_the_week_picker_switches_every_view_and_offers_no_future(
    user: User, ui_org: Org, sign_in: SignIn
) -> None:
    await sign_in(user, "slt", path="/leadership")
    picker = the(user, "week-select")
    assert picker.value == "2026-11-23"
    assert max(picker.options) == "2026-11-23"
    assert len(picker.options) >= 13
    assert picker.options["2026-11-23"].startswith("This week")
    await expect_text(user, "kpi-tracked-hours", "12.0")
    picker.set_value("2026-11-16")
    await expect_text(user, "kpi-tracked-hours", "2.0")
    await user.should_see("Last week · 16–22 Nov")
    chart = next(iter(user.find(kind=ui.echart).elements))
    await wait_for(lambda: chart.options["xAxis"]["data"][-1] == "16 Nov", what="trend moved")
    # last week the budgeted project had consumed 2.0 of its 10 h
    table = burn_table(user)
    await wait_for(lambda: table.rows and table.rows[0]["burn_text"] == "20%", what="burn")
    await wait_for(lambda: len(health_rows(user)) == 3, what="health of last week")


async def test_a_write_elsewhere_updates_the_page_live(
    user: User, ui_org: Org, ui_system: System, sign_in: SignIn
) -> None:
    await sign_in(user, "slt", path="/leadership")
    await expect_text(user, "kpi-tracked-hours", "12.0")
    member = viewer_of(ui_system, ui_org.member_b)
    with UnitOfWork(ui_system.engine, ui_system.hub, ui_system.clock, actor_id=member.id) as uow:
        entry_service.create_entry(
            uow,
            member,
            project_id=ui_org.project_x.id or 0,
            started_at=datetime(2026, 11, 24, 8, tzinfo=UTC),
            ended_at=datetime(2026, 11, 24, 9, 30, tzinfo=UTC),
        )
    await settle(ui_system)
    await expect_text(user, "kpi-tracked-hours", "13.5")
    table = burn_table(user)
    await wait_for(lambda: table.rows[0]["burn_text"] == "35%", what="burn 3.5 of 10 h")


async def test_the_html_goes_out_before_the_data_which_follows_over_the_socket(
    user: User, ui_org: Org, sign_in: SignIn
) -> None:
    """SPEC §9: the page's HTML carries the widgets, empty and loading; the rows arrive by
    push once the browser is connected (a GET that never connects gets none of them)."""
    await sign_in(user, "slt", path="/leadership")
    await wait_for(lambda: len(health_rows(user)) == 3, what="three clients")
    response = await user.http_client.get("/leadership")  # a second tab that never connects
    assert response.status_code == 200
    html = response.text
    assert "client-health-table" in html and "budget-burn-table" in html
    assert "Xeno audit" not in html and "Bolt" not in html  # no rows in the HTML


@pytest.mark.parametrize("extra_clients", [0, 5])
async def test_the_page_stays_lean_as_the_organisation_grows(
    user: User, ui_org: Org, ui_system: System, sign_in: SignIn, extra_clients: int
) -> None:
    """SPEC §7: each list is one table and each KPI one element, so the page's element count
    does not grow with the clients and projects."""
    for n in range(extra_clients):
        client = f.client(ui_system.engine, f"Extra {n}")
        f.project(ui_system.engine, f"Extra {n} build", client_id=client.id, budget_hours=10)
    await sign_in(user, "slt", path="/leadership")
    await wait_for(lambda: len(health_rows(user)) == 3 + extra_clients, what="every client")
    await wait_for(lambda: len(burn_table(user).rows) == 1 + extra_clients, what="budgets")
    assert user.client is not None
    assert len(user.client.elements) == 42
