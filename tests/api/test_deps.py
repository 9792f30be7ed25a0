"""The caller's lookup: one connection at a time, so a busy pool queues requests instead of
deadlocking them; the token's use is recorded and written later, with others."""

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


def test_a_token_lookup_needs_one_connection_and_its_use_is_written_by_the_flush(
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
        assert last_used(tight, member.id) == [None]  # the request wrote nothing
        assert system.touches.flush(tight) == 1
        assert last_used(tight, member.id) == [clock.now()]
        clock.advance(seconds=30)  # within the minute: recorded, not written again
        _token_caller(system, org.tokens[member.id])
        assert len(system.touches) == 0
    finally:
        tight.dispose()


def last_used(engine: Engine, user_id: int) -> list[object]:
    with Session(engine) as session:
        rows = session.exec(select(ApiToken).where(ApiToken.user_id == user_id)).all()
        return [row.last_used_at for row in rows]
