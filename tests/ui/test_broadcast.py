"""Broadcast regions (workshub/ui/broadcast.py): a push reaches every page showing a region as
one message per key and money visibility, rendered once, and the messages of one write go to
the same pages as one `wh_live` emit; a page with its own pending edits falls back to its own
update; a reconnect re-sends what the broadcasts carried.

Simulated clients hold no socket.io rooms, so the emits are recorded instead of sent; what
each page's elements hold server-side is what a (re)connect would send.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from nicegui import core
from nicegui.testing.user import User

from tests.api.conftest import Org
from tests.ui.conftest import SignIn, settle, text_of, viewer_of, wait_for
from tests.ui.test_team import start_timer, the
from workshub.app import System
from workshub.clock import FakeClock
from workshub.domain.dashboards.keys import DashboardKey
from workshub.domain.services import timer as timer_service
from workshub.domain.uow import UnitOfWork
from workshub.live.governor import MAX_GAP_S
from workshub.ui import broadcast
from workshub.ui.broadcast import EVENT, Broadcaster, broadcaster
from workshub.ui.live import LiveDashboard
from workshub.ui.optimistic import SetField

Sent = tuple[str, Any, Any]  # event, data, rooms


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> tuple[list[Sent], list[Sent]]:
    """(every emit as made, every message of every `wh_live` emit with the rooms it went to)."""
    batches: list[Sent] = []
    messages: list[Sent] = []

    async def emit(event: str, data: Any = None, room: Any = None, **_: Any) -> None:
        batches.append((event, data, room))
        messages.extend((event, message, room) for message in data if event == EVENT)

    monkeypatch.setattr(core.sio, "emit", emit)
    return batches, messages


@pytest.fixture
def batches(recorded: tuple[list[Sent], list[Sent]]) -> list[Sent]:
    return recorded[0]


@pytest.fixture
def emits(recorded: tuple[list[Sent], list[Sent]]) -> list[Sent]:
    return recorded[1]


async def showing_timers(page: User) -> None:
    """The page's timers table has its first data (not the empty table of the HTML)."""
    await wait_for(
        lambda: the(page, "active-timers-list").props.get("loading") is False, what="timers"
    )


async def two_team_pages(
    user: User, create_user: Callable[[], User], org: Org, sign_in: SignIn
) -> User:
    """`user` and a second page, both the same manager's /team, showing their timers."""
    other = create_user()
    for page in (user, other):
        await sign_in(page, org.manager_a, path="/team")
    for page in (user, other):
        await showing_timers(page)
    return other


def timer_users(user: User) -> list[str]:
    return [row["user"] for row in the(user, "active-timers-list").rows]


def timers_region(system: System, page: User) -> Any:
    return next(
        r
        for groups in broadcaster(system).regions.values()
        for members in groups.values()
        for r in members
        if r.name == "team.timers" and r.element is the(page, "active-timers-list")
    )


async def roll_back(region: Any, page: User) -> None:
    """What a rollback event does to the page's own pending edit: the pushed timer shows."""
    region.view.layers.rollback("pending-1")
    region.view._show(None, frozenset({"timers"}))
    await wait_for(lambda: timer_users(page) == ["Member.A"], what="the timer after rollback")


async def test_one_message_per_key_reaches_every_manager_page(
    user: User,
    create_user: Callable[[], User],
    ui_org: Org,
    ui_system: System,
    sign_in: SignIn,
    emits: list[Sent],
) -> None:
    other = await two_team_pages(user, create_user, ui_org, sign_in)
    emits.clear()

    start_timer(ui_system, ui_org.member_a, ui_org.project_a.id or 0)
    await settle(ui_system)
    await wait_for(lambda: timer_users(user) == ["Member.A"], what="the timer on page 1")
    assert timer_users(other) == ["Member.A"]

    timers = [data for event, data, _ in emits if event == EVENT and "active_timers" in data["k"]]
    assert len(timers) == 1, timers  # one message for both pages, not one per page
    message = timers[0]
    rooms = next(room for event, data, room in emits if data is message)
    assert set(rooms) == {
        the(user, "active-timers-list").client.id,
        the(other, "active-timers-list").client.id,
    }
    rows = message["p"]["team.timers"]["props"]["rows"]
    assert [row["user"] for row in rows] == ["Member.A"]
    assert (
        'data-testid="kpi-active-timers">1<'
        in message["p"]["team.kpis.active_timers"]["props"]["innerHTML"]
    )
    # every page's element holds the broadcast version: what a reconnect re-sends
    for page in (user, other):
        assert the(page, "active-timers-list").props["data-wh-v"] == message["v"]
        assert text_of(page, "kpi-active-timers") == "1"


