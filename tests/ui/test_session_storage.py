"""Several tabs of one browser opening at once must all find their user signed in.

NiceGUI drops the user storage of a browser that has no page open (after ~10 s) and loads it
from its file again on the next request, in a worker thread; a second request of the same
browser arriving meanwhile used to find the storage there but still empty, and was sent to
/login (seen in the bench: 1 of 200 dashboards opened at once).
"""

from __future__ import annotations

import asyncio

import httpx
import pytest
from nicegui import core
from nicegui.persistence import FilePersistentDict
from nicegui.testing.user import User

from tests.api.conftest import Org
from tests.ui.conftest import SignIn


async def test_tabs_opening_together_after_the_storage_was_dropped_all_stay_signed_in(
    user: User, ui_org: Org, sign_in: SignIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    await sign_in(user, ui_org.manager_a, path="/team")
    load = FilePersistentDict.initialize

    async def slow_disk(self: FilePersistentDict) -> None:
        await asyncio.sleep(0.2)
        await load(self)

    monkeypatch.setattr(FilePersistentDict, "initialize", slow_disk)
    storage = core.app.storage._users
    session_ids = list(storage)
    assert session_ids, "signing in made no user storage"
    for session_id in session_ids:  # what NiceGUI's pruning does once the pages are gone
        await storage.pop(session_id).close()

    cookies = user.http_client.cookies
    transport = httpx.ASGITransport(core.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        http.cookies.update(cookies)
        answers = await asyncio.gather(*(http.get("/team") for _ in range(8)))
    assert [a.status_code for a in answers] == [200] * 8, [
        a.headers.get("location") for a in answers
    ]
