"""Signing in, API tokens and passwords, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from tests import factories as f
from tests.conftest import make_system
from workshub.app import System
from workshub.clock import FakeClock
from workshub.domain.auth import password_needs_rehash
from workshub.domain.errors import (
    Forbidden,
    NotFound,
    Throttled,
    Unauthenticated,
    ValidationFailed,
)
from workshub.domain.events import DomainEvent, ReferenceChanged
from workshub.domain.models import ApiToken, AuditEvent, User
from workshub.domain.scope import Viewer, load_viewer
from workshub.domain.services import accounts
from workshub.domain.uow import UnitOfWork


@pytest.fixture
def system(any_engine: Engine, clock: FakeClock, tmp_path: Path) -> System:
    return make_system(any_engine, clock, tmp_path)


def uow(system: System, actor_id: int | None = None) -> UnitOfWork:
    return UnitOfWork(system.engine, system.hub, system.clock, actor_id=actor_id, request_id="r1")


def viewer_of(system: System, user: User, *, session_version: int | None = None) -> Viewer | None:
    assert user.id is not None
    with Session(system.engine) as session:
        return load_viewer(session, user.id, session_version=session_version)


def sign_in(system: System, email: str, password: str, address: str = "10.0.0.1") -> User:
    with Session(system.engine) as session:
        return accounts.sign_in(
            session, system.sign_in_throttle, email=email, password=password, address=address
        )


def fresh(system: System, model: type[User] | type[ApiToken], row_id: int | None) -> object:
    with Session(system.engine) as session:
        row = session.get(model, row_id)
        assert row is not None
        return row


# --- signing in --------------------------------------------------------------------------------


def test_sign_in_finds_the_user_whatever_the_case_of_the_email(system: System) -> None:
    person = f.user(system.engine, "ada@x.test")
    assert sign_in(system, "  ADA@x.Test ", "secret").id == person.id


def test_wrong_password_and_unknown_email_give_the_same_error(system: System) -> None:
    f.user(system.engine, "ada@x.test")
    with pytest.raises(Unauthenticated) as wrong_password:
        sign_in(system, "ada@x.test", "not-it")
    with pytest.raises(Unauthenticated) as unknown_email:
        sign_in(system, "nobody@x.test", "secret")
    assert wrong_password.value.to_body() == unknown_email.value.to_body()
    assert wrong_password.value.message == "Wrong email or password."


def test_a_deactivated_user_cannot_sign_in_and_is_not_told_why(system: System) -> None:
    f.user(system.engine, "gone@x.test", is_active=False)
    with pytest.raises(Unauthenticated) as failed:
        sign_in(system, "gone@x.test", "secret")
    assert failed.value.message == "Wrong email or password."


def test_five_failures_lock_the_account_for_15_minutes(system: System, clock: FakeClock) -> None:
    f.user(system.engine, "ada@x.test")
    f.user(system.engine, "bob@x.test")
    for _ in range(5):
        with pytest.raises(Unauthenticated):
            sign_in(system, "ADA@x.test", "wrong")
    with pytest.raises(Throttled) as throttled:
        sign_in(system, "ada@x.test", "secret")  # even the right password waits
    assert 0 < throttled.value.retry_after <= 15 * 60 + 1
    assert sign_in(system, "bob@x.test", "secret").email == "bob@x.test"  # per account

    clock.advance(minutes=14)
    with pytest.raises(Throttled):
        sign_in(system, "ada@x.test", "secret")
    clock.advance(minutes=1)
    assert sign_in(system, "ada@x.test", "secret").email == "ada@x.test"


def test_an_outdated_hash_is_upgraded_on_sign_in(system: System) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash("secret")
    person = f.user(system.engine, "ada@x.test", password_hash=weak)
    assert password_needs_rehash(weak)
    sign_in(system, "ada@x.test", "secret")
    stored = fresh(system, User, person.id)
    assert isinstance(stored, User) and stored.password_hash
    assert stored.password_hash != weak
    assert not password_needs_rehash(stored.password_hash)
    assert sign_in(system, "ada@x.test", "secret").id == person.id


# --- API tokens --------------------------------------------------------------------------------


def test_a_token_round_trips_and_only_its_hash_is_stored(system: System) -> None:
    person = f.user(system.engine, "ada@x.test")
    assert person.id is not None
    with uow(system, person.id) as work:
        plain, row = accounts.create_api_token(
            work, user_id=person.id, name=" laptop ", expires_in_days=None
        )
    assert row.token_sha256 == hashlib.sha256(plain.encode()).hexdigest()
    assert row.name == "laptop"
    with Session(system.engine) as session:
        found = accounts.authenticate_token(session, plain, now=system.clock.now())
        assert found is not None and found.id == person.id
        assert accounts.authenticate_token(session, plain + "x", now=system.clock.now()) is None
        audit = session.exec(select(AuditEvent).where(AuditEvent.action == "token.create")).one()
    assert plain not in str(audit.after) and row.token_sha256 not in str(audit.after)
    with Session(system.engine) as session:
        listed = accounts.list_tokens(session, person.id)
    assert [t["name"] for t in listed] == ["laptop"]
    assert "token_sha256" not in listed[0] and plain not in str(listed)


def test_a_token_stops_working_when_it_expires(system: System, clock: FakeClock) -> None:
    person = f.user(system.engine, "ada@x.test")
    assert person.id is not None
    with uow(system, person.id) as work:
        plain, row = accounts.create_api_token(
            work, user_id=person.id, name="ci", expires_in_days=1
        )
    assert row.expires_at == clock.now() + timedelta(days=1)
    clock.advance(hours=23, minutes=59)
    with Session(system.engine) as session:
        assert accounts.authenticate_token(session, plain, now=clock.now()) is not None
    clock.advance(minutes=1)
    with Session(system.engine) as session:
        assert accounts.authenticate_token(session, plain, now=clock.now()) is None


def test_a_revoked_token_or_a_deactivated_owner_is_refused(system: System) -> None:
    person = f.user(system.engine, "ada@x.test")
    other = f.user(system.engine, "bob@x.test")
    assert person.id is not None
    with uow(system, person.id) as work:
        first, first_row = accounts.create_api_token(
            work, user_id=person.id, name="a", expires_in_days=None
        )
        second, _ = accounts.create_api_token(
            work, user_id=person.id, name="b", expires_in_days=None
        )
    assert first_row.id is not None
    with pytest.raises(NotFound), uow(system, other.id) as work:
        accounts.revoke_token(work, token_id=first_row.id, user_id=other.id)
    with uow(system, person.id) as work:
        accounts.revoke_token(work, token_id=first_row.id, user_id=person.id)
    now = system.clock.now()
    with Session(system.engine) as session:
        assert accounts.authenticate_token(session, first, now=now) is None
        assert accounts.authenticate_token(session, second, now=now) is not None
    with Session(system.engine) as session:
        row = session.get(User, person.id)
        assert row is not None
        row.is_active = False
        session.add(row)
        session.commit()
    with Session(system.engine) as session:
        assert accounts.authenticate_token(session, second, now=now) is None


def test_last_used_at_is_written_at_most_once_a_minute(system: System, clock: FakeClock) -> None:
    person = f.user(system.engine, "ada@x.test")
    assert person.id is not None
    with uow(system, person.id) as work:
        plain, row = accounts.create_api_token(
            work, user_id=person.id, name="poller", expires_in_days=None
        )

    def use_and_read() -> object:
        with Session(system.engine) as session:
            assert accounts.authenticate_token(session, plain, now=clock.now()) is not None
        stored = fresh(system, ApiToken, row.id)
        assert isinstance(stored, ApiToken)
        return stored.last_used_at

    first_use = clock.now()
    assert use_and_read() == first_use
    clock.advance(seconds=59)
    assert use_and_read() == first_use
    clock.advance(seconds=1)
    assert use_and_read() == first_use + timedelta(seconds=60)


def test_token_fields_are_validated_by_name(system: System) -> None:
    person = f.user(system.engine, "ada@x.test")
    assert person.id is not None
    with pytest.raises(ValidationFailed) as failed, uow(system, person.id) as work:
        accounts.create_api_token(work, user_id=person.id, name="  ", expires_in_days=0)
    assert set(failed.value.fields or {}) == {"name", "expires_in_days"}
    with pytest.raises(NotFound), uow(system, person.id) as work:
        accounts.create_api_token(work, user_id=person.id + 99, name="x", expires_in_days=None)


# --- passwords ---------------------------------------------------------------------------------


def test_changing_the_password_ends_older_sessions(system: System) -> None:
    person = f.user(system.engine, "ada@x.test")
    me = viewer_of(system, person)
    assert me is not None
    with uow(system, me.id) as work:
        changed = accounts.change_password(work, me, current="secret", new="correct horse")
    assert changed.session_version == me.session_version + 1
    assert viewer_of(system, person, session_version=me.session_version) is None
    assert viewer_of(system, person, session_version=changed.session_version) is not None
    assert sign_in(system, "ada@x.test", "correct horse").id == person.id
    with pytest.raises(Unauthenticated):
        sign_in(system, "ada@x.test", "secret")


def test_a_password_change_names_the_wrong_fields(system: System) -> None:
    person = f.user(system.engine, "ada@x.test")
    me = viewer_of(system, person)
    assert me is not None
    with pytest.raises(ValidationFailed) as failed, uow(system, me.id) as work:
        accounts.change_password(work, me, current="nope", new="short")
    assert set(failed.value.fields or {}) == {"current", "new"}
    with pytest.raises(ValidationFailed) as failed, uow(system, me.id) as work:
        accounts.change_password(work, me, current="secret", new="short")
    assert set(failed.value.fields or {}) == {"new"}
    assert sign_in(system, "ada@x.test", "secret").session_version == 1


def test_only_an_admin_resets_a_password(system: System) -> None:
    admin = viewer_of(system, f.user(system.engine, "root@x.test", role="admin"))
    boss = viewer_of(system, f.user(system.engine, "boss@x.test", role="slt"))
    person = f.user(system.engine, "ada@x.test")
    assert admin is not None and boss is not None and person.id is not None
    with pytest.raises(Forbidden), uow(system, boss.id) as work:
        accounts.reset_password(work, boss, user_id=person.id)
    with uow(system, admin.id) as work:
        password = accounts.reset_password(work, admin, user_id=person.id)
    assert len(password) >= accounts.MIN_PASSWORD_LENGTH
    assert sign_in(system, "ada@x.test", password).session_version == 2
    with pytest.raises(NotFound), uow(system, admin.id) as work:
        accounts.reset_password(work, admin, user_id=person.id + 99)


# --- adding people -----------------------------------------------------------------------------


def test_add_user_normalises_the_email_and_publishes_after_commit(system: System) -> None:
    team = f.team(system.engine, "Design")
    events: list[DomainEvent] = []
    system.hub.subscribe(events.append)
    with uow(system) as work:
        person = accounts.add_user(
            work,
            email=" Ada@X.test ",
            name="Ada",
            role="manager",
            team_id=team.id,
            password="long enough",
        )
        assert events == []
    assert person.email == "ada@x.test"
    assert [
        (type(e), e.entity, e.entity_id) for e in events if isinstance(e, ReferenceChanged)
    ] == [(ReferenceChanged, "user", person.id)]
    assert sign_in(system, "ada@x.test", "long enough").role == "manager"


def test_add_user_refuses_a_taken_email_in_any_case_and_names_every_field(system: System) -> None:
    f.user(system.engine, "ada@x.test")
    with pytest.raises(ValidationFailed) as failed, uow(system) as work:
        accounts.add_user(
            work,
            email="ADA@x.test",
            name="",
            role="boss",
            team_id=12345,
            password="short",
            weekly_capacity_hours=-1,
        )
    assert set(failed.value.fields or {}) == {
        "email",
        "name",
        "role",
        "team_id",
        "password",
        "weekly_capacity_hours",
    }
    assert failed.value.fields and failed.value.fields["email"] == "is already in use"
    with Session(system.engine) as session:
        assert len(session.exec(select(User)).all()) == 1


def test_token_owner_reads_only_and_touch_token_writes_once_a_minute(
    system: System, clock: FakeClock
) -> None:
    person = f.user(system.engine, "ada@x.test")
    assert person.id is not None
    with uow(system, person.id) as work:
        plain, row = accounts.create_api_token(
            work, user_id=person.id, name="script", expires_in_days=None
        )
    assert row.id is not None
    with Session(system.engine) as session:
        owner = accounts.token_owner(session, plain, now=clock.now())
        assert accounts.token_owner(session, plain + "x", now=clock.now()) is None
    assert owner is not None and owner.user_id == person.id and owner.touch_due
    assert fresh(system, ApiToken, row.id).last_used_at is None  # type: ignore[attr-defined]
    assert accounts.touch_token(system.engine, row.id, now=clock.now())
    clock.advance(seconds=30)
    assert not accounts.touch_token(system.engine, row.id, now=clock.now())
    with Session(system.engine) as session:
        again = accounts.token_owner(session, plain, now=clock.now())
    assert again is not None and not again.touch_due
    assert fresh(system, ApiToken, row.id).last_used_at == clock.now() - timedelta(seconds=30)  # type: ignore[attr-defined]


def test_token_owner_refuses_expired_tokens_and_deactivated_owners(
    system: System, clock: FakeClock
) -> None:
    person = f.user(system.engine, "ada@x.test")
    assert person.id is not None
    with uow(system, person.id) as work:
        expiring, _ = accounts.create_api_token(
            work, user_id=person.id, name="ci", expires_in_days=1
        )
        lasting, _ = accounts.create_api_token(
            work, user_id=person.id, name="cli", expires_in_days=None
        )
    clock.advance(days=1)
    with Session(system.engine) as session:
        assert accounts.token_owner(session, expiring, now=clock.now()) is None
        assert accounts.token_owner(session, lasting, now=clock.now()) is not None
        row = session.get(User, person.id)
        assert row is not None
        row.is_active = False
        session.add(row)
        session.commit()
    with Session(system.engine) as session:
        assert accounts.token_owner(session, lasting, now=clock.now()) is None


def test_token_uses_are_written_together_once_a_minute_per_token(
    system: System, clock: FakeClock
) -> None:
    ada, bob = f.user(system.engine, "ada@x.test"), f.user(system.engine, "bob@x.test")
    assert ada.id is not None and bob.id is not None
    with uow(system, ada.id) as work:
        _, first = accounts.create_api_token(work, user_id=ada.id, name="a", expires_in_days=None)
        _, second = accounts.create_api_token(work, user_id=bob.id, name="b", expires_in_days=None)
    assert first.id is not None and second.id is not None
    touches = accounts.TokenTouches()
    touches.record(first.id, at=clock.now())
    touches.record(second.id, at=clock.now() - timedelta(seconds=5))
    touches.record(second.id, at=clock.now())  # the latest use of a token is the one written
    assert len(touches) == 2 and touches.flush(system.engine) == 2 and len(touches) == 0
    assert fresh(system, ApiToken, first.id).last_used_at == clock.now()  # type: ignore[attr-defined]
    assert fresh(system, ApiToken, second.id).last_used_at == clock.now()  # type: ignore[attr-defined]
    written = clock.now()
    clock.advance(seconds=30)
    touches.record(first.id, at=clock.now())
    assert touches.flush(system.engine) == 0  # within the minute: unchanged
    clock.advance(seconds=31)
    touches.record(first.id, at=clock.now())
    assert touches.flush(system.engine) == 1
    assert fresh(system, ApiToken, first.id).last_used_at == clock.now()  # type: ignore[attr-defined]
    assert fresh(system, ApiToken, second.id).last_used_at == written  # type: ignore[attr-defined]
    assert touches.flush(system.engine) == 0  # nothing recorded: no transaction
