"""Optimistic layers on a live view, against a real LiveStore whose recompute the test controls:
pending edits on top of pushes, versions deciding over arrival order, rollbacks that touch one
edit only, overdue overlays settled by re-reading, and edit events reaching only their editor."""

from __future__ import annotations

import asyncio
import copy
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.conftest import make_system
from workshub.app import System
from workshub.clock import FakeClock
from workshub.domain.dashboards.keys import DashboardKey
from workshub.domain.events import (
    EventHub,
    OptimisticUpdate,
    TaskChanged,
    UpdateConfirmed,
)
from workshub.domain.models import Role
from workshub.domain.scope import Viewer
from workshub.live.store import LiveStore
from workshub.ui.live import LiveDashboard
from workshub.ui.optimistic import PENDING, Op, RemoveRow, UpdateRow

ME = Viewer(
    id=7,
    name="Member",
    email="member@x.test",
    role=Role.team_member,
    team_id=1,
    led_team_ids=frozenset(),
    session_version=0,
)
KEY = DashboardKey("today", "user", ME.id, None)


@dataclass
class Source:
    """What the recompute reads. `hold()` makes the next recompute take its copy of the data
    at once and then wait — a recompute that read the database before a write landed."""

    data: dict[str, Any]
    gate: threading.Event

    def compute(self, _key: DashboardKey, _now: datetime) -> dict[str, Any]:
        taken = copy.deepcopy(self.data)
        self.gate.wait(5)
        return taken


@dataclass
class World:
    system: System
    hub: EventHub
    store: LiveStore
    source: Source
    view: LiveDashboard
    shown: list[tuple[bool, str | None]]  # (pending, status of task 1) at every change


@pytest.fixture
async def world(engine: Any, clock: FakeClock, tmp_path: Any) -> AsyncIterator[World]:
    source = Source(
        {"tasks": [{"id": 1, "status": "todo"}, {"id": 2, "status": "todo"}], "unread_count": 0},
        threading.Event(),
    )
    source.gate.set()
    hub = EventHub()
    hub.attach_loop(asyncio.get_running_loop())
    store = LiveStore(source.compute, clock=clock, tz=UTC)
    detach = store.attach(hub)
    system = replace(make_system(engine, clock, tmp_path), hub=hub, store=store)
    view = LiveDashboard(system, KEY, ME)
    await view.start()
    shown: list[tuple[bool, str | None]] = []
    view.on_change(lambda data, _changed: shown.append((view.pending, status(data, 1))))
    shown.clear()
    yield World(system, hub, store, source, view, shown)
    source.gate.set()
    view.stop()
    detach()
    await store.close()


def status(data: dict[str, Any], task_id: int) -> str | None:
    return next((t["status"] for t in data["tasks"] if t["id"] == task_id), None)


def announce(world: World, rid: str, *ops: Op) -> None:
    world.store.optimistic_update("today", {"ops": ops}, rid, listener=world.view.on_edit)


def commit(world: World, task_id: int, new_status: str) -> int:
    """The write lands in the 'database' and the hub numbers it; returns its seq."""
    next(t for t in world.source.data["tasks"] if t["id"] == task_id)["status"] = new_status
    event = world.hub.publish(
        TaskChanged(
            actor_id=ME.id,
            task_id=task_id,
            project_id=1,
            client_id=None,
            assignee_ids=(ME.id,),
            team_ids=(1,),
        )
    )
    return event.seq


async def test_an_edit_shows_at_once_and_the_authoritative_push_replaces_it(world: World) -> None:
    announce(world, "r1", UpdateRow("tasks", 1, {"status": "done"}))
    assert world.view.pending and status(world.view.data, 1) == "done"
    assert world.view.data["tasks"][0][PENDING] is True

    seq = commit(world, 1, "done")
    world.store.update_confirmed("r1", success=True, seq=seq)
    await world.store.wait_idle()
    assert not world.view.pending
    assert world.view.data["tasks"][0] == {"id": 1, "status": "done"}  # the server's row
    assert world.shown == [(True, "done"), (False, "done")]