def stop_timer(system: System, person: Any) -> None:
    me = viewer_of(system, person)
    with UnitOfWork(system.engine, system.hub, system.clock, actor_id=me.id) as uow:
        timer_service.stop_timer(uow, me)


async def test_money_is_broadcast_only_to_those_who_may_see_it(
    user: User,
    clock: FakeClock,
    create_user: Callable[[], User],
    ui_org: Org,
    ui_system: System,
    sign_in: SignIn,
    emits: list[Sent],
) -> None:
    slt = create_user()
    await sign_in(user, ui_org.manager_a, path="/team")
    await sign_in(slt, ui_org.slt, path="/team")
    await wait_for(lambda: text_of(slt, "kpi-revenue") != "—", what="revenue shown")
    start_timer(ui_system, ui_org.member_a, ui_org.project_a.id or 0)
    await settle(ui_system)
    emits.clear()

    clock.advance(hours=2)  # two billable hours more: tracked hours and revenue change
    stop_timer(ui_system, ui_org.member_a)
    await settle(ui_system)
    await wait_for(lambda: text_of(user, "kpi-tracked-hours") == "9.0", what="9.0 h")
    metrics = [data for event, data, _ in emits if event == EVENT and "metrics" in data["k"]]
    # the KPI tiles with money are a region of their own, sent only to who sees money
    assert {"team.kpis.metrics.money" in m["p"] for m in metrics} == {True, False}
    for message in metrics:
        rooms = next(room for _, data, room in emits if data is message)
        assert 'data-testid="kpi-revenue"' not in str(message["p"]["team.kpis.metrics"])
        if "team.kpis.metrics.money" in message["p"]:
            assert rooms == [the(slt, "kpi-revenue").client.id]
        else:
            assert the(slt, "kpi-revenue").client.id not in rooms


async def test_a_page_leaves_the_broadcast_when_it_closes(
    user: User, ui_org: Org, ui_system: System, sign_in: SignIn
) -> None:
    await sign_in(user, ui_org.manager_a, path="/team")
    hub = broadcaster(ui_system)
    await wait_for(lambda: bool(hub.regions), what="regions")
    client = the(user, "active-timers-list").client
    client.delete()
    assert not hub.regions
    assert all(ui_system.store.subscriber_count(key) == 0 for key in list(hub.regions))


async def test_a_page_with_its_own_pending_edit_is_left_out_and_shown_its_own_view(
    user: User,
    create_user: Callable[[], User],
    ui_org: Org,
    ui_system: System,
    sign_in: SignIn,
    emits: list[Sent],
) -> None:
    other = await two_team_pages(user, create_user, ui_org, sign_in)
    mine = timers_region(ui_system, other)
    # an edit of this viewer's own, still pending, hides every timer on their page
    mine.view.layers.add("pending-1", [SetField("timers", [])], now=0.0)
    emits.clear()

    start_timer(ui_system, ui_org.member_a, ui_org.project_a.id or 0)
    await settle(ui_system)
    await wait_for(lambda: timer_users(user) == ["Member.A"], what="the timer on page 1")
    timers = [
        (data, room)
        for event, data, room in emits
        if event == EVENT and "active_timers" in data["k"]
    ]
    assert len(timers) == 1
    assert timers[0][1] == [the(user, "active-timers-list").client.id]  # not the other page
    assert timer_users(other) == []  # its own view: the pending edit on top of the new base
    assert mine.view.layers.base["timers"][0]["user"] == "Member.A"

    await roll_back(mine, other)


