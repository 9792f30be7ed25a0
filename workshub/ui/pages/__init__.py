"""Every page, registered against one System."""

from __future__ import annotations

from fastapi.responses import RedirectResponse
from nicegui import ui

from workshub.app import System
from workshub.ui.pages import (
    account,
    admin,
    clients,
    leadership,
    login,
    status,
    team,
    timesheet,
    today,
)
from workshub.ui.session import HOME_BY_ROLE, current_viewer

__all__ = ["register"]

PAGES = (login, today, timesheet, account, team, leadership, clients, status, admin)


def register(system: System) -> None:
    for module in PAGES:
        module.register(system)

    @ui.page("/")
    async def index() -> RedirectResponse:
        viewer = await current_viewer(system)
        if viewer is None:
            return RedirectResponse("/login")
        return RedirectResponse(HOME_BY_ROLE[viewer.role])
