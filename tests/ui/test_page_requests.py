"""A connected page lets go of its HTTP request's plumbing but stays signed in
(workshub.ui.page_requests: ~19 KB per connected dashboard)."""

from __future__ import annotations

from nicegui.testing.user import User
from starlette.requests import Request, empty_receive

from tests import factories as f
from tests.api.conftest import Org
from tests.ui.conftest import SignIn, wait_for
from workshub.app import System
from workshub.ui.page_requests import KEPT_SCOPE


def requests_kept_by(user: User) -> list[Request]:
    client = user.client
    assert client is not None
    kept = {id(client.request): client.request}
    for element in client.elements.values():
        for listener in element._event_listeners.values():
            if listener.request is not None:
                kept[id(listener.request)] = listener.request
    return list(kept.values())


async def test_a_connected_page_keeps_the_session_and_drops_the_rest(
    user: User, ui_org: Org, ui_system: System, sign_in: SignIn
) -> None:
    f.set_lead(ui_system.engine, ui_org.team_b, ui_org.manager_a)
    await sign_in(user, ui_org.manager_a, path="/team")
    requests = requests_kept_by(user)
    assert len(requests) >= 2  # FastAPI's and the tracking middleware's
    for request in requests:
        assert request._receive is empty_receive
        assert set(request.scope) <= KEPT_SCOPE
        assert request.session["id"]
        assert request.url.path == "/team"
    # An event handler still finds who is signed in (app.storage.user reads the session).
    picker = next(iter(user.find(marker="team-select").elements))
    table = next(iter(user.find(marker="team-members-table").elements))
    picker.set_value(ui_org.team_b.id)
    await wait_for(
        lambda: [row["name"] for row in table.rows] == ["Manager.B", "Member.B"],
        what="team Beta's people",
    )
