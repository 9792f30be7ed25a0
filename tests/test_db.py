"""The database layer: SQLite writers queue behind one gate per engine instead of sleeping in
SQLite's busy handler; nothing about a write's transaction changes."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import Session, col, func, select

from tests import factories as f
from tests.conftest import make_system
from workshub.clock import FakeClock
from workshub.db import WriteGate, create_db_engine, one_writer, session_scope, write_gate
from workshub.domain.models import AuditEvent, TimeEntry
from workshub.domain.scope import load_viewer
from workshub.domain.services.timer import start_timer, stop_timer
from workshub.domain.uow import UnitOfWork
from workshub.migrate import upgrade_database


def test_every_sqlite_engine_has_a_gate_of_its_own(tmp_path: Path) -> None:
    first = create_db_engine(f"sqlite:///{tmp_path / 'a.db'}")
    second = create_db_engine(f"sqlite:///{tmp_path / 'b.db'}")
    memory = create_db_engine("sqlite://")
    try:
        gates = [write_gate(e) for e in (first, second, memory)]
        assert all(isinstance(g, WriteGate) for g in gates)
        assert len({id(g) for g in gates}) == 3
    finally:
        for engine in (first, second, memory):
            engine.dispose()


def test_postgresql_needs_no_gate() -> None:
    engine = create_db_engine("postgresql://nobody@127.0.0.1:1/none")  # never connects
    assert write_gate(engine) is None
    with one_writer(engine):  # a no-op, not an error
        pass


def test_the_gate_lets_one_writer_in_at_a_time() -> None:
    gate = WriteGate()
    inside = 0
    most = 0
    count_lock = threading.Lock()
    barrier = threading.Barrier(8)

    def write() -> None:
        nonlocal inside, most
        barrier.wait()
        for _ in range(50):
            with gate.hold():
                with count_lock:
                    inside += 1
                    most = max(most, inside)
                with count_lock:
                    inside -= 1

    threads = [threading.Thread(target=write) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert most == 1 and inside == 0


def test_a_nested_write_in_one_thread_does_not_wait_for_itself() -> None:
    gate = WriteGate()
    with gate.hold(), gate.hold():
        pass
    # and the gate is free again afterwards, for another thread
    taken = threading.Event()

    def other() -> None:
        with gate.hold():
            taken.set()

    thread = threading.Thread(target=other)
    thread.start()
    thread.join(timeout=60)
    assert taken.is_set()


def test_a_failed_write_frees_the_gate(engine, clock: FakeClock, tmp_path: Path) -> None:
    system = make_system(engine, clock, tmp_path)
    with pytest.raises(RuntimeError), UnitOfWork(engine, system.hub, clock, actor_id=None):
        raise RuntimeError("the service refused")
    with pytest.raises(RuntimeError), session_scope(engine, write=True):
        raise RuntimeError("bookkeeping failed")
    with UnitOfWork(engine, system.hub, clock, actor_id=None) as uow:
        uow.audit("probe", "nothing", None)
    with Session(engine) as session:
        actions = session.exec(select(AuditEvent.action)).all()
    assert actions == ["probe"]


def test_concurrent_writers_all_commit_without_database_is_locked(
    tmp_path: Path, clock: FakeClock
) -> None:
    """Eight people start and stop their timers at once, many times: every write commits (no
    'database is locked', no lost write), each with its audit row."""
    engine = create_db_engine(f"sqlite:///{tmp_path / 'busy.db'}")
    upgrade_database(engine)
    try:
        system = make_system(engine, clock, tmp_path)
        team = f.team(engine, "Alpha")
        project = f.project(engine, "Internal", billing_model="internal", default_billable=False)
        people = [f.user(engine, f"p{i}@x.test", team_id=team.id) for i in range(8)]
        rounds = 10
        failures: list[BaseException] = []
        barrier = threading.Barrier(len(people))

        def work(person_id: int) -> None:
            with Session(engine) as session:
                viewer = load_viewer(session, person_id)
            assert viewer is not None and project.id is not None
            barrier.wait()
            try:
                for _ in range(rounds):
                    with UnitOfWork(engine, system.hub, clock, actor_id=person_id) as uow:
                        start_timer(uow, viewer, project_id=project.id)
                    with UnitOfWork(engine, system.hub, clock, actor_id=person_id) as uow:
                        stop_timer(uow, viewer)
            except BaseException as error:
                failures.append(error)

        threads = [threading.Thread(target=work, args=(p.id,)) for p in people]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert failures == []
        with Session(engine) as session:
            entries = session.exec(select(func.count()).select_from(TimeEntry)).one()
            running = session.exec(
                select(func.count()).select_from(TimeEntry).where(col(TimeEntry.ended_at).is_(None))
            ).one()
            audits = session.exec(select(func.count()).select_from(AuditEvent)).one()
            integrity = session.exec(text("PRAGMA integrity_check")).one()  # type: ignore[call-overload]
        assert (entries, running) == (len(people) * rounds, 0)
        assert audits == 2 * len(people) * rounds
        assert integrity[0] == "ok"
    finally:
        engine.dispose()
