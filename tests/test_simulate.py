"""`--simulate` changes real timers through the domain services and their events."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session, col, select

from tests import factories as f
from workshub.domain.models import TimeEntry
from workshub.simulate import Simulator


def test_simulation_steps_start_and_stop_timers_through_the_services(system, engine) -> None:
    team = f.team(engine, "Alpha")
    for i in range(3):
        f.user(engine, f"p{i}@x.test", team_id=team.id)
    f.project(
        engine,
        "Site",
        client_id=f.client(engine, "Acme").id,
        starts_on=datetime(2026, 1, 1, tzinfo=UTC).date(),
    )
    events = []
    system.hub.subscribe(events.append)
    simulator = Simulator(system)

    outcomes = [simulator.step() for _ in range(20)]

    assert any(o and "started" in o for o in outcomes)
    assert any(o and "stopped" in o for o in outcomes)
    assert events, "every change is published on the hub"
    with Session(engine) as session:
        running = session.exec(select(TimeEntry).where(col(TimeEntry.ended_at).is_(None))).all()
        assert len({e.user_id for e in running}) == len(running)  # never two per person
