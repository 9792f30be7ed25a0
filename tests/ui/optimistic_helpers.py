"""Holding, failing and inspecting page writes in the optimistic-edit tests: the `gate` fixture
(the page writes' persist hook), tasks to change, and the scenario both task lists share (two
status changes pending at once, the first refused)."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable
from datetime import date

import pytest
from nicegui.testing.user import User
from sqlmodel import Session

from tests.api.conftest import Org
from tests.ui.conftest import settle, viewer_of, wait_for
from workshub.app import System
from workshub.domain.errors import DomainError
from workshub.domain.models import Task
from workshub.domain.services import tasks as task_service
from workshub.domain.uow import UnitOfWork
from workshub.ui.actions import PERSIST_HOOK

__all__ = ["TODAY", "Gate", "add_tasks", "gate", "one_refused_the_other_saved", "task_of"]

TODAY = date(2026, 11, 25)  # the FakeClock's Wednesday


class Gate:
    """Page writes wait here (in their worker thread) while a test holds them, and raise what a
    test tells them to: `hold(match)` / `fail(match, error)` for request ids containing match."""

    def __init__(self) -> None:
        self.arrived: list[str] = []
        self._held: dict[str, threading.Event] = {}
        self._errors: dict[str, DomainError] = {}

    def hold(self, match: str = "") -> threading.Event:
        self._held[match] = threading.Event()
        return self._held[match]

    def fail(self, match: str, error: DomainError) -> None:
        self._errors[match] = error

    def release(self, match: str = "") -> None:
        self._held.pop(match).set()

    def release_all(self) -> None:
        for event in self._held.values():
            event.set()

    def __call__(self, request_id: str) -> None:
        self.arrived.append(request_id)
        for match, event in list(self._held.items()):
            if match in request_id:
                event.wait(10)
        for match, error in list(self._errors.items()):
            if match in request_id:
                raise error


@pytest.fixture
async def gate(user: User, ui_system: System) -> AsyncIterator[Gate]:
    """Set up after `user`, so it lets every held write go before the app stops."""
    gate = Gate()
    ui_system.extras[PERSIST_HOOK] = gate
    yield gate
    gate.release_all()
    await settle(ui_system)


def task_of(system: System, task_id: int) -> Task:
    with Session(system.engine) as session:
        task = session.get(Task, task_id)
        assert task is not None
        return task


def add_tasks(system: System, org: Org, *titles: str) -> list[int]:
    """Tasks of member_a due today on Acme site (written by their manager)."""
    manager = viewer_of(system, org.manager_a)
    ids = []
    with UnitOfWork(system.engine, system.hub, system.clock, actor_id=manager.id) as uow:
        for title in titles:
            task = task_service.create_task(
                uow,
                manager,
                project_id=org.project_a.id or 0,
                title=title,
                assignee_id=org.member_a.id,
                due_on=TODAY,
            )
            ids.append(task.id or 0)
    return ids


async def one_refused_the_other_saved(
    user: User,
    system: System,
    gate: Gate,
    *,
    tasks: tuple[int, int],
    click: Callable[[int, str], None],
    shown: Callable[[int], tuple[str, bool]],
    error: DomainError,
    message: str,
) -> None:
    """Two status changes pending at once (`click(task_id, status)`), the first refused with
    `error`: it goes back to its old status with `message`, and the second stays pending, then
    is saved. `shown(task_id)` is the row's (status, pending)."""
    first, second = tasks
    gate.hold(f"task.status:{first}:")
    gate.fail(f"task.status:{first}:", error)
    gate.hold(f"task.status:{second}:")

    click(first, "done")
    click(second, "doing")
    # Each click's handler first re-checks who is asking (a thread hop): under load they may
    # show their overlays in either order.
    await wait_for(
        lambda: shown(first) == ("done", True) and shown(second) == ("doing", True),
        what="both shown",
    )

    gate.release(f"task.status:{first}:")
    await wait_for(lambda: shown(first) == ("todo", False), what="the rollback")
    await user.should_see(message)
    assert shown(second) == ("doing", True)  # untouched by the other's rollback

    gate.release(f"task.status:{second}:")
    await wait_for(lambda: shown(second) == ("doing", False), what="confirmed")
    assert shown(first) == ("todo", False)
    assert (task_of(system, first).status, task_of(system, second).status) == ("todo", "doing")