async def test_a_push_older_than_the_write_never_clobbers_the_edit(world: World) -> None:
    announce(world, "r1", UpdateRow("tasks", 1, {"status": "done"}))
    # A recompute starts before the write commits, reads the old rows, and is slow.
    world.source.data["unread_count"] = 3  # something else changed, so it does push
    world.source.gate.clear()
    world.store.request_refresh(KEY, manual=False)
    await asyncio.sleep(0.05)
    seq = commit(world, 1, "done")  # the write: seq > the slow recompute's as_of
    world.store.update_confirmed("r1", success=True, seq=seq)
    assert world.view.pending  # the base it waits for has not come yet

    world.source.gate.set()
    await world.store.wait_idle()
    # Shown at once; then the stale push (task 1 still "todo" there) leaves the edit on top,
    # still pending; then the follow-up recompute, as new as the write, settles it.
    assert world.shown == [(True, "done"), (True, "done"), (False, "done")]
    assert world.view.data["unread_count"] == 3


async def test_rolling_back_one_edit_keeps_the_other_pending_one(world: World) -> None:
    announce(world, "a", UpdateRow("tasks", 1, {"status": "done"}))
    announce(world, "b", UpdateRow("tasks", 2, {"status": "doing"}))
    world.store.update_confirmed("a", success=False, error="Task not found.")
    assert status(world.view.data, 1) == "todo"
    assert status(world.view.data, 2) == "doing" and world.view.pending

    seq = commit(world, 2, "doing")
    world.store.update_confirmed("b", success=True, seq=seq)
    await world.store.wait_idle()
    assert not world.view.pending
    assert [(t["id"], t["status"]) for t in world.view.data["tasks"]] == [
        (1, "todo"),
        (2, "doing"),
    ]


async def test_a_confirmation_after_its_push_settles_at_once(world: World) -> None:
    announce(world, "r", RemoveRow("tasks", 2))
    seq = commit(world, 2, "done")
    world.source.data["tasks"] = world.source.data["tasks"][:1]  # done tasks leave the list
    await world.store.wait_idle()  # the push (as_of = seq) beat the write's answer
    assert world.view.pending
    world.store.update_confirmed("r", success=True, seq=seq)
    assert not world.view.pending
    assert world.view.data["tasks"] == [{"id": 1, "status": "todo"}]


async def test_an_overlay_that_waits_too_long_is_settled_by_re_reading(world: World) -> None:
    world.view.settle_after_s = 0.05
    announce(world, "r", UpdateRow("tasks", 1, {"status": "doing"}))
    # Confirmed as a seq no push will ever reach (say its recompute found nothing changed).
    world.store.update_confirmed("r", success=True, seq=world.hub.seq + 100)
    assert world.view.pending
    await asyncio.sleep(0.2)
    await world.store.wait_idle()
    assert not world.view.pending
    assert status(world.view.data, 1) == "todo"  # what the store holds


async def test_edit_events_reach_only_their_editor(world: World) -> None:
    everyone: list[object] = []
    unsubscribe = world.store.subscribe_all(everyone.append)
    mine: list[object] = []
    world.store.optimistic_update("today", {"ops": ()}, "x", listener=mine.append)
    assert world.store.pending_edits() == 1
    world.store.update_confirmed("x", success=True, seq=4)
    world.store.update_confirmed("x", success=True, seq=4)  # a second answer goes nowhere
    unsubscribe()
    assert [type(e) for e in mine] == [OptimisticUpdate, UpdateConfirmed]
    assert mine[1] == UpdateConfirmed(request_id="x", success=True, seq=4)
    assert everyone == [] and world.store.pending_edits() == 0


async def test_the_seeds_optimistic_update_shows_fields_until_cancelled(world: World) -> None:
    edit = world.view.optimistic_update({"unread_count": 9}, action="test")
    assert world.view.data["unread_count"] == 9 and world.view.pending_fields == {"unread_count"}
    edit.cancel()
    assert world.view.data["unread_count"] == 0 and not world.view.pending
    assert world.store.pending_edits() == 0
