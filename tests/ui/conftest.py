"""Page tests: NiceGUI's simulated `user` (no browser, in-process) against a fresh WorksHub.

Each test gets its own System on a temporary SQLite copy with `build_org`'s small organisation
(tests/api/conftest.py), the FakeClock at Wed 2026-11-25 10:00 UTC, every page registered with
`create_app(system)` and the live layer started. NiceGUI's globals (pages, routes, clients,
storage) are reset around each test, so nothing leaks from one test to the next.

Writing a page test::

    from tests.ui.conftest import SignIn, current_path, expect_text, settle

    async def test_timer(user: User, ui_org: Org, ui_system: System, sign_in: SignIn) -> None:
        await sign_in(user, ui_org.member_a)           # session set; opens their home, /today
        # or: await sign_in(user, "manager", path="/team")  (a role from tests.api ROLES)
        assert current_path(user) == "/today"
        await user.should_see(marker="kpi-tracked-hours")  # tid() ids are markers too
        user.find(marker="timer-toggle").click()
        await expect_text(user, "timer-toggle", "Stop")    # waits for the push
        await settle(ui_system)   # or: let events → store → pushes finish, then assert

- `sign_in` sets the session directly (fast); `sign_in_via_form` types into /login.
- `create_user()` gives another simulated browser on the same app (a manager watching a member).
- `ui_system` is the System: write through domain services (UnitOfWork) to make data change
  behind the page, then `await settle(ui_system)` before asserting on what the page shows.
- `text_of(user, marker)` reads a label's current text (bindings included);
  `await expect_text(user, marker, "7.5")` waits (3 s at most) until it shows that.
"""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Protocol

import httpx
import pytest
from nicegui import core, ui
from nicegui.testing.user import User
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests.api.conftest import Org, build_org, engine, migrated_template
from tests.conftest import make_system
from tests.ui.harness import PASSWORD, SIGN_IN_ROUTE, settle, simulate
from workshub.app import System
from workshub.clock import FakeClock
from workshub.domain.models import Role
from workshub.domain.models import User as Person
from workshub.domain.scope import Viewer, load_viewer
from workshub.ui.session import HOME_BY_ROLE

__all__ = [
    "SignIn",
    "current_path",
    "engine",
    "expect_text",
    "migrated_template",
    "settle",
    "sign_in_via_form",
    "text_of",
    "viewer_of",
    "wait_for",
]


class SignIn(Protocol):
    def __call__(
        self, user: User, who: Person | str, *, path: str | None = None
    ) -> Awaitable[None]: ...


@pytest.fixture
def ui_system(engine: Engine, clock: FakeClock, tmp_path: Path) -> System:
    return make_system(engine, clock, tmp_path)


@pytest.fixture
def ui_org(ui_system: System) -> Org:
    """build_org's organisation in the page tests' database (see tests/api/conftest.py)."""
    return build_org(ui_system.engine)


@pytest.fixture
async def user(
    ui_system: System, ui_org: Org, caplog: pytest.LogCaptureFixture
) -> AsyncIterator[User]:
    """NiceGUI's simulated user, against WorksHub (overrides the plugin's main-file fixture)."""
    async with simulate(ui_system) as simulated:
        yield simulated
        errors = [r for r in caplog.get_records("call") if r.levelname in {"ERROR", "CRITICAL"}]
        if errors:
            pytest.fail(f"unexpected ERROR logs: {[r.getMessage() for r in errors]}")


@pytest.fixture
async def create_user(user: User) -> AsyncIterator[Callable[[], User]]:
    """More simulated users (separate sessions) on the same running app as `user`."""
    clients: list[httpx.AsyncClient] = []

    def make() -> User:
        client = httpx.AsyncClient(transport=httpx.ASGITransport(core.app), base_url="http://test")
        clients.append(client)
        return User(client)

    yield make
    for client in clients:
        await client.aclose()


def _person(org: Org, who: Person | str) -> Person:
    return org.by_role(who) if isinstance(who, str) else who


def home_of(person: Person) -> str:
    return HOME_BY_ROLE[Role(person.role)]


@pytest.fixture
def sign_in(ui_org: Org) -> SignIn:
    """`await sign_in(user, person_or_role, path=None)`: signed in, on `path` or their home."""

    async def go(user: User, who: Person | str, *, path: str | None = None) -> None:
        person = _person(ui_org, who)
        response = await user.http_client.get(f"{SIGN_IN_ROUTE}/{person.id}")
        assert response.status_code == 200, response.text
        await user.open(path or home_of(person))

    return go


@pytest.fixture
def signed_in(sign_in: SignIn) -> SignIn:
    """The same as `sign_in` (both names are in use)."""
    return sign_in


async def sign_in_via_form(user: User, email: str, password: str = PASSWORD) -> None:
    """Type into /login and submit; the caller asserts where it lands."""
    await user.open("/login")
    user.find(marker="login-email").type(email)
    # login.py marks only the email field; the others are found by kind and label
    user.find(kind=ui.input, content="Password").type(password)
    user.find(kind=ui.button, content="Sign in").click()
    await wait_for(lambda: current_path(user) != "/login", what="leaving /login")


def current_path(user: User) -> str:
    """The path of the page the user is on now (after redirects)."""
    assert user.client is not None, "no page opened yet"
    return user.client.page.path


def viewer_of(system: System, person: Person) -> Viewer:
    """`person` as a Viewer, for writing through services behind a page's back."""
    with Session(system.engine) as session:
        viewer = load_viewer(session, person.id or 0)
    assert viewer is not None, f"{person.email} is not an active user"
    return viewer


def text_of(user: User, marker: str) -> str:
    """The current text of the single element with this marker."""
    elements = list(user.find(marker=marker).elements)
    assert len(elements) == 1, f"{len(elements)} elements marked {marker!r}"
    element = elements[0]
    if isinstance(element, ui.button | ui.label | ui.badge):
        return element.text
    if isinstance(element, ui.html):  # a tile whose HTML holds the marked value
        found = re.search(rf'data-testid="{re.escape(marker)}">([^<]*)<', element.content)
        assert found, f"{marker!r} is not in {element.content!r}"
        return html.unescape(found.group(1))
    return str(element.props.get("label", element._text or ""))


async def wait_for(
    condition: Callable[[], object], *, what: str = "a condition", timeout: float = 3.0
) -> None:
    """Await a condition the event loop makes true (a navigation, a push)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def expect_text(user: User, marker: str, expected: str, *, timeout: float = 3.0) -> None:
    """Await until the element marked `marker` shows `expected` (pushes arrive asynchronously)."""
    try:
        await wait_for(lambda: text_of(user, marker) == expected, timeout=timeout)
    except AssertionError:
        raise AssertionError(
            f"{marker!r} shows {text_of(user, marker)!r}, expected {expected!r}"
        ) from None
