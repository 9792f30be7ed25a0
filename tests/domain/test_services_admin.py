"""Admin writes of people, teams, clients and projects, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from tests import factories as f
from tests.conftest import make_system
from workshub.app import System
from workshub.clock import FakeClock
from workshub.domain.errors import Forbidden, NotFound, ValidationFailed
from workshub.domain.events import DomainEvent, ReferenceChanged
from workshub.domain.models import AuditEvent, Client, Project, Team, User
from workshub.domain.scope import Viewer, load_viewer
from workshub.domain.services import admin
from workshub.domain.uow import UnitOfWork


@pytest.fixture
def system(any_engine: Engine, clock: FakeClock, tmp_path: Path) -> System:
    return make_system(any_engine, clock, tmp_path)


def viewer_of(system: System, user: User, *, session_version: int | None = None) -> Viewer | None:
    assert user.id is not None
    with Session(system.engine) as session:
        return load_viewer(session, user.id, session_version=session_version)


@pytest.fixture
def root(system: System) -> Viewer:
    viewer = viewer_of(system, f.user(system.engine, "root@x.test", role="admin"))
    assert viewer is not None
    return viewer


def run(system: System, viewer: Viewer, write: Callable[..., Any], **kwargs: Any) -> Any:
    with UnitOfWork(
        system.engine, system.hub, system.clock, actor_id=viewer.id, request_id="r1"
    ) as uow:
        return write(uow, viewer, **kwargs)


def fields_of(call: Callable[[], Any]) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as failed:
        call()
    return failed.value.fields or {}


def count(system: System, model: type[Any]) -> int:
    with Session(system.engine) as session:
        return len(session.exec(select(model)).all())


# --- who may -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["team_member", "manager", "slt"])
def test_only_an_admin_may_change_reference_data(system: System, role: str) -> None:
    someone = viewer_of(system, f.user(system.engine, f"{role}@x.test", role=role))
    assert someone is not None
    team = f.team(system.engine, "Design")
    attempts: list[tuple[Callable[..., Any], dict[str, Any]]] = [
        (admin.create_user, {"email": "n@x.test", "name": "N", "role": "team_member"}),
        (admin.update_user, {"user_id": someone.id, "name": "Renamed"}),
        (admin.create_team, {"name": "T"}),
        (admin.update_team, {"team_id": team.id, "name": "T"}),
        (admin.create_client, {"name": "C"}),
        (admin.create_project, {"name": "P", "client_id": None, "billing_model": "internal",
                                "starts_on": date(2026, 1, 1)}),
    ]  # fmt: skip
    for write, kwargs in attempts:
        with pytest.raises(Forbidden):
            run(system, someone, write, **kwargs)
    assert count(system, AuditEvent) == 0
    assert count(system, User) == 1 and count(system, Team) == 1


# --- people ------------------------------------------------------------------------------------


def test_emails_are_unique_whatever_their_case(system: System, root: Viewer) -> None:
    f.user(system.engine, "ada@x.test")
    other = f.user(system.engine, "bob@x.test")
    created = fields_of(
        lambda: run(system, root, admin.create_user, email="ADA@x.test", name="A", role="slt")
    )
    assert created == {"email": "is already in use"}
    updated = fields_of(
        lambda: run(system, root, admin.update_user, user_id=other.id, email="Ada@X.TEST")
    )
    assert updated == {"email": "is already in use"}


def test_a_role_change_or_deactivation_ends_sessions_but_a_rename_does_not(
    system: System, root: Viewer
) -> None:
    person = f.user(system.engine, "ada@x.test")
    before = viewer_of(system, person)
    assert before is not None and person.id is not None
    renamed = run(system, root, admin.update_user, user_id=person.id, name="Ada L.")
    assert renamed.session_version == before.session_version
    promoted = run(system, root, admin.update_user, user_id=person.id, role="manager")
    assert promoted.session_version == before.session_version + 1
    assert viewer_of(system, person, session_version=before.session_version) is None
    current = viewer_of(system, person, session_version=promoted.session_version)
    assert current is not None and current.role.value == "manager"
    gone = run(system, root, admin.update_user, user_id=person.id, is_active=False)
    assert gone.session_version == promoted.session_version + 1
    assert viewer_of(system, person) is None


def test_user_updates_are_checked_as_a_whole(system: System, root: Viewer) -> None:
    person = f.user(system.engine, "ada@x.test", starts_on=date(2026, 3, 1))
    assert fields_of(
        lambda: run(system, root, admin.update_user, user_id=person.id, ends_on="2026-02-01")
    ) == {"ends_on": "must not be before starts_on"}
    assert fields_of(
        lambda: run(system, root, admin.update_user, user_id=person.id, password_hash="x")
    ) == {"password_hash": "cannot be changed"}
    with pytest.raises(NotFound):
        run(system, root, admin.update_user, user_id=9999, name="x")


def test_an_admin_cannot_lock_themselves_out(system: System, root: Viewer) -> None:
    assert "role" in fields_of(
        lambda: run(system, root, admin.update_user, user_id=root.id, role="slt")
    )
    assert "is_active" in fields_of(
        lambda: run(system, root, admin.update_user, user_id=root.id, is_active=False)
    )


def test_a_lead_cannot_be_demoted_to_team_member(system: System, root: Viewer) -> None:
    boss = f.user(system.engine, "boss@x.test", role="manager")
    f.team(system.engine, "Design", lead_id=boss.id)
    assert "role" in fields_of(
        lambda: run(system, root, admin.update_user, user_id=boss.id, role="team_member")
    )
    moved = run(system, root, admin.update_user, user_id=boss.id, role="slt")
    assert moved.role == "slt"


# --- teams -------------------------------------------------------------------------------------


def test_a_team_lead_must_be_an_active_manager_slt_or_admin(system: System, root: Viewer) -> None:
    member = f.user(system.engine, "m@x.test")
    former = f.user(system.engine, "f@x.test", role="manager", is_active=False)
    boss = f.user(system.engine, "boss@x.test", role="manager")
    for lead_id, message in (
        (member.id, "must be a manager, slt or admin"),
        (former.id, "is not active"),
        (9999, "no such user"),
    ):
        with pytest.raises(ValidationFailed) as failed:
            run(system, root, admin.create_team, name="T", lead_id=lead_id)
        assert failed.value.fields == {"lead_id": message}
    team = run(system, root, admin.create_team, name=" Design ", lead_id=boss.id)
    assert (team.name, team.lead_id) == ("Design", boss.id)
    assert fields_of(lambda: run(system, root, admin.update_team, team_id=team.id, name="")) == {
        "name": "is required"
    }
    assert run(system, root, admin.update_team, team_id=team.id, lead_id=None).lead_id is None


def test_writes_are_audited_and_announced_after_commit(system: System, root: Viewer) -> None:
    events: list[DomainEvent] = []
    system.hub.subscribe(events.append)
    team = run(system, root, admin.create_team, name="Design")
    run(system, root, admin.update_team, team_id=team.id, name="Brand")
    with pytest.raises(ValidationFailed):
        run(system, root, admin.update_team, team_id=team.id, lead_id=9999)
    assert [(e.entity, e.entity_id) for e in events if isinstance(e, ReferenceChanged)] == [
        ("team", team.id),
        ("team", team.id),
    ]
    with Session(system.engine) as session:
        audits = session.exec(select(AuditEvent).order_by(AuditEvent.id)).all()  # type: ignore[arg-type]
    assert [(a.action, a.actor_id, a.request_id) for a in audits] == [
        ("team.create", root.id, "r1"),
        ("team.update", root.id, "r1"),
    ]
    assert audits[1].before == {"name": "Design", "lead_id": None}
    assert audits[1].after == {"name": "Brand", "lead_id": None}


# --- clients -----------------------------------------------------------------------------------


def test_client_fields_are_validated_by_name(system: System, root: Viewer) -> None:
    member = f.user(system.engine, "m@x.test")
    assert fields_of(
        lambda: run(
            system,
            root,
            admin.create_client,
            name="",
            account_lead_id=member.id,
            target_rate=-5,
            status="gone",
        )
    ) == {
        "name": "is required",
        "account_lead_id": "must be a manager, slt or admin",
        "target_rate": "must be greater than 0",
        "status": "must be one of active, archived",
    }
    client = run(system, root, admin.create_client, name="Acme", target_rate=120)
    archived = run(system, root, admin.update_client, client_id=client.id, status="archived")
    assert (archived.name, archived.target_rate, archived.status) == ("Acme", 120, "archived")
    assert count(system, Client) == 1


# --- projects ----------------------------------------------------------------------------------


def project_fields(system: System, root: Viewer, **kwargs: Any) -> dict[str, str]:
    values = {"name": "P", "starts_on": date(2026, 1, 1)} | kwargs
    return fields_of(lambda: run(system, root, admin.create_project, **values))


def test_billing_rules_name_the_field_at_fault(system: System, root: Viewer) -> None:
    acme = f.client(system.engine, "Acme")
    c = acme.id
    assert project_fields(system, root, client_id=c, billing_model="fixed_fee") == {
        "fee": "is required for a fixed fee (the total fee)"
    }
    assert project_fields(system, root, client_id=c, billing_model="retainer") == {
        "fee": "is required for a retainer (the fee per month)"
    }
    assert project_fields(system, root, client_id=c, billing_model="t_and_m", fee=100) == {
        "fee": "applies only to fixed-fee and retainer projects"
    }
    assert project_fields(
        system, root, client_id=c, billing_model="fixed_fee", fee=9000, budget_period="monthly"
    ) == {"budget_period": "must be total for a fixed fee"}
    assert project_fields(
        system, root, client_id=c, billing_model="t_and_m", budget_period="x"
    ) == {"budget_period": "must be one of total, monthly"}
    assert project_fields(system, root, client_id=None, billing_model="t_and_m") == {
        "client_id": "is required unless the project is internal"
    }
    assert project_fields(system, root, client_id=9999, billing_model="bartering") == {
        "billing_model": "must be one of retainer, t_and_m, fixed_fee, internal",
        "client_id": "no such client",
    }
    assert project_fields(
        system,
        root,
        client_id=c,
        billing_model="t_and_m",
        budget_hours=0,
        ends_on=date(2025, 12, 31),
        starts_on=None,
    ) == {"budget_hours": "must be greater than 0", "starts_on": "is required"}
    assert count(system, Project) == 0


def test_a_valid_project_gets_sensible_defaults(system: System, root: Viewer) -> None:
    acme = f.client(system.engine, "Acme")
    retainer = run(
        system,
        root,
        admin.create_project,
        name="Care plan",
        client_id=acme.id,
        billing_model="retainer",
        fee=4000,
        budget_hours=30,
        budget_period="monthly",
        starts_on=date(2026, 1, 1),
    )
    assert (retainer.default_billable, retainer.status) == (True, "active")
    internal = run(
        system,
        root,
        admin.create_project,
        name="Admin",
        client_id=None,
        billing_model="internal",
        starts_on=date(2026, 1, 1),
    )
    assert internal.default_billable is False


def test_a_partial_project_update_keeps_the_rules(system: System, root: Viewer) -> None:
    acme = f.client(system.engine, "Acme")
    project = f.project(system.engine, "Site", client_id=acme.id, billing_model="t_and_m")
    assert fields_of(
        lambda: run(
            system, root, admin.update_project, project_id=project.id, billing_model="fixed_fee"
        )
    ) == {"fee": "is required for a fixed fee (the total fee)"}
    fixed = run(
        system,
        root,
        admin.update_project,
        project_id=project.id,
        billing_model="fixed_fee",
        fee=12000,
        budget_hours=100,
    )
    assert (fixed.billing_model, fixed.fee, fixed.budget_hours) == ("fixed_fee", 12000, 100)
    with pytest.raises(NotFound):
        run(system, root, admin.update_project, project_id=9999, name="x")
