"""A small organisation behind the API: two teams with their managers and members, slt, admin,
three clients, their projects and a little history; one API token per person.

Team A (lead: manager_a): manager_a, member_a, member_a2.   Team B (lead: manager_b): member_b.
client_a: account lead manager_a.  client_b: account lead manager_b.  client_x: nobody leads
it, but member_a logged time on it last week, so it is manager_a's client too (SPEC §2).
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests import factories as f
from tests.conftest import make_system
from workshub.api import build_router, install_api
from workshub.app import System
from workshub.clock import FakeClock
from workshub.db import create_db_engine
from workshub.domain.auth import hash_token
from workshub.domain.models import ApiToken, Client, Project, Team, TimeEntry, User
from workshub.live.store import LiveStore
from workshub.migrate import upgrade_database

ROLES = ("team_member", "manager", "slt", "admin")


@dataclass
class Org:
    team_a: Team
    team_b: Team
    admin: User
    slt: User
    manager_a: User
    manager_b: User
    member_a: User
    member_a2: User
    member_b: User
    client_a: Client
    client_b: Client
    client_x: Client
    project_a: Project
    project_b: Project
    project_x: Project
    internal: Project
    entries: dict[str, TimeEntry]
    tokens: dict[int, str]

    def auth(self, user: User) -> dict[str, str]:
        assert user.id is not None
        return {"Authorization": f"Bearer {self.tokens[user.id]}"}

    def by_role(self, role: str) -> User:
        """The representative of a role; a manager and a member both belong to team A."""
        return {
            "team_member": self.member_a,
            "manager": self.manager_a,
            "slt": self.slt,
            "admin": self.admin,
        }[role]


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file per run; each test copies it (migrating anew costs ~0.3 s)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = create_db_engine(f"sqlite:///{path}")
    upgrade_database(engine)
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture
def engine(migrated_template: Path, tmp_path: Path) -> Iterator[Engine]:
    """A migrated SQLite database in a temporary folder (a copy of the session's template)."""
    path = tmp_path / "test.db"
    shutil.copyfile(migrated_template, path)
    engine = create_db_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


def give_token(engine: Engine, user: User) -> str:
    token = f"wh_test_{user.id}_{user.email}"
    with Session(engine) as session:
        session.add(
            ApiToken(
                user_id=user.id,
                name="tests",
                token_sha256=hash_token(token),
                created_at=datetime(2026, 1, 1, tzinfo=UTC),
            )
        )
        session.commit()
    return token


def build_org(engine: Engine) -> Org:
    team_a = f.team(engine, "Alpha")
    team_b = f.team(engine, "Beta")
    admin = f.user(engine, "admin@x.test", role="admin", weekly_capacity_hours=0, bill_rate=200)
    slt = f.user(engine, "slt@x.test", role="slt", weekly_capacity_hours=0)
    manager_a = f.user(engine, "manager.a@x.test", role="manager", team_id=team_a.id)
    manager_b = f.user(engine, "manager.b@x.test", role="manager", team_id=team_b.id)
    member_a = f.user(engine, "member.a@x.test", team_id=team_a.id, bill_rate=100)
    member_a2 = f.user(engine, "member.a2@x.test", team_id=team_a.id, bill_rate=90)
    member_b = f.user(engine, "member.b@x.test", team_id=team_b.id, bill_rate=80)
    team_a = f.set_lead(engine, team_a, manager_a)
    team_b = f.set_lead(engine, team_b, manager_b)
    client_a = f.client(engine, "Acme", account_lead_id=manager_a.id, target_rate=100)
    client_b = f.client(engine, "Bolt", account_lead_id=manager_b.id, target_rate=100)
    client_x = f.client(engine, "Xeno", target_rate=100)
    project_a = f.project(engine, "Acme site", client_id=client_a.id, bill_rate=120)
    project_b = f.project(engine, "Bolt app", client_id=client_b.id, bill_rate=110)
    project_x = f.project(engine, "Xeno audit", client_id=client_x.id, budget_hours=10)
    internal = f.project(engine, "Internal", billing_model="internal", default_billable=False)
    # History: Monday of the current week (25 Nov 2026 is a Wednesday) and last week.
    entries = {
        "a": f.entry(engine, member_a, project_a, datetime(2026, 11, 23, 9, tzinfo=UTC), 3.0),
        "a_last_week": f.entry(
            engine, member_a, project_x, datetime(2026, 11, 17, 9, tzinfo=UTC), 2.0
        ),
        "a2": f.entry(engine, member_a2, project_a, datetime(2026, 11, 24, 9, tzinfo=UTC), 4.0),
        "b": f.entry(engine, member_b, project_b, datetime(2026, 11, 23, 10, tzinfo=UTC), 5.0),
    }
    people = (admin, slt, manager_a, manager_b, member_a, member_a2, member_b)
    tokens = {u.id: give_token(engine, u) for u in people if u.id is not None}
    return Org(
        team_a=team_a,
        team_b=team_b,
        admin=admin,
        slt=slt,
        manager_a=manager_a,
        manager_b=manager_b,
        member_a=member_a,
        member_a2=member_a2,
        member_b=member_b,
        client_a=client_a,
        client_b=client_b,
        client_x=client_x,
        project_a=project_a,
        project_b=project_b,
        project_x=project_x,
        internal=internal,
        entries=entries,
        tokens=tokens,
    )


@dataclass
class Api:
    system: System
    org: Org
    http: httpx.AsyncClient
    store: LiveStore
    clock: FakeClock

    async def call(
        self, method: str, path: str, user: User | None = None, **kwargs: Any
    ) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}) or {})
        if user is not None:
            headers.update(self.org.auth(user))
        return await self.http.request(method, f"/api/v1{path}", headers=headers, **kwargs)

    async def settle(self) -> None:
        """Let published events reach the store and its recomputes finish."""
        await asyncio.sleep(0)
        await self.store.wait_idle()


def make_app(system: System) -> FastAPI:
    app = FastAPI()
    install_api(app, system)
    return app


@pytest.fixture(scope="session")
def api_app() -> FastAPI:
    """One app for the run: FastAPI prepares ~80 routes per include (~0.25 s), so tests share
    it and each sets its own `app.state.system`."""
    app = FastAPI()
    app.include_router(build_router())
    return app


async def open_api(
    engine: Engine, clock: FakeClock, tmp_path: Path, app: FastAPI
) -> AsyncIterator[Api]:
    system = make_system(engine, clock, tmp_path)
    app.state.system = system
    org = build_org(engine)
    store = system.store
    # The store follows the hub as in production (`start_live`), without the scheduler's
    # timers: tests call jobs themselves.
    system.hub.attach_loop(asyncio.get_running_loop())
    detach = store.attach(system.hub)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield Api(system=system, org=org, http=http, store=store, clock=clock)
    detach()
    await store.close()
    system.hub.attach_loop(None)


@pytest.fixture
async def api(
    engine: Engine, clock: FakeClock, tmp_path: Path, api_app: FastAPI
) -> AsyncIterator[Api]:
    """The API on SQLite."""
    async for value in open_api(engine, clock, tmp_path, api_app):
        yield value


@pytest.fixture
async def any_api(
    any_engine: Engine, clock: FakeClock, tmp_path: Path, api_app: FastAPI
) -> AsyncIterator[Api]:
    """The API on SQLite and on PostgreSQL."""
    async for value in open_api(any_engine, clock, tmp_path, api_app):
        yield value
