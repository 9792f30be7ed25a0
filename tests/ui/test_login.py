"""/login: the form, each role's home, and sessions that end when the account does."""

from __future__ import annotations

import pytest
from nicegui import ui
from nicegui.testing.user import User

from tests.api.conftest import ROLES, Org
from tests.ui.conftest import SignIn, current_path, sign_in_via_form, viewer_of, wait_for
from workshub.app import System
from workshub.domain.services import admin as admin_service
from workshub.ui.actions import write

HOMES = {"team_member": "/today", "manager": "/team", "slt": "/leadership", "admin": "/leadership"}


async def test_a_wrong_password_says_so_and_stays(user: User, ui_org: Org) -> None:
    await user.open("/login")
    user.find(marker="login-email").type(ui_org.member_a.email)
    user.find(kind=ui.input, content="Password").type("not-the-password")
    user.find(kind=ui.button, content="Sign in").click()
    await user.should_see("Wrong email or password.", retries=30)
    assert current_path(user) == "/login"
    password = next(iter(user.find(kind=ui.input, content="Password").elements))
    assert password.value == ""  # cleared for the next attempt


async def test_empty_form_asks_for_both(user: User) -> None:
    await user.open("/login")
    user.find(kind=ui.button, content="Sign in").click()
    await user.should_see("Enter your email and password.", retries=10)


@pytest.mark.parametrize("role", ROLES)
async def test_each_role_lands_on_its_home(user: User, ui_org: Org, role: str) -> None:
    person = ui_org.by_role(role)
    await sign_in_via_form(user, person.email.upper())  # email case does not matter
    assert current_path(user) == HOMES[role]
    await user.should_see(marker="connection-status")
    await user.open("/")
    assert current_path(user) == HOMES[role]


async def test_pages_need_a_session(user: User) -> None:
    for path in ("/", "/today", "/timesheet", "/team", "/leadership", "/admin"):
        await user.open(path)
        assert current_path(user) == "/login", path


async def test_signed_in_login_goes_home(user: User, ui_org: Org, sign_in: SignIn) -> None:
    await sign_in(user, ui_org.manager_a)
    await user.open("/login")
    assert current_path(user) == "/team"


async def test_a_deactivated_user_is_sent_to_login(
    user: User, ui_org: Org, ui_system: System, sign_in: SignIn
) -> None:
    await sign_in(user, ui_org.member_a)
    assert current_path(user) == "/today"
    admin = viewer_of(ui_system, ui_org.admin)
    member_id = ui_org.member_a.id or 0
    outcome = await write(
        ui_system,
        admin,
        lambda uow: admin_service.update_user(uow, admin, user_id=member_id, is_active=False),
    )
    assert outcome.ok, outcome.error

    # An event on the open page re-checks the session and leaves.
    user.find(marker="timer-toggle").click()
    await wait_for(lambda: current_path(user) == "/login", what="the page to leave")
    # And so does the next page load.
    await user.open("/today")
    assert current_path(user) == "/login"


async def test_sign_out_ends_the_session(user: User, ui_org: Org, sign_in: SignIn) -> None:
    await sign_in(user, ui_org.slt)
    await user.open("/logout")
    assert current_path(user) == "/login"
    await user.open("/today")
    assert current_path(user) == "/login"
