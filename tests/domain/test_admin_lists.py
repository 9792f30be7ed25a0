"""The admin page's own lists: every project (archived too) and every API token, admin only."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests import factories as f
from workshub.domain.auth import hash_token
from workshub.domain.errors import Forbidden
from workshub.domain.models import ApiToken
from workshub.domain.scope import Viewer, load_viewer
from workshub.domain.services.admin_lists import list_all_projects, list_all_tokens


def _viewer(session: Session, user_id: int | None) -> Viewer:
    viewer = load_viewer(session, user_id or 0)
    assert viewer is not None
    return viewer


def test_every_project_and_token_for_an_admin_only(any_engine: Engine) -> None:
    admin = f.user(any_engine, "admin@x.test", role="admin")
    slt = f.user(any_engine, "slt@x.test", role="slt")
    zed = f.client(any_engine, "Zed")
    acme = f.client(any_engine, "acme", status="archived")
    f.project(any_engine, "Old", client_id=zed.id, status="archived", fee=5, bill_rate=100)
    f.project(any_engine, "Site", client_id=acme.id)
    f.project(any_engine, "Ops", billing_model="internal")
    with Session(any_engine) as session:
        for user, name, day in ((admin, "cli", 1), (slt, "wall", 2)):
            session.add(
                ApiToken(
                    user_id=user.id,
                    name=name,
                    token_sha256=hash_token(name),
                    created_at=datetime(2026, 11, day, tzinfo=UTC),
                )
            )
        session.commit()
        me = _viewer(session, admin.id)
        projects = list_all_projects(session, me)
        tokens = list_all_tokens(session, me)
        with pytest.raises(Forbidden):
            list_all_projects(session, _viewer(session, slt.id))
        with pytest.raises(Forbidden):
            list_all_tokens(session, _viewer(session, slt.id))
    assert [(p["client_name"], p["name"], p["status"]) for p in projects] == [
        ("acme", "Site", "active"),
        ("Zed", "Old", "archived"),
        (None, "Ops", "active"),
    ]
    assert (projects[1]["fee"], projects[1]["bill_rate"]) == (5, 100)  # admins see money
    assert [(t["name"], t["user_email"]) for t in tokens] == [
        ("wall", "slt@x.test"),
        ("cli", "admin@x.test"),
    ]
    assert all("token_sha256" not in t and "token" not in t for t in tokens)
