"""Tasks: who creates and assigns them, who moves their status, versions and events."""

from __future__ import annotations

from datetime import date

import pytest

from tests.conftest import make_system
from tests.domain.services_world import World, build_world
from workshub.domain.errors import Forbidden, NotFound, ValidationFailed, VersionConflict
from workshub.domain.events import TaskChanged
from workshub.domain.models import Task
from workshub.domain.services.tasks import create_task, update_task


@pytest.fixture
def world(any_engine, clock, tmp_path) -> World:
    return build_world(make_system(any_engine, clock, tmp_path))


def _task(world: World, assignee=None, **fields) -> Task:
    person = world.member if assignee is None else assignee
    with world.uow(world.admin) as uow:
        return create_task(
            uow,
            world.viewer(world.admin),
            project_id=world.project.id,
            title="Draft the brief",
            assignee_id=person.id,
            **fields,
        )


def test_a_manager_creates_and_assigns_tasks_for_a_led_team(world: World) -> None:
    with world.uow(world.manager) as uow:
        task = create_task(
            uow,
            world.viewer(world.manager),
            project_id=world.project.id,
            title="  Wireframes ",
            assignee_id=world.member.id,
            due_on=date(2026, 11, 27),
        )
    row = world.get(Task, task.id)
    assert (row.title, row.status, row.version, row.assignee_id) == (
        "Wireframes",
        "todo",
        1,
        world.member.id,
    )
    [event] = world.events
    assert isinstance(event, TaskChanged) and event.client_id == world.client.id
    assert event.assignee_ids == (world.member.id,) and event.team_ids == (world.member.team_id,)
    assert [a.entity_id for a in world.audits("task.create")] == [task.id]


@pytest.mark.parametrize("role", ["member", "slt"])
def test_members_and_slt_may_not_create_tasks(world: World, role: str) -> None:
    person = getattr(world, role)
    with pytest.raises(Forbidden), world.uow(person) as uow:
        create_task(
            uow,
            world.viewer(person),
            project_id=world.project.id,
            title="Mine",
            assignee_id=person.id,
        )
    assert world.count(Task) == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"assignee_id": "other"}, "assignee_id"),
        ({"title": "   "}, "title"),
        ({"title": "x" * 301}, "title"),
        ({"status": "blocked"}, "status"),
        ({"project_id": "archived"}, "project_id"),
    ],
)
def test_task_validation_names_the_field(world: World, change: dict, field: str) -> None:
    args = {"project_id": world.project.id, "title": "Ok", "assignee_id": world.member.id}
    args.update(change)
    for name in ("assignee_id", "project_id"):
        if isinstance(args[name], str):
            args[name] = getattr(world, args[name]).id
    with pytest.raises(ValidationFailed) as raised, world.uow(world.manager) as uow:
        create_task(uow, world.viewer(world.manager), **args)
    assert list(raised.value.fields or {}) == [field]


def test_the_assignee_moves_the_status_but_nothing_else(world: World) -> None:
    task = _task(world)
    me = world.viewer(world.member)
    with world.uow(world.member) as uow:
        done = update_task(uow, me, task_id=task.id, version=1, status="done")
    assert (done.status, done.version) == ("done", 2)
    with pytest.raises(Forbidden), world.uow(world.member) as uow:
        update_task(uow, me, task_id=task.id, version=2, title="Renamed")
    with pytest.raises(Forbidden), world.uow(world.member) as uow:
        update_task(uow, me, task_id=task.id, version=2, due_on=None)
    with pytest.raises(VersionConflict) as raised, world.uow(world.member) as uow:
        update_task(uow, me, task_id=task.id, version=1, status="doing")
    assert raised.value.current is not None and raised.value.current["status"] == "done"


def test_others_tasks_are_hidden_or_read_only_by_role(world: World) -> None:
    task = _task(world)
    with pytest.raises(NotFound), world.uow(world.other) as uow:
        update_task(uow, world.viewer(world.other), task_id=task.id, version=1, status="done")
    with pytest.raises(NotFound), world.uow(world.manager_b) as uow:
        update_task(uow, world.viewer(world.manager_b), task_id=task.id, version=1, status="done")
    with pytest.raises(Forbidden), world.uow(world.slt) as uow:
        update_task(uow, world.viewer(world.slt), task_id=task.id, version=1, status="done")
    assert world.get(Task, task.id).version == 1


def test_a_manager_reassigns_and_both_people_hear_of_it(world: World) -> None:
    task = _task(world, due_on=date(2026, 12, 1))
    world.events.clear()
    with world.uow(world.manager) as uow:
        moved = update_task(
            uow,
            world.viewer(world.manager),
            task_id=task.id,
            version=1,
            assignee_id=world.manager.id,
            due_on=None,
        )
    assert (moved.assignee_id, moved.due_on, moved.version) == (world.manager.id, None, 2)
    [event] = world.events
    assert isinstance(event, TaskChanged)
    assert event.assignee_ids == (world.member.id, world.manager.id)
    assert event.team_ids == (world.member.team_id,)
    with pytest.raises(ValidationFailed) as raised, world.uow(world.manager) as uow:
        update_task(
            uow, world.viewer(world.manager), task_id=task.id, version=2, assignee_id=world.other.id
        )
    assert list(raised.value.fields or {}) == ["assignee_id"]


def test_unassigned_tasks_belong_to_the_managers_of_their_client(world: World) -> None:
    with world.uow(world.manager) as uow:
        task = create_task(
            uow, world.viewer(world.manager), project_id=world.project.id, title="Open"
        )
    with pytest.raises(ValidationFailed) as raised, world.uow(world.manager) as uow:
        create_task(uow, world.viewer(world.manager), project_id=world.project_b.id, title="No")
    assert list(raised.value.fields or {}) == ["project_id"]
    with pytest.raises(NotFound), world.uow(world.manager_b) as uow:
        update_task(uow, world.viewer(world.manager_b), task_id=task.id, version=1, title="Mine")
