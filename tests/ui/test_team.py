"""/team in the simulated browser: what each role sees of which team, the week and team pickers,
and the page following writes live.

build_org this week (Wed 25 Nov 2026, week to date Mon–Wed): team Alpha is manager_a,
member_a (3.0 h Monday) and member_a2 (4.0 h Tuesday), all billable; each has 3 × 7.5 h of
capacity. Last week member_a logged 2.0 h. Team Beta is manager_b and member_b (5.0 h).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from nicegui import ui
from nicegui.testing.user import User
from sqlalchemy.engine import Engine

from tests import factories as f
from tests.api.conftest import Org
from tests.ui.conftest import (
    SignIn,
    current_path,
    expect_text,
    settle,
    text_of,
    viewer_of,
    wait_for,
)
from workshub.app import System
from workshub.clock import FakeClock
from workshub.domain.services import timer as timer_service
from workshub.domain.uow import UnitOfWork


def the(user: User, marker: str) -> Any:
    elements = list(user.find(marker=marker).elements)
    assert len(elements) == 1, f"{len(elements)} elements marked {marker!r}"
    return elements[0]


def member_names(user: User) -> list[str]:
    return [row["name"] for row in the(user, "team-members-table").rows]


async def members_are(user: User, names: list[str]) -> None:
    await wait_for(lambda: member_names(user) == names, what=f"members {names}")


def start_timer(system: System, person: Any, project_id: int) -> None:
    me = viewer_of(system, person)
    with UnitOfWork(system.engine, system.hub, system.clock, actor_id=me.id) as uow:
        timer_service.start_timer(uow, me, project_id=project_id)


async def test_a_manager_sees_their_team_without_money(
    user: User, ui_org: Org, sign_in: SignIn
) -> None:
    await sign_in(user, ui_org.manager_a, path="/team")
    assert current_path(user) == "/team"
    await members_are(user, ["Manager.A", "Member.A", "Member.A2"])
    await expect_text(user, "kpi-tracked-hours", "7.0")
    await expect_text(user, "kpi-utilization", "10%")  # 7.0 ÷ 67.5 = 10.4 %
    await expect_text(user, "kpi-billable-pct", "100%")
    await expect_text(user, "kpi-active-timers", "0")
    await user.should_see("Utilization (tracked ÷ capacity)")
    await user.should_see("Alpha")
    timers = the(user, "active-timers-list")
    assert (
        timers.rows == [] and timers.props["no-data-label"] == "No one is tracking time right now."
    )
    rows = {row["name"]: row for row in the(user, "team-members-table").rows}
    assert (rows["Member.A2"]["hours_text"], rows["Member.A2"]["capacity_text"]) == ("4.0", "22.5")
    assert rows["Member.A2"]["utilization"] == "18%"  # 4.0 ÷ 22.5 = 17.8 %
    # one team: no team picker; no money anywhere, not even hidden
    await user.should_not_see(marker="team-select")
    await user.should_not_see(marker="kpi-revenue")
    await user.should_not_see("Revenue")
    await user.should_not_see("Member.B")
    chart = next(iter(user.find(kind=ui.echart).elements))
    assert chart.options["yAxis"]["data"] == ["Manager.A", "Member.A", "Member.A2"]
    assert chart.options["series"][1]["data"] == [0.0, 3.0, 4.0]


@pytest.mark.parametrize("role", ["slt", "admin"])
async def test_slt_and_admin_start_on_the_lowest_team_and_see_money(
    user: User, ui_org: Org, ui_system: System, sign_in: SignIn, role: str
) -> None:
    # build_org's entries carry no rate; one billed hour at 120 makes revenue visible
    tuesday = datetime(2026, 11, 24, 13, tzinfo=UTC)
    f.entry(ui_system.engine, ui_org.member_a, ui_org.project_a, tuesday, 1.0, bill_rate=120)
    await sign_in(user, role, path="/team")
    await members_are(user, ["Manager.A", "Member.A", "Member.A2"])
    assert the(user, "team-select").value == ui_org.team_a.id
    await expect_text(user, "kpi-tracked-hours", "8.0")
    await expect_text(user, "kpi-revenue", "€120")
    await expect_text(user, "kpi-effective-rate", "€15/h")  # 120 ÷ 8.0 client hours


async def test_slt_picks_another_team(
    user: User, ui_org: Org, ui_system: System, sign_in: SignIn
) -> None:
    await sign_in(user, "slt", path="/team")
    await members_are(user, ["Manager.A", "Member.A", "Member.A2"])
    the(user, "team-select").set_value(ui_org.team_b.id)
    await members_are(user, ["Manager.B", "Member.B"])
    await expect_text(user, "kpi-tracked-hours", "5.0")
    # the switched-to team is live too
    start_timer(ui_system, ui_org.member_b, ui_org.project_b.id or 0)
    await settle(ui_system)
    await expect_text(user, "kpi-active-timers", "1")
    assert [row["user"] for row in the(user, "active-timers-list").rows] == ["Member.B"]


@pytest.mark.parametrize("role", ["team_member"])
async def test_a_member_is_sent_home(user: User, sign_in: SignIn, role: str) -> None:
    await sign_in(user, role, path="/team")
    assert current_path(user) == "/today"


async def test_signed_out_goes_to_login(user: User) -> None:
    await user.open("/team")
    assert current_path(user) == "/login"


async def test_the_week_picker_shows_a_past_week_and_no_future(
    user: User, ui_org: Org, sign_in: SignIn
) -> None:
    await sign_in(user, ui_org.manager_a, path="/team")
    await expect_text(user, "kpi-tracked-hours", "7.0")
    await user.should_see("week to date")
    picker = the(user, "week-select")
    assert picker.value == "2026-11-23"
    assert max(picker.options) == "2026-11-23"  # nothing after this week
    picker.set_value("2026-11-16")
    await expect_text(user, "kpi-tracked-hours", "2.0")
    await expect_text(user, "kpi-utilization", "2%")  # 2.0 ÷ (3 × 37.5) = 1.8 %
    await user.should_see("whole week")
    rows = {row["name"]: row["hours_text"] for row in the(user, "team-members-table").rows}
    assert rows == {"Manager.A": "0.0", "Member.A": "2.0", "Member.A2": "0.0"}
    picker.set_value("2026-11-23")
    await expect_text(user, "kpi-tracked-hours", "7.0")


async def test_a_running_timer_shows_up_live(
    user: User, ui_org: Org, ui_system: System, clock: FakeClock, sign_in: SignIn
) -> None:
    await sign_in(user, ui_org.manager_a, path="/team")
    await expect_text(user, "kpi-active-timers", "0")
    start_timer(ui_system, ui_org.member_a, ui_org.project_a.id or 0)
    await settle(ui_system)
    await expect_text(user, "kpi-active-timers", "1")
    await wait_for(lambda: bool(the(user, "active-timers-list").rows), what="a timer row")
    timer = the(user, "active-timers-list").rows[0]
    assert (timer["user"], timer["project"], timer["client"]) == ("Member.A", "Acme site", "Acme")
    assert timer["started_at"] == "2026-11-25T10:00:00Z"  # what the browser ticks from
    assert timer["elapsed"] == "0:00:00"
    await wait_for(
        lambda: (
            {r["name"]: r["running"] for r in the(user, "team-members-table").rows}["Member.A"]
            == "Acme · Acme site"
        ),
        what="member_a's running timer in the table",
    )
    since = {r["name"]: r["since"] for r in the(user, "team-members-table").rows}["Member.A"]
    assert since == "10:00"


async def test_a_manager_of_two_teams_picks_among_them_and_is_rechecked(
    user: User, ui_org: Org, ui_system: System, sign_in: SignIn
) -> None:
    f.set_lead(ui_system.engine, ui_org.team_b, ui_org.manager_a)
    await sign_in(user, ui_org.manager_a, path="/team")
    picker = the(user, "team-select")
    assert picker.options == {ui_org.team_a.id: "Alpha", ui_org.team_b.id: "Beta"}
    await members_are(user, ["Manager.A", "Member.A", "Member.A2"])
    # Beta goes back to its own manager while the page is open: the pick is refused.
    f.set_lead(ui_system.engine, ui_org.team_b, ui_org.manager_b)
    picker.set_value(ui_org.team_b.id)
    await user.should_see("That team or week is not available.")
    assert member_names(user) == ["Manager.A", "Member.A", "Member.A2"]


async def test_a_manager_without_a_team_gets_an_empty_state(
    user: User, ui_org: Org, ui_system: System, sign_in: SignIn
) -> None:
    lonely = f.user(ui_system.engine, "lonely@x.test", role="manager")
    await sign_in(user, lonely, path="/team")
    await user.should_see("You don't lead a team yet.")
    await user.should_not_see(marker="team-members-table")


async def test_the_page_stays_lean(
    user: User, ui_org: Org, ui_system: System, sign_in: SignIn
) -> None:
    """SPEC §7: lists are one table each, so a manager's /team for a 10-person team stays
    small and its element count does not grow with the team."""
    for n in range(7):
        f.user(ui_system.engine, f"extra{n}@x.test", team_id=ui_org.team_a.id)
    await sign_in(user, ui_org.manager_b, path="/team")
    await members_are(user, ["Manager.B", "Member.B"])
    assert user.client is not None
    two_people = len(user.client.elements)
    await sign_in(user, ui_org.manager_a, path="/team")
    await wait_for(lambda: len(member_names(user)) == 10, what="ten members")
    assert len(user.client.elements) == two_people
    # NiceGUI's layout is 4 of them, the shared header 7 (the drawer comes with the first
    # click on the bell; the download buttons are drawn by the people table; one CSS grid on
    # the content div places the tiles and lists, no containers; the KPI tiles of one key are
    # one element): 19 in all, ~4 KB each per connected page (SPEC §9: ≤ 250 KB per dashboard).
    assert two_people <= 19


class TestOnPostgres:
    @pytest.fixture
    def engine(self, pg_engine: Engine) -> Iterator[Engine]:
        yield pg_engine

    async def test_a_manager_sees_their_team(
        self, user: User, ui_org: Org, sign_in: SignIn
    ) -> None:
        await sign_in(user, ui_org.manager_a, path="/team")
        await members_are(user, ["Manager.A", "Member.A", "Member.A2"])
        await expect_text(user, "kpi-tracked-hours", "7.0")
        assert text_of(user, "kpi-billable-pct") == "100%"
