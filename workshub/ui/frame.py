"""One frame for every page: header with navigation, the connection state and the data's age,
the notification bell and drawer, refresh-all, and the user menu (SPEC §7)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from html import escape
from typing import Any

from nicegui import context, events, ui

from workshub.domain.models import Role
from workshub.domain.services import notifications as notification_service
from workshub.ui.actions import edit, new_request_id
from workshub.ui.components import browser_paginated, tid
from workshub.ui.edit_ops import notification_read_ops
from workshub.ui.edit_widgets import report_failure, saving_indicator
from workshub.ui.live import LiveDashboard, LivePage
from workshub.ui.optimistic import SetField
from workshub.ui.session import current_viewer

__all__ = ["NAV", "frame"]

# (label, path, roles that see it)
NAV: tuple[tuple[str, str, frozenset[Role]], ...] = (
    ("Today", "/today", frozenset(Role)),
    ("Timesheet", "/timesheet", frozenset(Role)),
    ("Team", "/team", frozenset({Role.manager, Role.slt, Role.admin})),
    ("Leadership", "/leadership", frozenset({Role.slt, Role.admin})),
    ("Clients", "/clients", frozenset({Role.manager, Role.slt, Role.admin})),
    ("Status", "/status", frozenset({Role.slt, Role.admin})),
    ("Admin", "/admin", frozenset({Role.admin})),
)

ROLE_LABEL = {
    Role.team_member: "Team member",
    Role.manager: "Manager",
    Role.slt: "Leadership",
    Role.admin: "Admin",
}


@contextmanager
def frame(page: LivePage, *, title: str, active: str) -> Iterator[ui.element]:
    """Build the header for `page` and yield the content column."""
    viewer = page.viewer
    toggle_notifications = _notification_drawer(page)
    with ui.header().classes("wh-header items-center gap-3 q-px-md q-py-sm"):
        # Static parts are plain HTML; tooltips are `title` attributes: one element each.
        ui.html(_brand_and_nav(page, active), sanitize=False).classes("flex items-center")
        _connection_badge(page)
        tid(
            ui.button(icon="refresh", on_click=lambda: _refresh_all(page)).props(
                'flat round dense color=grey-8 title="Refresh all data on this page"'
            ),
            "refresh-all",
        )
        bell = ui.button(icon="notifications", on_click=toggle_notifications).props(
            'flat round dense color=grey-8 title="Notifications" aria-label="Notifications"'
        )
        with tid(bell, "notification-bell"):
            count = tid(
                ui.badge("0", color="grey-5").props("floating rounded"), "notification-count"
            )
        _follow_unread(page, count)
        ui.html(_user_menu(viewer.name, viewer.email, ROLE_LABEL[viewer.role]), sanitize=False)
    content = context.client.content.classes("wh-page gap-4")  # NiceGUI's own, not a column
    with content:
        ui.label(title).classes("wh-title")
        yield content


def _brand_and_nav(page: LivePage, active: str) -> str:
    links = "".join(
        f'<a href="{path}" class="{"active" if path == active else ""}">{label}</a>'
        for label, path, roles in NAV
        if page.viewer.role in roles
    )
    return (
        '<a href="/" class="flex items-center gap-2 no-underline" style="color:inherit">'
        '<img src="/assets/logo.svg" alt="" width="28" height="28">'
        f'<span class="wh-brand">{escape(page.system.org.name)}</span></a>'
        f'<nav class="wh-nav flex items-center gap-1 q-ml-md">{links}</nav>'
    )


def _user_menu(name: str, email: str, role: str) -> str:
    return (
        '<details class="wh-user-menu"><summary aria-label="Account menu">'
        '<i class="q-icon notranslate material-icons" aria-hidden="true">account_circle</i>'
        '</summary><div class="wh-user-menu-body">'
        f'<div class="text-weight-medium">{escape(name)}</div>'
        f'<div class="wh-subtitle">{escape(role)} · {escape(email)}</div>'
        '<a href="/account">Account</a><a href="/logout">Sign out</a></div></details>'
    )


# The page's first state: assets/workshub.js shows "live" once NiceGUI's handshake is done, and
# writes the data's age into the last span.
CONNECTION_BADGE = (
    '<span class="wh-dot"></span><span data-testid="connection-status">connecting</span>'
    '<span class="wh-age"></span>'
)


def _connection_badge(page: LivePage) -> None:
    """One element for the state and the data's age: assets/workshub.js writes the state, and
    shows the `data-wh-updated` the server and the broadcast set as "updated 3 s ago"."""
    status = ui.html(CONNECTION_BADGE, sanitize=False, tag="span")
    status.classes("wh-status q-ml-auto")
    status.props('data-wh-connection data-state="connecting" data-wh-updated=""')
    status.mark("connection-status")

    def show_age(iso: str, quiet: bool) -> None:
        if quiet:  # the browser has it from the broadcast; kept here for a reconnect
            dict.__setitem__(status._props, "data-wh-updated", iso)
        else:
            status.props(f'data-wh-updated="{iso}"')

    page.on_age.append(show_age)
    context.client.on_connect(status.update)  # quiet ages are not replayed after a reconnect


def _refresh_all(page: LivePage) -> None:
    accepted, throttled = page.refresh_all()
    if accepted:
        ui.notify("Refreshing…", type="info", timeout=1200)
    elif throttled:
        ui.notify("Just refreshed — try again in a few seconds.", type="warning", timeout=2000)


def _follow_unread(page: LivePage, badge: ui.badge) -> None:
    view = next((v for v in page.dashboards if v.key.type == "today"), None)
    if view is None:
        view = page.dashboard("today", "user", page.viewer.id)

    def update(data: dict[str, Any], changed: dict[str, Any]) -> None:
        if "unread_count" in changed:
            unread = int(data.get("unread_count") or 0)
            badge.set_text(str(unread))
            badge.props(f"color={'red' if unread else 'grey-5'}")

    view.on_change(update)


NOTIFICATION_CELL = r"""
<q-td :props="props" :class="props.row._pending ? 'wh-pending' : ''">
  <div class="row no-wrap items-start q-gutter-x-sm">
    <div class="col">
      <div class="text-weight-medium">{{ props.row.title }}</div>
      <div class="wh-subtitle">{{ props.row.body }}</div>
    </div>
    <q-btn flat dense round size="sm" icon="done" color="grey-7" aria-label="Mark read"
           @click="$parent.$emit('read', {id: props.row.id})">
      <q-tooltip>Mark read</q-tooltip>
    </q-btn>
  </div>
