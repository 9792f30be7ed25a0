"""/admin (admin only): people, teams, clients, projects and API tokens (SPEC §2, §7).

Each list is one table filled by a read off the loop and read again after each write; every
create or edit is a form dialog whose validation messages appear next to their fields. The
services check the role too: this page is a convenience over them, never the gate.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from fastapi.responses import RedirectResponse
from nicegui import background_tasks, context, events, ui
from sqlmodel import Session

from workshub.app import System
from workshub.domain.errors import Forbidden
from workshub.domain.models import BillingModel, BudgetPeriod, ClientStatus, ProjectStatus, Role
from workshub.domain.scope import Viewer
from workshub.domain.services import accounts, admin
from workshub.domain.services.admin import LEAD_ROLES
from workshub.domain.services.admin_lists import list_all_projects, list_all_tokens
from workshub.domain.services.reference import list_clients, list_teams, list_users
from workshub.domain.uow import UnitOfWork
from workshub.ui.actions import Outcome, read, write
from workshub.ui.admin_widgets import (
    EDIT_ARCHIVE_SLOT,
    STATUS_CELL,
    action_slot,
    changes,
    column,
    day_or_none,
    fmt_number,
    list_table,
)
from workshub.ui.components import fmt_hours, tid
from workshub.ui.form_widgets import FormDialog, FormField, confirm, show_once
from workshub.ui.frame import ROLE_LABEL, frame
from workshub.ui.live import LivePage
from workshub.ui.session import HOME_BY_ROLE, current_viewer
from workshub.ui.tokens_view import token_rows

__all__ = ["register"]

ROLE_OPTIONS = {role.value: ROLE_LABEL[role] for role in Role}
BILLING_LABEL = {
    BillingModel.t_and_m.value: "Time & materials",
    BillingModel.retainer.value: "Retainer",
    BillingModel.fixed_fee.value: "Fixed fee",
    BillingModel.internal.value: "Internal",
}
PERIOD_LABEL = {BudgetPeriod.total.value: "in total", BudgetPeriod.monthly.value: "a month"}
CLIENT_STATUS = {status.value: status.value.title() for status in ClientStatus}
PROJECT_STATUS = {status.value: status.value.title() for status in ProjectStatus}
USER_EDIT = (
    "email",
    "name",
    "role",
    "team_id",
    "weekly_capacity_hours",
    "bill_rate",
    "cost_rate",
    "starts_on",
    "ends_on",
    "is_active",
)
TABS = (
    ("people", "People", "group"),
    ("teams", "Teams", "groups"),
    ("clients", "Clients", "business"),
    ("projects", "Projects", "work"),
    ("tokens", "API tokens", "key"),
)


def register(system: System) -> None:
    @ui.page("/admin", title="Admin · WorksHub", reconnect_timeout=60)
    async def admin_page(tab: str = "people") -> RedirectResponse | None:
        viewer = await current_viewer(system)
        if viewer is None:
            return RedirectResponse("/login")
        if viewer.role is not Role.admin:
            return RedirectResponse(HOME_BY_ROLE[viewer.role])
        AdminPage(system, viewer, tab if tab in {name for name, _, _ in TABS} else "people")
        return None


class AdminPage:
    """The page's tables, dialogs and handlers for one admin."""

    def __init__(self, system: System, viewer: Viewer, tab: str) -> None:
        self.system = system
        self.users: list[dict[str, Any]] = []
        self.teams: list[dict[str, Any]] = []
        self.clients: list[dict[str, Any]] = []
        self.projects: list[dict[str, Any]] = []
        page = LivePage(system, viewer)
        with frame(page, title="Admin", active="/admin"):
            with ui.element("div").classes("wh-card w-full q-pa-none"):
                with ui.tabs().props("align=left no-caps active-color=primary") as tabs:
                    for name, label, icon in TABS:
                        tid(ui.tab(name, label, icon=icon), f"admin-tab-{name}")
                tabs.set_value(tab)
                ui.separator()
                with ui.tab_panels(tabs, value=tab).classes("w-full"):
                    with ui.tab_panel("people"):
                        self.people_table = self._people()
                    with ui.tab_panel("teams"):
                        self.team_table = self._teams()
                    with ui.tab_panel("clients"):
                        self.client_table = self._clients()
                    with ui.tab_panel("projects"):
                        self.project_table = self._projects()
                    with ui.tab_panel("tokens"):
                        self.token_table = self._tokens()
        background_tasks.create(self.load_all(), name="admin lists", context=context.client)

    # --- access and data ------------------------------------------------------------------

    async def _admin(self) -> Viewer | None:
        """The admin again, as every handler checks before it reads or writes."""
        viewer = await current_viewer(self.system)
        if viewer is None:
            ui.navigate.to("/login")
        elif viewer.role is not Role.admin:
            ui.navigate.to(HOME_BY_ROLE[viewer.role])
            return None
        return viewer

    async def _read(self, work: Callable[[Session, Viewer], Any]) -> Any:
        viewer = await self._admin()
        if viewer is None:
            return None
        return await read(self.system, lambda session: work(session, viewer))

    async def load_all(self) -> None:
        await self.load_teams()  # teams and people first: the forms' pickers list them
        await self.load_people()
        await self.load_clients()
        await self.load_projects()
        await self.load_tokens()

    async def load_people(self) -> None:
        users = await self._read(list_users)
        if users is None:
            return
        self.users = users
        self._fill(self.people_table, [_person_row(u) for u in users])

    async def load_teams(self) -> None:
        teams = await self._read(list_teams)
        if teams is None:
            return
        self.teams = teams
        self._fill(self.team_table, teams)

    async def load_clients(self) -> None:
        now = self.system.clock.now()
        clients = await self._read(lambda s, v: list_clients(s, v, now=now))
        if clients is None:
            return
        self.clients = clients
        self._fill(self.client_table, [_client_row(c) for c in clients])

    async def load_projects(self) -> None:
        projects = await self._read(list_all_projects)
        if projects is None:
            return
        self.projects = projects
        self._fill(self.project_table, [_project_row(p) for p in projects])

    async def load_tokens(self) -> None:
        tokens = await self._read(list_all_tokens)
        if tokens is not None:
            self._fill(self.token_table, token_rows(tokens, self.system.tz))

    @staticmethod
    def _fill(table: ui.table, rows: list[dict[str, Any]]) -> None:
        table.rows = rows
        table.props(remove="loading")
        table.update()

    async def _write(self, work: Callable[[UnitOfWork, Viewer], Any]) -> Outcome[Any] | None:
        viewer = await self._admin()
        if viewer is None:
            return None
        return await write(self.system, viewer, lambda uow: work(uow, viewer))

    # --- options for pickers --------------------------------------------------------------

    def _team_options(self) -> dict[int, str]:
        return {t["id"]: t["name"] for t in self.teams}

    def _lead_options(self, current: int | None = None) -> dict[int, str]:
        leads = {
            u["id"]: f"{u['name']} · {ROLE_LABEL[Role(u['role'])]}"
            for u in self.users
            if u["is_active"] and Role(u["role"]) in LEAD_ROLES
        }
        if current is not None and current not in leads:
            leads[current] = next((u["name"] for u in self.users if u["id"] == current), "?")
        return leads

    def _client_options(self, current: int | None = None) -> dict[int, str]:
        return {
            c["id"]: c["name"] + ("" if c["status"] == "active" else " (archived)")
            for c in self.clients
            if c["status"] == "active" or c["id"] == current
        }

    # --- people ---------------------------------------------------------------------------

    def _people(self) -> ui.table:
        toolbar, table = list_table(
            [
                column("name", "Name"),
                column("email", "Email"),
                column("role_label", "Role"),
                column("team_name", "Team"),
                column("capacity", "Hours/week", align="right"),
                column("bill_rate", "Bill rate", align="right"),
                column("cost_rate", "Cost rate", align="right"),
                column("starts_on", "Starts"),
                column("ends_on", "Ends"),
                column("status", "Status"),
            ],
            test_id="admin-users-table",
            search="Search people",
        )
        with toolbar:
            ui.space()
            tid(
                ui.button("Add person", icon="person_add", on_click=self._create_user).props(
                    "unelevated no-caps"
                ),
                "admin-user-add",
            )
        table.add_slot("body-cell-status", STATUS_CELL)
        table.add_slot(
            "body-cell-actions",
            action_slot(("edit", "edit", "Edit"), ("reset", "lock_reset", "Reset password")),
        )
        table.on("edit", self._edit_user)
        table.on("reset", self._reset_password)
        return table

    def _user_fields(self, *, new: bool) -> list[FormField]:
        fields = [
            FormField("name", "Name"),
            FormField("email", "Email", "email"),
            FormField("role", "Role", "select", options=ROLE_OPTIONS),
            FormField("team_id", "Team", "select", options=self._team_options(), clearable=True),
            FormField("weekly_capacity_hours", "Hours a week", "number", step=0.5),
            FormField("bill_rate", "Bill rate (per hour)", "number"),
            FormField("cost_rate", "Cost rate (per hour)", "number"),
            FormField("starts_on", "Starts on", "date"),
            FormField("ends_on", "Ends on", "date", hint="the last working day, if leaving"),
        ]
        if new:
            fields.append(
                FormField(
                    "password",
                    "Password",
                    "password",
                    hint="optional: without one, reset it later to let them sign in",
                )
            )
        else:
            fields.append(FormField("is_active", "Active (may sign in)", "switch"))
        return fields

    async def _create_user(self) -> None:
        if await self._admin() is None:
            return
        form = FormDialog(
            "Add a person",
            self._user_fields(new=True),
            values={"role": Role.team_member.value, "weekly_capacity_hours": 37.5},
            submit_label="Add",
        )

        async def submit(values: dict[str, Any]) -> Outcome[Any] | None:
            days = _days(form, values, "starts_on", "ends_on")
            if days is None:
                return None
            return await self._write(
                lambda uow, me: (
                    admin.create_user(
                        uow,
                        me,
                        email=values["email"] or "",
                        name=values["name"] or "",
                        role=values["role"] or "",
                        team_id=values["team_id"],
                        password=values["password"] or None,
                        weekly_capacity_hours=values["weekly_capacity_hours"],
                        bill_rate=values["bill_rate"],
                        cost_rate=values["cost_rate"],
                        starts_on=days["starts_on"],
                        ends_on=days["ends_on"],
                    ).id
                )
            )

        if await form.run(submit):
            ui.notify("Person added.", type="positive", timeout=1500)
            await self.load_people()
            await self.load_teams()

    async def _edit_user(self, event: events.GenericEventArguments) -> None:
        if await self._admin() is None:
            return
        user = next((u for u in self.users if u["id"] == event.args["id"]), None)
        if user is None:
            return
        form = FormDialog(
            f"Edit {user['name']}",
            self._user_fields(new=False),
            values=user,
            subtitle=user["email"],
        )

        async def submit(values: dict[str, Any]) -> Outcome[Any] | None:
            patch = changes(values, user, USER_EDIT)
            return await self._write(
                lambda uow, me: admin.update_user(uow, me, user_id=user["id"], **patch).id
            )

        if await form.run(submit):
            ui.notify("Saved.", type="positive", timeout=1500)
            await self.load_people()
            await self.load_teams()

    async def _reset_password(self, event: events.GenericEventArguments) -> None:
        row = event.args
        if not await confirm(
            f"Reset {row['name']}'s password?",
            ok_label="Reset",
            detail="They are signed out everywhere; you get a new password to pass on.",
        ):
            return
        outcome = await self._write(
            lambda uow, me: accounts.reset_password(uow, me, user_id=int(row["id"]))
        )
        if outcome is None:
            return
        if not outcome.ok or not isinstance(outcome.value, str):
            ui.notify(outcome.error, type="negative")
            return
        await show_once(
            f"New password for {row['name']}",
            outcome.value,
            note="Pass it on safely; it is shown only this once. They can change it on /account.",
        )

    # --- teams ----------------------------------------------------------------------------

    def _teams(self) -> ui.table:
        toolbar, table = list_table(
            [
                column("name", "Team"),
                column("lead_name", "Lead"),
                column("member_count", "Active members", align="right"),
            ],
            test_id="admin-teams-table",
            search="Search teams",
        )
        with toolbar:
            ui.space()
            tid(
                ui.button("Add team", icon="group_add", on_click=self._create_team).props(
                    "unelevated no-caps"
                ),
                "admin-team-add",
            )
        table.add_slot("body-cell-actions", action_slot(("edit", "edit", "Rename or change lead")))
        table.on("edit", self._edit_team)
        return table

    def _team_fields(self, lead: int | None = None) -> list[FormField]:
        return [
            FormField("name", "Name"),
            FormField(
                "lead_id",
                "Lead",
                "select",
                options=self._lead_options(lead),
                clearable=True,
                hint="a manager, slt or admin",
            ),
        ]

    async def _create_team(self) -> None:
        if await self._admin() is None:
            return
        form = FormDialog("Add a team", self._team_fields(), submit_label="Add")

        async def submit(values: dict[str, Any]) -> Outcome[Any] | None:
            return await self._write(
                lambda uow, me: (
                    admin.create_team(
                        uow, me, name=values["name"] or "", lead_id=values["lead_id"]
                    ).id
                )
            )

        if await form.run(submit):
            ui.notify("Team added.", type="positive", timeout=1500)
            await self.load_teams()

    async def _edit_team(self, event: events.GenericEventArguments) -> None:
        if await self._admin() is None:
            return
        team = next((t for t in self.teams if t["id"] == event.args["id"]), None)
        if team is None:
            return
        form = FormDialog(f"Edit {team['name']}", self._team_fields(team["lead_id"]), values=team)

        async def submit(values: dict[str, Any]) -> Outcome[Any] | None:
            patch = changes(values, team, ("name", "lead_id"))
            return await self._write(
                lambda uow, me: admin.update_team(uow, me, team_id=team["id"], **patch).id
            )

        if await form.run(submit):
            ui.notify("Saved.", type="positive", timeout=1500)
            await self.load_teams()

    # --- clients --------------------------------------------------------------------------

    def _clients(self) -> ui.table:
        toolbar, table = list_table(
            [
                column("name", "Client"),
                column("account_lead_name", "Account lead"),
                column("target", "Target rate", align="right"),
                column("status", "Status"),
            ],
            test_id="admin-clients-table",
            search="Search clients",
        )
        with toolbar:
            ui.space()
            tid(
                ui.button("Add client", icon="add_business", on_click=self._create_client).props(
                    "unelevated no-caps"
                ),
                "admin-client-add",
            )
        table.add_slot("body-cell-status", STATUS_CELL)
        table.add_slot("body-cell-actions", EDIT_ARCHIVE_SLOT)
        table.on("edit", self._edit_client)
        table.on("archive", self._archive_client)
        return table

    def _client_fields(self, lead: int | None = None) -> list[FormField]:
        return [
            FormField("name", "Name"),
            FormField(
                "account_lead_id",
                "Account lead",
                "select",
                options=self._lead_options(lead),
                clearable=True,
            ),
            FormField("target_rate", "Target rate (per hour)", "number"),
            FormField("status", "Status", "select", options=CLIENT_STATUS),
        ]

    async def _create_client(self) -> None:
        if await self._admin() is None:
            return
        form = FormDialog(
            "Add a client",
            self._client_fields(),
            values={"status": ClientStatus.active.value},
            submit_label="Add",
        )

        async def submit(values: dict[str, Any]) -> Outcome[Any] | None:
            return await self._write(
                lambda uow, me: (
                    admin.create_client(
                        uow,
                        me,
                        name=values["name"] or "",
                        account_lead_id=values["account_lead_id"],
                        target_rate=values["target_rate"],
                        status=values["status"] or ClientStatus.active.value,
                    ).id
                )
            )

        if await form.run(submit):
            ui.notify("Client added.", type="positive", timeout=1500)
            await self.load_clients()

    async def _edit_client(self, event: events.GenericEventArguments) -> None:
        if await self._admin() is None:
            return
        client = next((c for c in self.clients if c["id"] == event.args["id"]), None)
        if client is None:
            return
        form = FormDialog(
            f"Edit {client['name']}",
            self._client_fields(client["account_lead_id"]),
            values=client,
        )

        async def submit(values: dict[str, Any]) -> Outcome[Any] | None:
            patch = changes(values, client, admin.CLIENT_FIELDS)
            return await self._write(
                lambda uow, me: admin.update_client(uow, me, client_id=client["id"], **patch).id
            )

        if await form.run(submit):
            ui.notify("Saved.", type="positive", timeout=1500)
            await self.load_clients()
            await self.load_projects()

    async def _archive_client(self, event: events.GenericEventArguments) -> None:
        row = event.args
        archive = row["status"] == ClientStatus.active.value
        if archive and not await confirm(
            f"Archive {row['name']}?",
            ok_label="Archive",
            detail="Nobody can track time on its projects until it is restored.",
        ):
            return
        status = ClientStatus.archived.value if archive else ClientStatus.active.value
        outcome = await self._write(
            lambda uow, me: admin.update_client(uow, me, client_id=int(row["id"]), status=status).id
        )
        if outcome is not None:
            _report(outcome, "Client archived." if archive else "Client restored.")
            await self.load_clients()

    # --- projects -------------------------------------------------------------------------

    def _projects(self) -> ui.table:
        toolbar, table = list_table(
            [
                column("client_name", "Client"),
                column("name", "Project"),
                column("billing", "Billing"),
                column("budget", "Budget (h)", align="right"),
                column("fee", "Fee", align="right"),
                column("rate", "Rate", align="right"),
                column("starts_on", "Starts"),
                column("ends_on", "Ends"),
                column("status", "Status"),
            ],
            test_id="admin-projects-table",
            search="Search projects",
        )
        with toolbar:
            ui.space()
            tid(
                ui.button("Add project", icon="add", on_click=self._create_project).props(
                    "unelevated no-caps"
                ),
                "admin-project-add",
            )
        table.add_slot("body-cell-status", STATUS_CELL)
        table.add_slot("body-cell-actions", EDIT_ARCHIVE_SLOT)
        table.on("edit", self._edit_project)
        table.on("archive", self._archive_project)
        return table

    def _project_fields(self, client: int | None = None) -> list[FormField]:
        return [
            FormField(
                "client_id",
                "Client",
                "select",
                options=self._client_options(client),
                clearable=True,
                hint="empty for an internal project",
            ),
            FormField("name", "Name"),
            FormField("billing_model", "Billing", "select", options=BILLING_LABEL),
            FormField("bill_rate", "Bill rate (per hour)", "number", hint="empty: each person's"),
            FormField("budget_hours", "Budget (hours)", "number"),
            FormField("budget_period", "Budget period", "select", options=PERIOD_LABEL),
            FormField("fee", "Fee", "number", hint="fixed fee: total · retainer: a month"),
            FormField("status", "Status", "select", options=PROJECT_STATUS),
            FormField("starts_on", "Starts on", "date"),
            FormField("ends_on", "Ends on", "date"),
            FormField("default_billable", "Billable by default", "switch"),
        ]

    async def _create_project(self) -> None:
        if await self._admin() is None:
            return
        form = FormDialog(
            "Add a project",
            self._project_fields(),
            values={
                "billing_model": BillingModel.t_and_m.value,
                "budget_period": BudgetPeriod.total.value,
                "status": ProjectStatus.active.value,
                "starts_on": self.system.clock.now().astimezone(self.system.tz).date(),
                "default_billable": True,
            },
            submit_label="Add",
        )

        async def submit(values: dict[str, Any]) -> Outcome[Any] | None:
            days = _days(form, values, "starts_on", "ends_on")
            if days is None:
                return None
            if days["starts_on"] is None:
                form.fail("starts_on", "is required")
                return None
            starts_on: date = days["starts_on"]
            return await self._write(
                lambda uow, me: (
                    admin.create_project(
                        uow,
                        me,
                        name=values["name"] or "",
                        client_id=values["client_id"],
                        billing_model=values["billing_model"] or "",
                        starts_on=starts_on,
                        budget_hours=values["budget_hours"],
                        budget_period=values["budget_period"] or BudgetPeriod.total.value,
                        fee=values["fee"],
                        bill_rate=values["bill_rate"],
                        ends_on=days["ends_on"],
                        default_billable=bool(values["default_billable"]),
                        status=values["status"] or ProjectStatus.active.value,
                    ).id
                )
            )

        if await form.run(submit):
            ui.notify("Project added.", type="positive", timeout=1500)
            await self.load_projects()

    async def _edit_project(self, event: events.GenericEventArguments) -> None:
        if await self._admin() is None:
            return
        project = next((p for p in self.projects if p["id"] == event.args["id"]), None)
        if project is None:
            return
        form = FormDialog(
            f"Edit {project['name']}",
            self._project_fields(project["client_id"]),
            values=project,
            subtitle=project["client_name"] or "Internal",
        )

        async def submit(values: dict[str, Any]) -> Outcome[Any] | None:
            patch = changes(values, project, admin.PROJECT_FIELDS)
            return await self._write(
                lambda uow, me: (
                    admin.update_project(uow, me, project_id=int(project["id"]), **patch).id
                )
            )

        if await form.run(submit):
            ui.notify("Saved.", type="positive", timeout=1500)
            await self.load_projects()

    async def _archive_project(self, event: events.GenericEventArguments) -> None:
        row = event.args
        archive = row["status"] == ProjectStatus.active.value
        status = ProjectStatus.archived.value if archive else ProjectStatus.active.value
        outcome = await self._write(
            lambda uow, me: (
                admin.update_project(uow, me, project_id=int(row["id"]), status=status).id
            )
        )
        if outcome is not None:
            _report(outcome, "Project archived." if archive else "Project restored.")
            await self.load_projects()

    # --- API tokens -----------------------------------------------------------------------

    def _tokens(self) -> ui.table:
        toolbar, table = list_table(
            [
                column("user", "Person"),
                column("name", "Token"),
                column("created", "Created"),
                column("expires", "Expires"),
                column("last_used", "Last used"),
            ],
            test_id="admin-tokens-table",
            search="Search tokens",
        )
        with toolbar:
            ui.space()
            ui.label("People create their own tokens on their Account page.").classes("wh-subtitle")
        table.add_slot("body-cell-actions", action_slot(("revoke", "block", "Revoke")))
        table.on("revoke", self._revoke_token)
        return table

    async def _revoke_token(self, event: events.GenericEventArguments) -> None:
        row = event.args
        if not await confirm(
            f"Revoke {row['user']}'s token “{row['name']}”?",
            ok_label="Revoke",
            detail="Scripts using it stop working at once.",
        ):
            return

        def revoke(uow: UnitOfWork, me: Viewer) -> None:
            if not me.is_admin:  # revoke_token itself trusts its caller
                raise Forbidden()
            accounts.revoke_token(uow, token_id=int(row["id"]))

        outcome = await self._write(revoke)
        if outcome is not None:
            _report(outcome, "Token revoked.")
            await self.load_tokens()


