"""Dependencies every route shares: the composition root, the caller, the live store.

The caller is reloaded from the database on every request (SPEC §2): a deactivated user or a
changed role acts at once. Only the caller's lookup touches the database, so only it is sync
(FastAPI runs it in its thread pool and the event loop never waits on the database); the
others are `async def`, which FastAPI runs on the loop without a trip through the pool.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

from workshub.api.errors import Unavailable
from workshub.app import System
from workshub.domain.errors import Forbidden, Unauthenticated
from workshub.domain.models import Role
from workshub.domain.scope import Viewer, load_viewer
from workshub.domain.services import accounts
from workshub.live.store import LiveStore

__all__ = [
    "BROWSER_SESSION_STATE",
    "BrowserSession",
    "Caller",
    "CallerDep",
    "OptionalCallerDep",
    "SystemDep",
    "ViewerDep",
    "get_store",
    "get_system",
    "require_role",
]

# The seam for the browser session (the pages issue fills it): a callable stored on
# `app.state` under this name that returns (user_id, session_version) for a request carrying
# a valid signed session cookie, else None. Requests without a bearer token consult it.
BROWSER_SESSION_STATE = "workshub_browser_session"
BrowserSession = Callable[[Request], tuple[int, int] | None]

_MAX_TOKEN = 200


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is calling: the reloaded viewer, and the bearer token used (None for a browser)."""

    viewer: Viewer
    token: str | None


async def get_system(request: Request) -> System:
    system: System = request.app.state.system
    return system


SystemDep = Annotated[System, Depends(get_system)]


def _bearer(request: Request) -> str | None:
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > _MAX_TOKEN:
        raise Unauthenticated("Use `Authorization: Bearer <token>`.")
    return token


def _token_caller(system: System, token: str) -> Caller:
    now = system.clock.now()
    with Session(system.engine, expire_on_commit=False) as session:
        # One statement (two for a team lead): no transaction around it on SQLite.
        session.connection(execution_options={"sqlite_begin": None})
        owner = accounts.token_owner(session, token, now=now)
        viewer = load_viewer(session, owner.user_id) if owner is not None else None
    if owner is None or viewer is None:
        raise Unauthenticated("The token is invalid, expired or revoked.")
    if owner.touch_due:  # written with others by the server's flush (TokenTouches)
        system.touches.record(owner.token_id, at=now)
    return Caller(viewer=viewer, token=token)


def _browser_caller(request: Request, system: System) -> Caller | None:
    resolve: BrowserSession | None = getattr(request.app.state, BROWSER_SESSION_STATE, None)
    found = resolve(request) if resolve is not None else None
    if found is None:
        return None
    user_id, session_version = found
    with Session(system.engine) as session:
        viewer = load_viewer(session, user_id, session_version=session_version)
    return Caller(viewer=viewer, token=None) if viewer is not None else None


def optional_caller(request: Request, system: SystemDep) -> Caller | None:
    """The caller, None when no credentials came; bad credentials are a 401, never ignored."""
    token = _bearer(request)
    if token is not None:
        return _token_caller(system, token)
    return _browser_caller(request, system)


OptionalCallerDep = Annotated[Caller | None, Depends(optional_caller)]


async def current_caller(caller: OptionalCallerDep) -> Caller:
    if caller is None:
        raise Unauthenticated()
    return caller


CallerDep = Annotated[Caller, Depends(current_caller)]


async def current_viewer(caller: CallerDep) -> Viewer:
    return caller.viewer


ViewerDep = Annotated[Viewer, Depends(current_viewer)]


def require_role(viewer: Viewer, *roles: Role) -> Viewer:
    """Forbidden (403) for a role that may never use the route."""
    if viewer.role not in roles:
        raise Forbidden()
    return viewer


def get_store(system: System) -> LiveStore:
    """The live store; a system built without one (a tool, a partial test) answers 503."""
    store: LiveStore | None = getattr(system, "store", None)
    if store is None:
        raise Unavailable("The live store is not running.")
    return store