</q-td>
"""


def _notification_drawer(page: LivePage) -> Callable[[], None]:
    """The bell's click. The drawer and its list are built the first time it is clicked (most
    visits never open it, and a drawer kept for nothing costs every connected page an element
    and a listener); after that the bell toggles it and the list stays live. The count on the
    bell is live from the start."""
    drawer: ui.right_drawer | None = None

    def toggle() -> None:
        nonlocal drawer
        if drawer is not None:
            drawer.toggle()
            return
        with context.client.content:  # a drawer belongs to the page's layout
            drawer = ui.right_drawer(value=True).classes("bg-white").props("bordered width=340")
        with drawer:
            _notification_list(page)

    return toggle


def _notification_list(page: LivePage) -> None:
    view = next((v for v in page.dashboards if v.key.type == "today"), None) or page.dashboard(
        "today", "user", page.viewer.id
    )
    with ui.row().classes("w-full items-center justify-between q-mb-sm"):
        with ui.row().classes("items-center gap-2"):
            ui.label("Notifications").classes("wh-card-title")
            saving_indicator(
                view,
                "pending_fields",
                when=lambda fields: "notifications" in fields,
                test_id="notifications-pending",
            )
        read_all = tid(
            ui.button("Mark all read", on_click=lambda: _mark_all_read(page, view)).props(
                "flat dense no-caps size=sm"
            ),
            "notifications-read-all",
        )
    table = tid(
        ui.table(
            columns=[
                {"name": "title", "label": "", "field": "title", "align": "left"},
            ],
            rows=[],
            row_key="id",
        )
        .props("flat dense hide-header hide-bottom wrap-cells")
        .classes("w-full"),
        "notifications-table",
    )
    table.add_slot("body-cell-title", NOTIFICATION_CELL)
    browser_paginated(table)
    table.on("read", lambda e: _mark_read(page, view, e))
    empty = ui.label("You're all caught up.").classes("wh-empty")
    read_all.set_visibility(False)

    def update(data: dict[str, Any], changed: dict[str, Any]) -> None:
        if "notifications" in changed:
            rows = data.get("notifications") or []
            table.rows = rows
            table.update()
            empty.set_visibility(not rows)
            read_all.set_visibility(bool(rows))

    view.on_change(update)  # shows the current list at once when the view has loaded


async def _mark_read(
    page: LivePage, view: LiveDashboard, event: events.GenericEventArguments
) -> None:
    """Gone from the list and the bell at once; back, with why, if the write fails."""
    client = context.client
    me = await current_viewer(page.system)
    if me is None:
        ui.navigate.to("/login")
        return
    nid = int(event.args["id"])
    outcome = await edit(
        page.system,
        me,
        view,
        notification_read_ops([nid]),
        lambda uow: notification_service.mark_read(uow, me, nid),
        action="notification.read",
        args={"notification_id": nid},
        request_id=f"notification.read:{nid}",  # reading twice is one intent
    )
    report_failure(client, outcome, what="The notification")


async def _mark_all_read(page: LivePage, view: LiveDashboard) -> None:
    client = context.client
    me = await current_viewer(page.system)
    if me is None:
        ui.navigate.to("/login")
        return
    outcome = await edit(
        page.system,
        me,
        view,
        [SetField("notifications", []), SetField("unread_count", 0)],
        lambda uow: notification_service.mark_all_read(uow, me),
        action="notification.read_all",
        request_id=new_request_id(),
    )
    report_failure(client, outcome, what="Marking all read")
