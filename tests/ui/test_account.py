"""/account in the simulated browser: changing one's password (and staying signed in), and
keeping one's own API tokens: list, create (shown once), revoke."""

from __future__ import annotations

from nicegui.testing.user import User
from sqlmodel import Session, select

from tests.api.conftest import Org
from tests.ui.conftest import SignIn, current_path, wait_for
from tests.ui.form_helpers import element, fill, has, rows_of, save, wait_rows
from workshub.app import System
from workshub.domain.auth import verify_password
from workshub.domain.models import ApiToken
from workshub.domain.models import User as Person
from workshub.domain.services.accounts import authenticate_token

TOKENS = "token-table"


def _person(system: System, person: Person) -> Person:
    with Session(system.engine) as session:
        found = session.get(Person, person.id)
        assert found is not None
        return found


def _type_passwords(user: User, current: str, new: str, repeat: str) -> None:
    assert user.client is not None
    with user.client:
        element(user, "password-current").value = current
        element(user, "password-new").value = new
        element(user, "password-repeat").value = repeat
    user.find(marker="password-submit").click()


async def test_changing_the_password_keeps_this_browser_signed_in(
    user: User, ui_org: Org, ui_system: System, sign_in: SignIn
) -> None:
    await sign_in(user, ui_org.member_a, path="/account")
    before = _person(ui_system, ui_org.member_a).session_version
    _type_passwords(user, "secret", "a much better one", "a much better one")
    await user.should_see("Password changed. Other sessions are signed out.", retries=30)
    person = _person(ui_system, ui_org.member_a)
    assert verify_password(person.password_hash, "a much better one")
    assert person.session_version == before + 1  # every other session is outdated
    assert element(user, "password-current").value == ""
    await user.open("/account")  # this browser carries the new version
    assert current_path(user) == "/account"


async def test_a_wrong_current_password_is_shown_at_that_field(
    user: User, ui_org: Org, ui_system: System, sign_in: SignIn
) -> None:
    await sign_in(user, ui_org.member_a, path="/account")
    _type_passwords(user, "not it", "short", "short")
    field = element(user, "password-current")
    await wait_for(lambda: field.error is not None, what="the current field's message")
    assert field.error == "is not your current password"
    assert element(user, "password-new").error == "must be at least 8 characters"
    assert verify_password(_person(ui_system, ui_org.member_a).password_hash, "secret")


async def test_a_mismatched_repeat_writes_nothing(
    user: User, ui_org: Org, ui_system: System, sign_in: SignIn
) -> None:
    await sign_in(user, ui_org.member_a, path="/account")
    before = _person(ui_system, ui_org.member_a).session_version
    _type_passwords(user, "secret", "a much better one", "a much better two")
    repeat = element(user, "password-repeat")
    await wait_for(lambda: repeat.error is not None, what="the repeat field's message")
    assert repeat.error == "does not match the new password"
    assert _person(ui_system, ui_org.member_a).session_version == before


async def test_own_tokens_are_listed_and_no_one_elses(
    user: User, ui_org: Org, sign_in: SignIn
) -> None:
    await sign_in(user, ui_org.member_a, path="/account")
    rows = await wait_rows(user, TOKENS, bool, what="the token list")
    assert [row["name"] for row in rows] == ["tests"]  # build_org gives each person one
    assert rows[0]["last_used"] == "never"
    assert "token" not in rows[0] and "token_sha256" not in rows[0]


async def test_a_new_token_is_shown_once_and_works(
    user: User, ui_org: Org, ui_system: System, sign_in: SignIn
) -> None:
    await sign_in(user, ui_org.member_a, path="/account")
    await wait_rows(user, TOKENS, bool, what="the token list")
    user.find(marker="token-create").click()
    await fill(user, name="Wall display", expires_in_days=30)
    save(user)
    await wait_for(lambda: has(user, "secret-value"), what="the token shown once")
    token = element(user, "secret-value").value
    with Session(ui_system.engine) as session:
        owner = authenticate_token(session, token, now=ui_system.clock.now())
    assert owner is not None and owner.id == ui_org.member_a.id
    rows = rows_of(user, TOKENS)
    assert sorted(row["name"] for row in rows) == ["Wall display", "tests"]
    assert next(r for r in rows if r["name"] == "Wall display")["expires"] == "25 Dec 2026 10:00"
    user.find(marker="secret-done").click()
    await wait_for(lambda: not has(user, "secret-value"), what="the secret to go")


async def test_a_token_needs_a_name(user: User, ui_org: Org, sign_in: SignIn) -> None:
    await sign_in(user, ui_org.member_a, path="/account")
    user.find(marker="token-create").click()
    await fill(user, name="  ")
    save(user)
    field = element(user, "field-name")
    await wait_for(lambda: field.error is not None, what="the name's message")
    assert field.error == "is required"


async def test_revoking_a_token_removes_it(
    user: User, ui_org: Org, ui_system: System, sign_in: SignIn
) -> None:
    await sign_in(user, ui_org.member_a, path="/account")
    (row,) = await wait_rows(user, TOKENS, bool, what="the token list")
    user.find(marker=TOKENS).trigger("revoke", row)
    await wait_for(lambda: has(user, "confirm-ok"), what="the question")
    user.find(marker="confirm-ok").click()
    await user.should_see("You have no API tokens.", retries=30)
    with Session(ui_system.engine) as session:
        left = session.exec(select(ApiToken.user_id)).all()
    assert ui_org.member_a.id not in left
    assert len(left) == 6  # everyone else keeps theirs


async def test_the_account_page_needs_a_session(user: User) -> None:
    await user.open("/account")
    assert current_path(user) == "/login"
