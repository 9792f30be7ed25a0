"""A small organisation for the service tests: two teams, each role, active and archived work.

team A (led by `manager`): `member`, `manager`.  team B (led by `manager_b`): `other`.
`slt` and `admin` sit in no team. `client` is led by `manager`; `client_b` by `manager_b`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, func, select

from tests import factories as f
from workshub.app import System
from workshub.domain.events import DomainEvent
from workshub.domain.models import AuditEvent, Client, Project, User
from workshub.domain.scope import Viewer, load_viewer
from workshub.domain.uow import UnitOfWork


@dataclass
class World:
    system: System
    member: User
    other: User
    manager: User
    manager_b: User
    slt: User
    admin: User
    client: Client
    client_b: Client
    project: Project
    project_b: Project
    internal: Project
    archived: Project
    of_archived_client: Project
    events: list[DomainEvent]

    @property
    def engine(self) -> Any:
        return self.system.engine

    def viewer(self, person: User) -> Viewer:
        assert person.id is not None
        with Session(self.engine) as session:
            viewer = load_viewer(session, person.id)
        assert viewer is not None
        return viewer

    def uow(self, person: User | None, request_id: str = "r1") -> UnitOfWork:
        return UnitOfWork(
            self.system.engine,
            self.system.hub,
            self.system.clock,
            actor_id=person.id if person else None,
            request_id=request_id,
        )

    def count(self, model: Any, *where: Any) -> int:
        with Session(self.engine) as session:
            return session.exec(select(func.count()).select_from(model).where(*where)).one()

    def get(self, model: Any, row_id: int | None) -> Any:
        with Session(self.engine) as session:
            return session.get(model, row_id)

    def audits(self, action: str) -> list[AuditEvent]:
        with Session(self.engine) as session:
            query = select(AuditEvent).where(AuditEvent.action == action)
            return list(session.exec(query.order_by(col(AuditEvent.id))).all())


def build_world(system: System) -> World:
    engine = system.engine
    team_a = f.team(engine, "A")
    team_b = f.team(engine, "B")
    manager = f.user(engine, "manager@x.test", role="manager", team_id=team_a.id, bill_rate=90.0)
    manager_b = f.user(engine, "manager_b@x.test", role="manager", team_id=team_b.id)
    f.set_lead(engine, team_a, manager)
    f.set_lead(engine, team_b, manager_b)
    member = f.user(engine, "member@x.test", team_id=team_a.id, bill_rate=80.0)
    other = f.user(engine, "other@x.test", team_id=team_b.id, bill_rate=70.0)
    slt = f.user(engine, "slt@x.test", role="slt")
    admin = f.user(engine, "admin@x.test", role="admin")
    client = f.client(engine, "Acme", account_lead_id=manager.id)
    client_b = f.client(engine, "Globex", account_lead_id=manager_b.id)
    gone = f.client(engine, "Gone", status="archived")
    events: list[DomainEvent] = []
    system.hub.subscribe(events.append)
    return World(
        system=system,
        member=member,
        other=other,
        manager=manager,
        manager_b=manager_b,
        slt=slt,
        admin=admin,
        client=client,
        client_b=client_b,
        project=f.project(engine, "Website", client_id=client.id, bill_rate=120.0),
        project_b=f.project(engine, "Audit", client_id=client_b.id),
        internal=f.project(engine, "Admin time", default_billable=False, billing_model="internal"),
        archived=f.project(engine, "Old", client_id=client.id, status="archived"),
        of_archived_client=f.project(engine, "Orphan", client_id=gone.id),
        events=events,
    )
