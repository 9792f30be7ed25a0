"""/account: change one's own password, and keep one's own API tokens (SPEC §7).

A password change bumps the session version, which ends every other session; this browser
stays signed in because the page stores the new version right away. A new token is shown this
once: only its hash is kept.
"""

from __future__ import annotations

from typing import Any

from fastapi.responses import RedirectResponse
from nicegui import background_tasks, binding, context, events, ui

from workshub.app import System
from workshub.domain.scope import Viewer
from workshub.domain.services import accounts
from workshub.domain.services.accounts import MIN_PASSWORD_LENGTH
from workshub.ui.actions import Outcome, read, write
from workshub.ui.components import section, tid
from workshub.ui.form_widgets import FormDialog, FormField, confirm, show_once
from workshub.ui.frame import ROLE_LABEL, frame
from workshub.ui.live import LivePage
from workshub.ui.session import current_viewer, remember_session
from workshub.ui.tokens_view import token_rows

__all__ = ["register"]

EXPIRY_OPTIONS = {0: "Never", 30: "30 days", 90: "90 days", 365: "1 year"}

TOKEN_ACTIONS = r"""
<q-td :props="props">
  <q-btn flat dense no-caps size="sm" color="negative" icon="block" label="Revoke"
         @click="$parent.$emit('revoke', props.row)" />
</q-td>
"""


@binding.bindable_dataclass
class AccountModel:
    password_error: str = ""
    no_tokens: bool = False


def register(system: System) -> None:
    @ui.page("/account", title="Account · WorksHub", reconnect_timeout=60)
    async def account_page() -> RedirectResponse | None:
        viewer = await current_viewer(system)
        if viewer is None:
            return RedirectResponse("/login")
        AccountPage(system, viewer)
        return None