# --- rows and helpers -------------------------------------------------------------------------


def _person_row(user: dict[str, Any]) -> dict[str, Any]:
    return user | {
        "role_label": ROLE_LABEL[Role(user["role"])],
        "team_name": user["team_name"] or "—",
        "capacity": fmt_hours(user["weekly_capacity_hours"]),
        "bill_rate": fmt_number(user.get("bill_rate")),
        "cost_rate": fmt_number(user.get("cost_rate")),
        "starts_on": user["starts_on"] or "",
        "ends_on": user["ends_on"] or "",
        "status": "active" if user["is_active"] else "inactive",
    }


def _client_row(client: dict[str, Any]) -> dict[str, Any]:
    return client | {
        "account_lead_name": client["account_lead_name"] or "—",
        "target": fmt_number(client.get("target_rate")),
    }


def _project_row(project: dict[str, Any]) -> dict[str, Any]:
    budget = project["budget_hours"]
    return project | {
        "client_name": project["client_name"] or "Internal",
        "billing": BILLING_LABEL.get(project["billing_model"], project["billing_model"]),
        "budget": "—"
        if budget is None
        else f"{fmt_number(budget)} {PERIOD_LABEL[project['budget_period']]}",
        "fee": fmt_number(project.get("fee")),
        "rate": fmt_number(project.get("bill_rate")),
        "starts_on": project["starts_on"] or "",
        "ends_on": project["ends_on"] or "",
    }


def _days(form: FormDialog, values: dict[str, Any], *names: str) -> dict[str, date | None] | None:
    days: dict[str, date | None] = {}
    for name in names:
        try:
            days[name] = day_or_none(values.get(name))
        except ValueError:
            form.fail(name, "must be a date")
            return None
    return days


def _report(outcome: Outcome[Any], done: str) -> None:
    if outcome.ok:
        ui.notify(done, type="positive", timeout=1500)
    else:
        ui.notify(outcome.error, type="negative")