async def test_the_keys_one_write_changes_reach_each_page_as_one_emit(
    user: User,
    clock: FakeClock,
    create_user: Callable[[], User],
    ui_org: Org,
    ui_system: System,
    sign_in: SignIn,
    batches: list[Sent],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A stop changes the team's timers, hours and KPIs: three keys, three messages, but one
    frame per page (the fan-out, per client and per emit, is most of a push's cost)."""
    monkeypatch.setattr(broadcast, "BATCH_MAX_WAIT_S", 10.0)  # the store's idle decides here
    other = create_user()
    await sign_in(user, ui_org.manager_a, path="/team")
    await sign_in(other, ui_org.manager_a, path="/team")
    start_timer(ui_system, ui_org.member_a, ui_org.project_a.id or 0)
    await settle(ui_system)
    await wait_for(lambda: timer_users(other) == ["Member.A"], what="the timer")
    await asyncio.sleep(MAX_GAP_S)  # a write after a quiet spell: no recompute waits
    batches.clear()

    clock.advance(hours=2)
    stop_timer(ui_system, ui_org.member_a)
    await settle(ui_system)
    await wait_for(lambda: text_of(other, "kpi-tracked-hours") == "9.0", what="9.0 h")
    assert timer_users(user) == timer_users(other) == []

    live = [(data, rooms) for event, data, rooms in batches if event == EVENT]
    assert len(live) == 1, [[m["k"] for m in data] for data, _ in live]
    messages, rooms = live[0]
    assert sorted(m["k"].split(":")[0] for m in messages) == [
        "active_timers",
        "metrics",
        "team_data",
    ]
    pages = {the(page, "active-timers-list").client.id for page in (user, other)}
    assert set(rooms) == pages


async def test_under_a_burst_the_latest_message_of_a_key_replaces_those_not_yet_sent(
    user: User, ui_system: System, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each message renders its key's regions in full, so one still waiting to go out is
    replaced by a newer one: the sockets never carry stale states behind the current one."""
    sent: list[list[int]] = []
    gate = asyncio.Event()

    async def emit(event: str, data: Any = None, room: Any = None, **_: Any) -> None:
        sent.append([message["v"] for message in data])
        await gate.wait()  # the sockets are busy

    monkeypatch.setattr(core.sio, "emit", emit)
    hub = Broadcaster(ui_system)
    timers = (DashboardKey("active_timers", "team", 1), False)
    today = (DashboardKey("today", "user", 1), False)

    def message(slot: tuple[DashboardKey, bool], version: int) -> dict[str, Any]:
        return {"k": str(slot[0]), "v": version, "p": {}}

    hub._emit(timers, message(timers, 1), ["room"])
    await asyncio.sleep(0)
    assert sent == [[1]]  # the store was idle: sent at once
    for version in (2, 3, 4):
        hub._emit(timers, message(timers, version), ["room"])
    hub._emit(today, message(today, 5), ["room"])
    hub._emit(today, message(today, 6), ["elsewhere"])
    gate.set()
    for _ in range(5):
        await asyncio.sleep(0)
    # 2 and 3 were replaced while 1 was going out; 4 and today's 6 went out next, one emit
    # for each set of clients (6 replaced 5: same key and visibility)
    assert sent == [[1], [4], [6]]
    hub._emit(timers, message(timers, 7), ["room"])
    for _ in range(5):
        await asyncio.sleep(0)
    assert sent == [[1], [4], [6], [7]]  # idle again: sent at once


async def test_a_store_that_never_goes_idle_holds_a_batch_only_briefly(
    user: User, ui_system: System, monkeypatch: pytest.MonkeyPatch, batches: list[Sent]
) -> None:
    """Writes all over the organisation keep some recompute running all the time: the batch
    still goes out, at most BATCH_MAX_WAIT_S after its first message."""
    waiting: list[Callable[[], None]] = []
    monkeypatch.setattr(ui_system.store, "after_recomputes", waiting.append)
    hub = Broadcaster(ui_system)
    slot = (DashboardKey("active_timers", "team", 1), False)
    hub._emit(slot, {"k": str(slot[0]), "v": 1, "p": {}}, ["room"])
    hub._emit(slot, {"k": str(slot[0]), "v": 2, "p": {}}, ["room"])
    await asyncio.sleep(0)
    assert batches == [] and len(waiting) == 1  # one callback asked for, however many messages
    await wait_for(lambda: bool(batches), what="the batch", timeout=2.0)
    assert [[m["v"] for m in data] for _, data, _ in batches] == [[2]]
    hub._emit(slot, {"k": str(slot[0]), "v": 3, "p": {}}, ["room"])
    assert len(waiting) == 1  # still registered: not asked again while the store is busy
    waiting[0]()  # the store goes idle: sent at once, without waiting for the cap
    for _ in range(3):
        await asyncio.sleep(0)
    assert [[m["v"] for m in data] for _, data, _ in batches] == [[2], [3]]


async def test_the_message_leaves_before_the_pages_are_brought_up_to_date(
    user: User,
    create_user: Callable[[], User],
    ui_org: Org,
    ui_system: System,
    sign_in: SignIn,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The per-page bookkeeping (each view and element taking the new version, ~15 µs a page)
    runs after the emit, not before it: the frames do not wait for it."""
    other = await two_team_pages(user, create_user, ui_org, sign_in)
    seen_at_emit: list[tuple[int, int]] = []  # (the message's version, the element's)

    async def emit(event: str, data: Any = None, room: Any = None, **_: Any) -> None:
        for message in data if event == EVENT else []:
            if "active_timers" in message["k"]:
                element = the(other, "active-timers-list")
                seen_at_emit.append((message["v"], element.props["data-wh-v"]))

    monkeypatch.setattr(core.sio, "emit", emit)
    start_timer(ui_system, ui_org.member_a, ui_org.project_a.id or 0)
    await settle(ui_system)
    await wait_for(lambda: timer_users(other) == ["Member.A"], what="the timer adopted")
    ((version, before),) = seen_at_emit
    assert before < version  # not yet adopted when the message went out
    assert the(other, "active-timers-list").props["data-wh-v"] == version
    assert timers_region(ui_system, other).view.version == version


async def test_an_edit_begun_while_the_message_was_going_out_shows_over_the_push(
    user: User,
    create_user: Callable[[], User],
    ui_org: Org,
    ui_system: System,
    sign_in: SignIn,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Between a push's message and the pages taking it, a viewer can start an edit of their
    own: their view then takes the push its own way, under the pending edit, and shows it
    once the edit is gone."""
    other = await two_team_pages(user, create_user, ui_org, sign_in)
    mine = timers_region(ui_system, other)

    async def emit(event: str, data: Any = None, room: Any = None, **_: Any) -> None:
        if event == EVENT and not mine.view.layers.pending:
            mine.view.layers.add("pending-1", [SetField("timers", [])], now=0.0)

    monkeypatch.setattr(core.sio, "emit", emit)
    start_timer(ui_system, ui_org.member_a, ui_org.project_a.id or 0)
    await settle(ui_system)
    await wait_for(lambda: timer_users(user) == ["Member.A"], what="the timer on page 1")
    await wait_for(
        lambda: [t["user"] for t in mine.view.layers.base.get("timers") or []] == ["Member.A"],
        what="the push in the edited view's base",
    )
    assert mine.view.version == timers_region(ui_system, user).view.version
    await roll_back(mine, other)


async def test_a_page_reconnecting_before_the_bookkeeping_gets_the_new_state(
    user: User,
    ui_org: Org,
    ui_system: System,
    sign_in: SignIn,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A (re)connect re-sends each region's server-side element: the pushes already queued
    or sent are taken first, or the page would show the state before them."""
    await sign_in(user, ui_org.manager_a, path="/team")
    await showing_timers(user)
    element = the(user, "active-timers-list")
    resent: list[list[Any]] = []

    async def emit(event: str, data: Any = None, room: Any = None, **_: Any) -> None:
        if event == EVENT and any("active_timers" in message["k"] for message in data):
            broadcaster(ui_system)._resend(element.client.id)  # the socket came back now
            resent.append([row["user"] for row in element.props["rows"]])

    monkeypatch.setattr(core.sio, "emit", emit)
    start_timer(ui_system, ui_org.member_a, ui_org.project_a.id or 0)
    await settle(ui_system)
    await wait_for(lambda: bool(resent), what="the emit")
    assert resent == [["Member.A"]]


async def test_a_region_switched_to_another_key_before_the_bookkeeping_keeps_its_new_key(
    user: User,
    ui_org: Org,
    ui_system: System,
    sign_in: SignIn,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A picker can move a region to another key between a push's message and the pages
    taking it: the push of the old key must not land in the new key's view or element."""
    await sign_in(user, ui_org.manager_a, path="/team")
    await showing_timers(user)
    region = timers_region(ui_system, user)
    other_team = DashboardKey("active_timers", "team", ui_org.team_b.id or 0)
    switched = LiveDashboard(ui_system, other_team, region.view.viewer)  # not started yet

    async def emit(event: str, data: Any = None, room: Any = None, **_: Any) -> None:
        if region.view is not switched and event == EVENT:
            broadcaster(ui_system).move(region, switched)

    monkeypatch.setattr(core.sio, "emit", emit)
    start_timer(ui_system, ui_org.member_a, ui_org.project_a.id or 0)
    await settle(ui_system)
    await wait_for(lambda: region.view is switched, what="the switch")
    await asyncio.sleep(0.1)  # the bookkeeping after the emit has run
    assert switched.loading and switched.data == {}  # nothing of team A's push
    assert region.shown == 0  # nor in its element, which now shows team B's timers
