"""The browser session: who is signed in, kept in NiceGUI's user storage (signed cookie).

The user is reloaded from the database on every page build and inside every event handler
(the websocket bypasses HTTP middleware), so a deactivated user or a changed role takes
effect at once.
"""

from __future__ import annotations

from collections.abc import Iterable

from nicegui import app, run, ui
from sqlmodel import Session

from workshub.app import System
from workshub.domain.models import Role, User
from workshub.domain.scope import Viewer, load_viewer

__all__ = ["HOME_BY_ROLE", "current_viewer", "forget_session", "remember_session", "require"]

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
