"""WorksHub inside NiceGUI's user simulation: one fresh System, its pages and live layer per test.

`nicegui.testing.user_simulation` needs a main file or a root page; WorksHub registers its pages
with `create_app(system)` instead, so this mirrors the simulation's few steps with that call in
the middle. NiceGUI's reset pops the modules of page functions from `sys.modules` on the way out
(so a main file re-imports them); WorksHub's modules are restored, or the next test would import
a second copy of the package.
"""

from __future__ import annotations

import asyncio
import gc
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import ModuleType

import httpx
from fastapi import Request
from nicegui import app, core, ui
from nicegui.functions.download import download
from nicegui.functions.navigate import Navigate
from nicegui.functions.notify import notify
from nicegui.testing.general import nicegui_reset_globals, prepare_simulation
from nicegui.testing.user import User

from workshub.app import System
from workshub.domain.models import User as Person
from workshub.server import create_app
from workshub.ui.session import remember_session

__all__ = ["PASSWORD", "SIGN_IN_ROUTE", "settle", "simulate"]

PASSWORD = "secret"  # tests/factories.py gives every user this password
SIGN_IN_ROUTE = "/_test/sign-in"  # exists only inside the simulation


def _own_modules() -> dict[str, ModuleType]:
    return {
        name: module
        for name, module in sys.modules.items()
        if name == "workshub" or name.startswith(("workshub.", "tests."))
    }


def _add_sign_in_route(system: System) -> None:
    """A shortcut for tests that are not about signing in: sets the session cookie's user."""

    @app.get(f"{SIGN_IN_ROUTE}/{{user_id}}", include_in_schema=False)
    def test_sign_in(user_id: int, request: Request) -> dict[str, int]:
        from sqlmodel import Session

        with Session(system.engine) as session:
            person = session.get(Person, user_id)
            assert person is not None, f"no user {user_id}"
            remember_session(person)
        return {"user_id": user_id}


@asynccontextmanager
async def simulate(system: System) -> AsyncIterator[User]:
    """A simulated browser user against WorksHub on `system` (lifespan started: live layer on)."""
    modules = _own_modules()
    try:
        with nicegui_reset_globals():
            # NiceGUI collects garbage on the way in and out of every simulation; late in the
            # suite that walked everything earlier tests left alive (~1.5 s per test, a third
            # of the suite). What is alive now, after the collection on the way in, is
            # frozen: the next collections walk only what this and later tests make.
            gc.freeze()
            os.environ["NICEGUI_USER_SIMULATION"] = "true"
            try:
                prepare_simulation()
                create_app(system)
                _add_sign_in_route(system)
                ui.run(storage_secret="simulated secret", reload=False, show=False)
                async with core.app.router.lifespan_context(core.app):
                    transport = httpx.ASGITransport(core.app)
                    async with httpx.AsyncClient(
                        transport=transport, base_url="http://test"
                    ) as client:
                        yield User(client)
            finally:
                os.environ.pop("NICEGUI_USER_SIMULATION", None)
                ui.navigate = Navigate()
                ui.notify = notify
                ui.download = download
    finally:
        sys.modules.update(modules)


async def settle(system: System) -> None:
    """Let published events reach the store, its recomputes finish and pushes reach the page."""
    for _ in range(3):
        await asyncio.sleep(0)
        await system.store.wait_idle()
    await asyncio.sleep(0.05)