class AccountPage:
    """The page's elements and handlers for one viewer."""

    def __init__(self, system: System, viewer: Viewer) -> None:
        self.system = system
        self.model = AccountModel()
        page = LivePage(system, viewer)
        with frame(page, title="Account", active="/account"):
            with ui.element("div").classes("w-full grid grid-cols-1 md:grid-cols-2 gap-4"):
                self._profile(viewer)
                self._password()
            self._tokens()
        background_tasks.create(self._load_tokens(), name="tokens", context=context.client)

    def _profile(self, viewer: Viewer) -> None:
        with section("You"):
            ui.label(viewer.name).classes("text-h6")
            ui.label(viewer.email).classes("wh-subtitle")
            with ui.row().classes("items-center gap-2 q-mt-sm"):
                ui.badge(ROLE_LABEL[viewer.role]).props("outline color=primary")
                ui.label(f"Times shown in {self.system.org.timezone}").classes("wh-subtitle")
            ui.button("Sign out", icon="logout", on_click=lambda: ui.navigate.to("/logout")).props(
                "flat no-caps color=grey-8"
            ).classes("q-mt-md")

    def _password(self) -> None:
        with section("Change password"):
            with ui.column().classes("w-full gap-1"):
                self.current = tid(
                    ui.input("Current password", password=True, password_toggle_button=True)
                    .props("outlined dense autocomplete=current-password")
                    .classes("w-full"),
                    "password-current",
                )
                self.new = tid(
                    ui.input("New password", password=True, password_toggle_button=True)
                    .props(
                        "outlined dense autocomplete=new-password "
                        f'hint="At least {MIN_PASSWORD_LENGTH} characters"'
                    )
                    .classes("w-full"),
                    "password-new",
                )
                self.repeat = tid(
                    ui.input("Repeat the new password", password=True)
                    .props("outlined dense autocomplete=new-password")
                    .classes("w-full"),
                    "password-repeat",
                )
                self.change = tid(
                    ui.button("Change password", on_click=self._change_password).props(
                        "unelevated no-caps"
                    ),
                    "password-submit",
                )
                ui.label("Signs you out everywhere else. API tokens keep working.").classes(
                    "wh-kpi-hint"
                )

    def _tokens(self) -> None:
        with section("API tokens"):
            with ui.row().classes("w-full items-center gap-2 wrap"):
                ui.label(
                    "For scripts and other tools: send it as “Authorization: Bearer …”."
                ).classes("wh-subtitle")
                ui.space()
                tid(
                    ui.button("New token", icon="add", on_click=self._create_token).props(
                        "unelevated no-caps"
                    ),
                    "token-create",
                )
            self.table = tid(
                ui.table(
                    columns=[
                        {"name": "name", "label": "Name", "field": "name", "align": "left"},
                        {
                            "name": "created",
                            "label": "Created",
                            "field": "created",
                            "align": "left",
                        },
                        {
                            "name": "expires",
                            "label": "Expires",
                            "field": "expires",
                            "align": "left",
                        },
                        {
                            "name": "last_used",
                            "label": "Last used",
                            "field": "last_used",
                            "align": "left",
                        },
                        {"name": "actions", "label": "", "field": "id", "align": "right"},
                    ],
                    rows=[],
                    row_key="id",
                )
                .props("flat dense hide-bottom wrap-cells loading")
                .classes("w-full"),
                "token-table",
            )
            self.table.add_slot("body-cell-actions", TOKEN_ACTIONS)
            self.table.on("revoke", self._revoke)
            self.table.bind_visibility_from(self.model, "no_tokens", backward=lambda v: not v)
            ui.label("You have no API tokens.").classes("wh-empty").bind_visibility_from(
                self.model, "no_tokens"
            )

    async def _viewer(self) -> Viewer | None:
        viewer = await current_viewer(self.system)
        if viewer is None:
            ui.navigate.to("/login")
        return viewer

    async def _load_tokens(self) -> None:
        viewer = await self._viewer()
        if viewer is None:
            return
        tokens = await read(self.system, lambda s: accounts.list_tokens(s, viewer.id)) or []
        self.table.rows = token_rows(tokens, self.system.tz)
        self.table.props(remove="loading")
        self.table.update()
        self.model.no_tokens = not tokens

    # --- password -------------------------------------------------------------------------

    async def _change_password(self) -> None:
        for element in (self.current, self.new, self.repeat):
            element.error = None
        if self.new.value != self.repeat.value:
            self.repeat.error = "does not match the new password"
            return
        viewer = await self._viewer()
        if viewer is None:
            return
        current, new = self.current.value or "", self.new.value or ""
        self.change.props("loading")
        try:
            outcome = await write(
                self.system,
                viewer,
                lambda uow: accounts.change_password(uow, viewer, current=current, new=new),
            )
        finally:
            self.change.props(remove="loading")
        if not outcome.ok or outcome.value is None:
            fields = outcome.fields or {}
            self.current.error = fields.get("current")
            self.new.error = fields.get("new")
            if not fields:
                ui.notify(outcome.error, type="negative")
            return
        remember_session(outcome.value)  # this browser stays signed in with the new version
        for element in (self.current, self.new, self.repeat):
            element.value = ""
        ui.notify("Password changed. Other sessions are signed out.", type="positive")

    # --- tokens ---------------------------------------------------------------------------

    async def _create_token(self) -> None:
        if await self._viewer() is None:
            return
        form = FormDialog(
            "New API token",
            [
                FormField("name", "Name", hint="What uses it, e.g. “wall display”"),
                FormField("expires_in_days", "Expires", "select", options=EXPIRY_OPTIONS),
            ],
            values={"expires_in_days": 90},
            submit_label="Create",
        )

        async def submit(values: dict[str, Any]) -> Outcome[Any] | None:
            viewer = await self._viewer()
            if viewer is None:
                return None
            days = values["expires_in_days"] or None
            name = values["name"] or ""
            return await write(
                self.system,
                viewer,
                lambda uow: accounts.create_api_token(
                    uow, user_id=viewer.id, name=name, expires_in_days=days
                )[0],
            )

        outcome = await form.run(submit)
        if outcome is None or not isinstance(outcome.value, str):
            return
        await self._load_tokens()
        await show_once(
            "Your new API token",
            outcome.value,
            note="Copy it now: WorksHub keeps only a fingerprint and cannot show it again.",
        )

    async def _revoke(self, event: events.GenericEventArguments) -> None:
        row = event.args
        if not await confirm(
            f"Revoke “{row['name']}”?",
            ok_label="Revoke",
            detail="Scripts using it stop working at once.",
        ):
            return
        viewer = await self._viewer()
        if viewer is None:
            return
        outcome = await write(
            self.system,
            viewer,
            lambda uow: accounts.revoke_token(uow, token_id=int(row["id"]), user_id=viewer.id),
        )
        if outcome.ok:
            ui.notify("Token revoked.", type="positive", timeout=1500)
        else:
            ui.notify(outcome.error, type="negative")
        await self._load_tokens()
