"""The browser session: who is signed in, kept in NiceGUI's user storage (signed cookie).

The user is reloaded from the database on every page build and inside every event handler
(the websocket bypasses HTTP middleware), so a deactivated user or a changed role takes
effect at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable

from nicegui import app, run, ui
from sqlmodel import Session
from starlette.types import ASGIApp, Receive, Scope, Send

from workshub.app import System
from workshub.domain.models import Role, User
from workshub.domain.scope import Viewer, load_viewer

__all__ = [
    "HOME_BY_ROLE",
    "UserStorageLoads",
    "current_viewer",
    "forget_session",
    "remember_session",
    "require",
]

HOME_BY_ROLE: dict[Role, str] = {
    Role.team_member: "/today",
    Role.manager: "/team",
    Role.slt: "/leadership",
    Role.admin: "/leadership",
}


def remember_session(user: User) -> None:
    app.storage.user.update({"user_id": user.id, "session_version": user.session_version})


def forget_session() -> None:
    app.storage.user.pop("user_id", None)
    app.storage.user.pop("session_version", None)


def _load(system: System, user_id: int, session_version: int) -> Viewer | None:
    with Session(system.engine) as session:
        return load_viewer(session, user_id, session_version=session_version)


async def current_viewer(system: System) -> Viewer | None:
    """The signed-in, still-active user with their current role, or None."""
    user_id = app.storage.user.get("user_id")
    version = app.storage.user.get("session_version")
    if not isinstance(user_id, int) or not isinstance(version, int):
        return None
    viewer = await run.io_bound(_load, system, user_id, version)
    if viewer is None:
        forget_session()
    return viewer


async def require(system: System, roles: Iterable[Role] | None = None) -> Viewer | None:
    """The viewer if signed in with one of `roles`; otherwise navigate away and return None.

    Use at the top of every page and every event handler that reads or writes data.
    """
    viewer = await current_viewer(system)
    if viewer is None:
        ui.navigate.to("/login")
        return None
    if roles is not None and viewer.role not in set(roles):
        ui.navigate.to(HOME_BY_ROLE[viewer.role])
        return None
    return viewer


class UserStorageLoads:
    """Requests wait until their browser's user storage has loaded.

    NiceGUI drops the user storage of a browser with no page open (after ~10 s) and, on that
    browser's next request, creates it again and reads its file in a worker thread. A second
    request of the same browser arriving meanwhile finds the storage there but still empty:
    it looked signed out and went to /login — several tabs opening at once, a restored
    session, 1 of 200 bench dashboards. This ASGI middleware sits inside NiceGUI's (which
    creates the storage) and holds such a request until the load has finished.
    """

    def __init__(self, app_: ASGIApp) -> None:
        self.app = app_

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        session = scope.get("session")
        if scope["type"] == "http" and isinstance(session, dict):
            loading = _loading.get(session.get("id", ""))
            if loading is not None:
                await loading.wait()
        await self.app(scope, receive, send)


_loading: dict[str, asyncio.Event] = {}


def track_user_storage_loads() -> None:
    """Note when each user storage is being loaded, and let requests wait for it (see
    `UserStorageLoads`). Call it with the app's other setup, before `ui.run`."""
    app.add_middleware(UserStorageLoads)
    storage = app.storage
    create: Callable[[str], Awaitable[None]] = storage._create_user_storage
    if getattr(create, "tracked", False):
        return

    async def tracked(session_id: str) -> None:
        loaded = _loading[session_id] = asyncio.Event()
        try:
            await create(session_id)
        finally:
            loaded.set()
            if _loading.get(session_id) is loaded:
                del _loading[session_id]

    tracked.tracked = True  # type: ignore[attr-defined]
    storage._create_user_storage = tracked  # type: ignore[method-assign]
