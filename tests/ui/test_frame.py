"""The shared frame in the simulated browser: a lean header whose bell counts live from the
start, and a notification drawer whose list is built the first time it opens."""

from __future__ import annotations

from nicegui import ui
from nicegui.elements.drawer import RightDrawer
from nicegui.testing.user import User

from tests.api.conftest import Org
from tests.ui.conftest import SignIn, expect_text, settle, text_of, wait_for
from workshub.app import System
from workshub.domain.services.notifications import raise_notification
from workshub.domain.uow import UnitOfWork


def notify(system: System, user_id: int, title: str) -> None:
    with UnitOfWork(system.engine, system.hub, system.clock, actor_id=None) as uow:
        raise_notification(uow, user_id=user_id, kind="reminder", title=title, dedupe_key=title)


def drawer_of(user: User) -> RightDrawer:
    (drawer,) = user.find(kind=RightDrawer).elements
    assert isinstance(drawer, RightDrawer)
    return drawer


def notification_titles(user: User) -> list[str]:
    table = next(iter(user.find(marker="notifications-table").elements))
    assert isinstance(table, ui.table)
    return [row["title"] for row in table.rows]


async def test_the_bell_counts_before_the_drawer_is_built_and_opening_builds_it(
    user: User, ui_org: Org, ui_system: System, sign_in: SignIn
) -> None:
    member_id = ui_org.member_a.id or 0
    notify(ui_system, member_id, "Before opening")
    await sign_in(user, ui_org.member_a)
    await expect_text(user, "notification-count", "1")
    await user.should_not_see(kind=RightDrawer)  # nothing built for a drawer nobody opened

    user.find(marker="notification-bell").click()
    drawer = drawer_of(user)
    await wait_for(lambda: drawer.value, what="the drawer open")
    await wait_for(lambda: notification_titles(user) == ["Before opening"], what="the list")
    await user.should_see(marker="notifications-read-all")

    notify(ui_system, member_id, "While open")  # the built list is live
    await settle(ui_system)
    await expect_text(user, "notification-count", "2")
    await wait_for(lambda: len(notification_titles(user)) == 2, what="the new notification")

    user.find(marker="notification-bell").click()  # closing and opening again builds nothing
    await wait_for(lambda: not drawer.value, what="the drawer closed")
    built = len(list(drawer.descendants()))
    user.find(marker="notification-bell").click()
    await wait_for(lambda: drawer.value, what="the drawer open again")
    assert len(list(drawer.descendants())) == built


async def test_the_header_is_a_handful_of_elements_with_its_test_ids(
    user: User, ui_org: Org, sign_in: SignIn
) -> None:
    """SPEC §7: every page's header shows the connection state, the data's age, refresh-all,
    the bell with its count and the user menu — in six elements, tooltips as titles."""
    await sign_in(user, ui_org.member_a)
    (header,) = user.find(kind=ui.header).elements
    assert len(list(header.descendants())) == 6
    assert text_of(user, "connection-status") == "connecting"  # until the browser's handshake
    (age,) = [e for e in header.descendants() if "data-wh-updated" in e.props]
    await wait_for(lambda: age.props["data-wh-updated"] != "", what="the data's age")
    (refresh,) = user.find(marker="refresh-all").elements
    assert refresh.props["title"] == "Refresh all data on this page"
    (bell,) = user.find(marker="notification-bell").elements
    assert bell.props["icon"] == "notifications" and bell.props["title"] == "Notifications"
    await user.should_not_see(kind=ui.tooltip)


async def test_every_page_carries_the_theme_without_an_element_of_its_own(
    user: User, ui_org: Org, sign_in: SignIn
) -> None:
    """The stylesheet, the header's script and Quasar's brand colours come with every page
    (the sign-in page too), installed once for the app rather than per client."""
    html = (await user.http_client.get("/login")).text
    assert '<link rel="stylesheet" href="/assets/theme.css">' in html
    assert '<script src="/assets/workshub.js" defer></script>' in html
    assert '"primary": "#0f766e"' in html or '"primary":"#0f766e"' in html
    await sign_in(user, ui_org.member_a)
    await user.should_not_see(kind=ui.colors)
