"""The caller's lookup: one connection at a time, so a busy pool queues requests instead of
deadlocking them (each holding one connection, waiting for a second to touch its token)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from tests.api.conftest import build_org
from tests.conftest import make_system
from workshub.api.deps import _token_caller
from workshub.clock import FakeClock
from workshub.domain.models import ApiToken


def test_a_token_lookup_with_a_due_touch_needs_one_connection(
    engine: Engine, clock: FakeClock, tmp_path: Path
) -> None:
    org = build_org(engine)
    member = org.member_a
    assert member.id is not None
    # One connection in the pool and none to spare: a lookup that held its read connection
    # while opening another for the last_used_at write would wait out the pool timeout.
    tight = create_engine(engine.url, pool_size=1, max_overflow=0, pool_timeout=10)
    try:
        system = make_system(tight, clock, tmp_path)
        caller = _token_caller(system, org.tokens[member.id])
        assert caller.viewer.id == member.id and caller.token == org.tokens[member.id]
        with Session(tight) as session:
            rows = session.exec(select(ApiToken).where(ApiToken.user_id == member.id)).all()
        assert [row.last_used_at for row in rows] == [clock.now()]
    finally:
        tight.dispose()
