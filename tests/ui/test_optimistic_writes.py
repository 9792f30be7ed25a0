"""Page writes carry a request id that is their Idempotency-Key: a repeat (a double click, a
resend after a reconnect) replays and never writes twice, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from tests import factories as f
from tests.conftest import make_system
from workshub.app import System
from workshub.clock import FakeClock
from workshub.domain.errors import ValidationFailed
from workshub.domain.models import AuditEvent, IdempotencyRecord, TimeEntry
from workshub.domain.scope import Viewer, load_viewer
from workshub.domain.services import entries as entry_service
from workshub.domain.uow import UnitOfWork
from workshub.ui.actions import PERSIST_HOOK, write

START = datetime(2026, 11, 25, 8, tzinfo=UTC)
END = datetime(2026, 11, 25, 9, tzinfo=UTC)


@pytest.fixture
def world(any_engine: Engine, clock: FakeClock, tmp_path: Path) -> tuple[System, Viewer, int]:
    system = make_system(any_engine, clock, tmp_path)
    team = f.team(any_engine, "Alpha")
    person = f.user(any_engine, "member@x.test", team_id=team.id)
    client = f.client(any_engine, "Acme")
    project = f.project(any_engine, "Acme site", client_id=client.id)
    with Session(any_engine) as session:
        viewer = load_viewer(session, person.id or 0)
    assert viewer is not None and project.id is not None
    return system, viewer, project.id


def create(viewer: Viewer, project_id: int, note: str = "") -> Any:
    def work(uow: UnitOfWork) -> TimeEntry:
        return entry_service.create_entry(
            uow, viewer, project_id=project_id, started_at=START, ended_at=END, note=note
        )

    return work


def count(system: System, model: type[Any]) -> int:
    with Session(system.engine) as session:
        return len(session.exec(select(model)).all())


async def test_the_same_request_twice_writes_once(world: tuple[System, Viewer, int]) -> None:
    system, viewer, project_id = world
    args = {"project_id": project_id}
    first = await write(
        system,
        viewer,
        create(viewer, project_id),
        request_id="r1",
        action="entry.create",
        args=args,
    )
    again = await write(
        system,
        viewer,
        create(viewer, project_id),
        request_id="r1",
        action="entry.create",
        args=args,
    )
    assert first.ok and not first.replayed and first.seq is not None
    assert again.ok and again.replayed and again.value is None
    assert again.seq is not None and again.seq >= first.seq  # a view waits for nothing older
    assert count(system, TimeEntry) == 1 and count(system, AuditEvent) == 1
    assert count(system, IdempotencyRecord) == 1


async def test_the_same_request_id_for_another_change_is_refused(
    world: tuple[System, Viewer, int],
) -> None:
    system, viewer, project_id = world
    await write(system, viewer, create(viewer, project_id), request_id="r1", action="entry.create")
    other = await write(
        system,
        viewer,
        create(viewer, project_id, note="other"),
        request_id="r1",
        action="entry.create",
        args={"note": "other"},
    )
    assert other.code == "idempotency_key_reused" and not other.ok
    assert count(system, TimeEntry) == 1


async def test_a_failed_write_leaves_its_request_id_free_to_retry(
    world: tuple[System, Viewer, int],
) -> None:
    system, viewer, project_id = world
    calls: list[str] = []

    def fail_first(request_id: str) -> None:
        calls.append(request_id)
        if len(calls) == 1:
            raise ValidationFailed.field("note", "try again")

    system.extras[PERSIST_HOOK] = fail_first
    failed = await write(system, viewer, create(viewer, project_id), request_id="r1")
    assert failed.fields == {"note": "try again"} and failed.code == "validation_failed"
    retried = await write(system, viewer, create(viewer, project_id), request_id="r1")
    assert retried.ok and not retried.replayed
    assert calls == ["r1", "r1"] and count(system, TimeEntry) == 1


async def test_twins_sent_at_the_same_moment_write_once(
    world: tuple[System, Viewer, int],
) -> None:
    system, viewer, project_id = world
    outcomes = await asyncio.gather(
        *(write(system, viewer, create(viewer, project_id), request_id="twin") for _ in range(4))
    )
    assert all(o.ok for o in outcomes), [o.error for o in outcomes]
    assert sorted(o.replayed for o in outcomes) == [False, True, True, True]
    assert count(system, TimeEntry) == 1


async def test_a_conflict_answers_with_the_current_row(world: tuple[System, Viewer, int]) -> None:
    system, viewer, project_id = world
    created = await write(system, viewer, create(viewer, project_id, note="v1"))
    entry = created.value
    assert entry is not None and entry.id is not None
    entry_id = entry.id
    for note in ("v2", "stale"):  # both think the entry is at version 1
        outcome = await write(
            system,
            viewer,
            lambda uow, note=note: entry_service.update_entry(
                uow, viewer, entry_id=entry_id, version=1, note=note
            ),
        )
    assert outcome.conflict and outcome.current is not None
    assert outcome.current["note"] == "v2" and outcome.current["version"] == 2
