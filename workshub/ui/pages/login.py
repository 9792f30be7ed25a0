"""Sign-in: email and password; the role decides the home page."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import run, ui
from sqlmodel import Session

from workshub.app import System
from workshub.domain.errors import DomainError
from workshub.domain.models import Role, User
from workshub.domain.services.accounts import sign_in
from workshub.ui.components import tid
from workshub.ui.session import HOME_BY_ROLE, current_viewer, forget_session, remember_session

__all__ = ["register"]


def _sign_in(system: System, email: str, password: str, address: str) -> User:
    with Session(system.engine, expire_on_commit=False) as session:
        return sign_in(
            session, system.sign_in_throttle, email=email, password=password, address=address
        )


def register(system: System) -> None:
    @ui.page("/login", title="Sign in · WorksHub")
    async def login_page(request: Request) -> RedirectResponse | None:
        viewer = await current_viewer(system)
        if viewer is not None:
            return RedirectResponse(HOME_BY_ROLE[viewer.role])
        address = request.client.host if request.client else "unknown"

        async def submit() -> None:
            error.set_visibility(False)
            if not email.value or not password.value:
                error.set_text("Enter your email and password.")
                error.set_visibility(True)
                return
            button.props("loading")
            try:
                user = await run.io_bound(
                    _sign_in, system, email.value.strip(), password.value, address
                )
            except DomainError as exc:
                error.set_text(exc.message)
                error.set_visibility(True)
                password.value = ""
                return
            finally:
                button.props(remove="loading")
            if user is None:  # io_bound returns None only when the app is shutting down
                return
            remember_session(user)
            ui.navigate.to(HOME_BY_ROLE[Role(user.role)])

        with ui.column().classes("w-full items-center justify-center").style("min-height: 90vh"):
            with ui.card().classes("wh-card w-full").style("max-width: 380px"):
                with ui.row().classes("items-center gap-2 q-mb-md"):
                    ui.image("/assets/logo.svg").classes("w-8 h-8")
                    ui.label(system.org.name).classes("wh-brand")
                ui.label("Sign in").classes("wh-title")
                ui.label("Track time, watch the team, see the business — live.").classes(
                    "wh-subtitle q-mb-md"
                )
                email = (
                    ui.input("Email")
                    .props("type=email autocomplete=username outlined dense autofocus")
                    .classes("w-full")
                    .mark("login-email")
                )
                email.props('data-testid="login-email"')
                password = (
                    ui.input("Password", password=True)
                    .props("autocomplete=current-password outlined dense")
                    .classes("w-full")
                    .on("keydown.enter", submit)
                )
                tid(password, "login-password")
                error = ui.label().classes("wh-banner-error w-full")
                error.set_visibility(False)
                button = (
                    ui.button("Sign in", on_click=submit)
                    .classes("w-full")
                    .props('unelevated color=primary data-testid="login-submit"')
                )
        return None

    @ui.page("/logout")
    def logout() -> RedirectResponse:
        forget_session()
        return RedirectResponse("/login")
