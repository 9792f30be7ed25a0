"""/today in the simulated browser: the timer, today's hours, the team's KPIs, the bell."""

from __future__ import annotations

import re
from collections.abc import Callable

from nicegui import ui
from nicegui.elements.drawer import RightDrawer
from nicegui.testing.user import User

from tests.api.conftest import Org
from tests.ui.conftest import SignIn, expect_text, settle, text_of, wait_for
from workshub.app import System
from workshub.clock import FakeClock
from workshub.domain.services.notifications import raise_notification
from workshub.domain.uow import UnitOfWork

HOURS_FORMAT = re.compile(r"^\d+\.\d / \d+\.\d$")


async def test_the_toggle_starts_and_stops_the_timer(
    user: User, ui_org: Org, ui_system: System, clock: FakeClock, sign_in: SignIn
) -> None:
    await sign_in(user, ui_org.member_a)
    await expect_text(user, "timer-toggle", "Start")
    await expect_text(user, "today-hours", "0.0 / 7.5")  # 37.5 h a week ÷ 5 days
    assert text_of(user, "timer-elapsed") == "0:00:00"
    await user.should_see("No timer running")
    # The picker's options follow the page over the socket; it opens on the project member_a
    # tracked most recently.
    picker = next(iter(user.find(marker="timer-project").elements))
    assert isinstance(picker, ui.select)
    await wait_for(lambda: picker.value == ui_org.project_a.id, what="the picker's options")

    user.find(marker="timer-toggle").click()
    await expect_text(user, "timer-toggle", "Stop")
    await user.should_see("Acme · Acme site", retries=20)
    await user.should_not_see("No timer running")
    assert text_of(user, "timer-elapsed") == "0:00:00"  # the clock stands still in tests
    await expect_text(user, "kpi-active-timers", "1")

    clock.advance(minutes=90)
    user.find(marker="timer-toggle").click()
    await expect_text(user, "timer-toggle", "Start")
    await expect_text(user, "today-hours", "1.5 / 7.5")
    await user.should_see("No timer running")
    await expect_text(user, "kpi-active-timers", "0")
    entries = [t for t in user.find(kind=ui.table).elements if t.rows and "start" in t.rows[0]]
    assert [(r["start"], r["end"], r["hours"]) for r in entries[0].rows] == [
        ("10:00", "11:30", "1.5")
    ]


async def test_today_hours_has_one_decimal_each_side(
    user: User, ui_org: Org, sign_in: SignIn
) -> None:
    await sign_in(user, ui_org.member_a2)
    await expect_text(user, "today-hours", "0.0 / 7.5")
    assert HOURS_FORMAT.match(text_of(user, "today-hours"))


async def test_a_member_sees_their_own_teams_kpis(user: User, ui_org: Org, sign_in: SignIn) -> None:
    await sign_in(user, ui_org.member_a)
    # Team A this week: member_a 3.0 h on Monday, member_a2 4.0 h on Tuesday, all billable.
    await expect_text(user, "kpi-tracked-hours", "7.0")
    await expect_text(user, "kpi-billable-pct", "100%")
    await expect_text(user, "kpi-active-timers", "0")
    assert re.fullmatch(r"\d+%", text_of(user, "kpi-utilization"))


async def test_a_member_of_another_team_sees_theirs(
    user: User, ui_org: Org, sign_in: SignIn
) -> None:
    await sign_in(user, ui_org.member_b)
    await expect_text(user, "kpi-tracked-hours", "5.0")  # team B only, not the org's 12.0


async def test_the_bell_counts_unread_notifications(
    user: User, ui_org: Org, ui_system: System, sign_in: SignIn
) -> None:
    await sign_in(user, ui_org.member_a)
    await expect_text(user, "notification-count", "0")
    member_id = ui_org.member_a.id or 0
    for n in range(2):
        with UnitOfWork(ui_system.engine, ui_system.hub, ui_system.clock, actor_id=None) as uow:
            raise_notification(
                uow,
                user_id=member_id,
                kind="reminder",
                title=f"Reminder {n}",
                dedupe_key=f"test-{n}",
            )
    await settle(ui_system)
    await expect_text(user, "notification-count", "2")
    user.find(marker="notification-bell").click()  # the list is built when the drawer opens
    with user.scope(RightDrawer):
        table = next(iter(user.find(kind=ui.table).elements))
    assert sorted(row["title"] for row in table.rows) == ["Reminder 0", "Reminder 1"]


async def test_a_colleagues_timer_reaches_my_team_strip(
    user: User, create_user: Callable[[], User], ui_org: Org, sign_in: SignIn
) -> None:
    await sign_in(user, ui_org.manager_a, path="/today")
    await expect_text(user, "kpi-active-timers", "0")
    colleague = create_user()
    await sign_in(colleague, ui_org.member_a2)
    colleague.find(marker="timer-toggle").click()
    await expect_text(colleague, "timer-toggle", "Stop")
    await expect_text(user, "kpi-active-timers", "1")  # pushed, no reload
    await expect_text(user, "timer-toggle", "Start")  # my own timer is untouched
