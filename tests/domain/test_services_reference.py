"""Reference lists per role, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests import factories as f
from tests.conftest import make_system
from workshub.app import System
from workshub.clock import FakeClock
from workshub.domain.errors import Forbidden
from workshub.domain.models import User
from workshub.domain.scope import Viewer, load_viewer
from workshub.domain.services import reference

MONEY = {"bill_rate", "fee", "target_rate", "cost_rate"}


@pytest.fixture
def system(any_engine: Engine, clock: FakeClock, tmp_path: Path) -> System:
    return make_system(any_engine, clock, tmp_path)


@dataclass
class Org:
    alice: Viewer  # team_member in Alpha
    mona: Viewer  # manager, leads Alpha, in no team herself
    nils: Viewer  # manager, leads Beta
    sara: Viewer  # slt
    root: Viewer  # admin
    alpha_id: int
    beta_id: int


def viewer_of(system: System, user: User) -> Viewer:
    assert user.id is not None
    with Session(system.engine) as session:
        viewer = load_viewer(session, user.id)
    assert viewer is not None
    return viewer


@pytest.fixture
def org(system: System, clock: FakeClock) -> Org:
    e = system.engine
    now = clock.now()
    alpha, beta = f.team(e, "Alpha"), f.team(e, "Beta")
    mona = f.user(e, "mona@x.test", role="manager")
    nils = f.user(e, "nils@x.test", role="manager", team_id=beta.id)
    f.set_lead(e, alpha, mona)
    f.set_lead(e, beta, nils)
    alice = f.user(e, "alice@x.test", team_id=alpha.id, bill_rate=90, cost_rate=40)
    bob = f.user(e, "bob@x.test", team_id=beta.id, bill_rate=80, cost_rate=35)
    sara = f.user(e, "sara@x.test", role="slt")
    root = f.user(e, "root@x.test", role="admin")

    acme = f.client(e, "Acme", account_lead_id=mona.id, target_rate=120)
    beta_corp = f.client(e, "Beta Corp", target_rate=100)
    cobalt = f.client(e, "Cobalt")
    dormant = f.client(e, "Dormant", status="archived")
    site = f.project(e, "Site", client_id=acme.id, billing_model="t_and_m", bill_rate=150)
    f.project(e, "Old site", client_id=acme.id, status="archived")
    care = f.project(e, "Care", client_id=beta_corp.id, billing_model="retainer", fee=3000)
    app = f.project(e, "App", client_id=cobalt.id, billing_model="fixed_fee", fee=9000)
    f.project(e, "Sleeping", client_id=dormant.id)
    admin_work = f.project(e, "Admin", billing_model="internal", default_billable=False)

    f.entry(e, alice, admin_work, now - timedelta(days=2), 1.0)
    f.entry(e, alice, care, now - timedelta(days=21), 2.0)
    f.entry(e, alice, site, now - timedelta(days=40), 3.0)  # too old to count as recent
    f.entry(e, bob, app, now - timedelta(days=10), 1.0)
    f.entry(e, sara, site, now - timedelta(hours=1), None)  # running: recent for sara

    assert alpha.id is not None and beta.id is not None
    return Org(
        alice=viewer_of(system, alice),
        mona=viewer_of(system, mona),
        nils=viewer_of(system, nils),
        sara=viewer_of(system, sara),
        root=viewer_of(system, root),
        alpha_id=alpha.id,
        beta_id=beta.id,
    )


def names(rows: list[dict]) -> list[str]:
    return [row["name"] for row in rows]


# --- projects ----------------------------------------------------------------------------------


def test_projects_are_the_trackable_ones_with_recent_first(system: System, org: Org) -> None:
    now = system.clock.now()
    with Session(system.engine) as session:
        rows = reference.list_projects(session, org.alice, now=now)
    # Admin (2 days ago) and Care (21 days) lead; then the rest by client and name.
    assert names(rows) == ["Admin", "Care", "Site", "App"]
    by_name = {row["name"]: row for row in rows}
    assert by_name["Admin"]["last_tracked_at"] == (now - timedelta(days=2)).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    assert by_name["Site"]["last_tracked_at"] is None
    assert (by_name["Care"]["client_name"], by_name["Admin"]["client_name"]) == ("Beta Corp", None)
    assert by_name["Site"]["starts_on"] == date(2026, 1, 1).isoformat()
    assert not MONEY & set().union(*rows)


def test_projects_show_money_to_slt_and_admin_only(system: System, org: Org) -> None:
    now = system.clock.now()
    with Session(system.engine) as session:
        for viewer in (org.alice, org.mona):
            assert not MONEY & set().union(*reference.list_projects(session, viewer, now=now))
        rows = reference.list_projects(session, org.sara, now=now)
    assert names(rows)[0] == "Site"  # sara's running timer makes it her most recent
    site = next(row for row in rows if row["name"] == "Site")
    app = next(row for row in rows if row["name"] == "App")
    assert (site["bill_rate"], app["fee"]) == (150, 9000)


# --- clients -----------------------------------------------------------------------------------


def test_a_manager_lists_only_their_clients_without_money(system: System, org: Org) -> None:
    now = system.clock.now()
    with Session(system.engine) as session:
        mona = reference.list_clients(session, org.mona, now=now)
        nils = reference.list_clients(session, org.nils, now=now)
    # Acme: mona is its account lead; Beta Corp: alice (her team) tracked on it 21 days ago.
    assert names(mona) == ["Acme", "Beta Corp"]
    assert mona[0]["account_lead_name"] == "Mona"
    assert names(nils) == ["Cobalt"]
    assert not MONEY & set().union(*mona, *nils)


def test_slt_and_admin_list_every_client_with_target_rates(system: System, org: Org) -> None:
    with Session(system.engine) as session:
        for viewer in (org.sara, org.root):
            rows = reference.list_clients(session, viewer, now=system.clock.now())
            assert names(rows) == ["Acme", "Beta Corp", "Cobalt", "Dormant"]
            assert [row["target_rate"] for row in rows] == [120, 100, None, None]


def test_a_team_member_may_list_projects_only(system: System, org: Org) -> None:
    with Session(system.engine) as session:
        with pytest.raises(Forbidden):
            reference.list_clients(session, org.alice, now=system.clock.now())
        with pytest.raises(Forbidden):
            reference.list_teams(session, org.alice)
        with pytest.raises(Forbidden):
            reference.list_users(session, org.alice)


# --- teams and people --------------------------------------------------------------------------


def test_teams_per_role(system: System, org: Org) -> None:
    with Session(system.engine) as session:
        mona = reference.list_teams(session, org.mona)
        everyone = reference.list_teams(session, org.root)
    assert mona == [
        {
            "id": org.alpha_id,
            "name": "Alpha",
            "lead_id": org.mona.id,
            "lead_name": "Mona",
            "member_count": 1,
        }
    ]
    assert [(t["name"], t["member_count"]) for t in everyone] == [("Alpha", 1), ("Beta", 2)]


def test_a_manager_lists_their_people_and_themselves_without_rates(
    system: System, org: Org
) -> None:
    with Session(system.engine) as session:
        rows = reference.list_users(session, org.mona)
    assert names(rows) == ["Alice", "Mona"]
    assert rows[0]["team_name"] == "Alpha" and rows[1]["team_name"] is None
    assert not MONEY & set().union(*rows)


def test_slt_lists_everyone_with_rates(system: System, org: Org) -> None:
    with Session(system.engine) as session:
        rows = reference.list_users(session, org.sara)
    assert names(rows) == ["Alice", "Bob", "Mona", "Nils", "Root", "Sara"]
    alice = rows[0]
    assert (alice["bill_rate"], alice["cost_rate"], alice["email"]) == (90, 40, "alice@x.test")
    assert "password_hash" not in alice and "session_version" not in alice


def test_instants_are_utc_with_z(system: System, org: Org) -> None:
    with Session(system.engine) as session:
        rows = reference.list_projects(session, org.sara, now=system.clock.now())
    stamp = rows[0]["last_tracked_at"]
    assert stamp.endswith("Z")
    assert datetime.fromisoformat(stamp.replace("Z", "+00:00")) == system.clock.now() - timedelta(
        hours=1
    )
