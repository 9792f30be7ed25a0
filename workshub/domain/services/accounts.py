"""Accounts: signing in, API tokens, passwords and adding people (SPEC §2, §3, §6 auth routes).

Reads take a Session, writes a UnitOfWork. Two reads also write a little bookkeeping (a
password rehash, a token's last_used_at); that write runs in its own short transaction so a
read path never commits its caller's session. Call them with a read session, not inside a
write transaction (on SQLite the bookkeeping would wait for the caller's lock).
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, or_, update
from sqlalchemy import select as core_select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.sql.dml import Update
from sqlmodel import Session, col, select

from workshub.db import session_scope
from workshub.domain.auth import (
    SignInThrottle,
    hash_password,
    hash_token,
    new_token,
    password_needs_rehash,
    verify_password,
)
from workshub.domain.errors import Forbidden, NotFound, Unauthenticated, ValidationFailed
from workshub.domain.events import ReferenceChanged
from workshub.domain.models import ApiToken, Role, Team, User
from workshub.domain.scope import Viewer
from workshub.domain.services.fields import FieldReader
from workshub.domain.timeutil import iso_utc
from workshub.domain.uow import UnitOfWork

__all__ = [
    "MAX_TOKEN_DAYS",
    "MIN_PASSWORD_LENGTH",
    "TOKEN_TOUCH_INTERVAL",
    "USER_FIELDS",
    "WRONG_CREDENTIALS",
    "TokenOwner",
    "TokenTouches",
    "add_user",
    "authenticate_token",
    "change_password",
    "clean_user",
    "create_api_token",
    "find_api_token",
    "flush_user",
    "list_tokens",
    "normalise_email",
    "reset_password",
    "revoke_token",
    "sign_in",
    "token_owner",
    "token_public",
    "touch_token",
    "user_audit_fields",
]

log = logging.getLogger(__name__)

WRONG_CREDENTIALS = "Wrong email or password."
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024  # argon2 would hash a megabyte happily: refuse to be used for that
MAX_TOKEN_DAYS = 3650
TOKEN_TOUCH_INTERVAL = timedelta(minutes=1)
USER_FIELDS = (
    "email",
    "name",
    "role",
    "team_id",
    "weekly_capacity_hours",
    "bill_rate",
    "cost_rate",
    "starts_on",
    "ends_on",
    "is_active",
)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def normalise_email(email: str) -> str:
    return email.strip().lower()


# --- signing in --------------------------------------------------------------------------------


def sign_in(
    session: Session, throttle: SignInThrottle, *, email: str, password: str, address: str
) -> User:
    """The active user with this email and password.

    Every failure (unknown email, wrong password, deactivated account) raises the same
    Unauthenticated, after the same argon2 work, so the answer never tells which it was.
    """
    email = normalise_email(email)
    throttle.check(email=email, address=address)
    user = session.exec(select(User).where(func.lower(User.email) == email)).first()
    too_long = len(password) > MAX_PASSWORD_LENGTH
    valid = not too_long and verify_password(user.password_hash if user else None, password)
    if user is None or not valid or not user.is_active:
        throttle.failed(email=email, address=address)
        raise Unauthenticated(WRONG_CREDENTIALS)
    throttle.succeeded(email=email)
    if user.password_hash and password_needs_rehash(user.password_hash):
        statement = update(User).where(col(User.id) == user.id)
        _write_apart(session, statement.values(password_hash=hash_password(password)))
    return user


def _write_apart(session: Session, statement: Update) -> bool:
    """Run one bookkeeping UPDATE in its own transaction; True when it changed a row."""
    return bool(_write_in(_engine_of(session), statement))


def _engine_of(session: Session) -> Engine:
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


def _write_in(
    engine: Engine, statement: Update, rows: Sequence[Mapping[str, Any]] | None = None
) -> int:
    """Run bookkeeping in its own write transaction (once per item of `rows`, if given); how
    many rows it changed. It must never turn a valid request into an error, so a failure is
    logged only."""
    try:
        with session_scope(engine, write=True) as apart:
            done = (
                apart.exec(statement)
                if rows is None
                else apart.connection().execute(statement, rows)
            )
            return int(done.rowcount or 0)
    except SQLAlchemyError:
        log.warning("bookkeeping write failed: %s", statement, exc_info=True)
        return 0


# --- API tokens --------------------------------------------------------------------------------


def create_api_token(
    uow: UnitOfWork, *, user_id: int, name: str, expires_in_days: int | None
) -> tuple[str, ApiToken]:
    """A new token for an active user. The plain token is returned this once; only its
    SHA-256 is stored."""
    read = FieldReader({"name": name})
    clean_name = read.text("name", max_length=120)
    if expires_in_days is not None and (
        isinstance(expires_in_days, bool)
        or not isinstance(expires_in_days, int)
        or not 1 <= expires_in_days <= MAX_TOKEN_DAYS
    ):
        read.fail("expires_in_days", f"must be a whole number of days from 1 to {MAX_TOKEN_DAYS}")
    read.done()
    user = uow.session.get(User, user_id)
    if user is None or not user.is_active:
        raise NotFound("user")
    token, digest = new_token()
    expires_at = None if expires_in_days is None else uow.now + timedelta(days=expires_in_days)
    row = ApiToken(
        user_id=user_id,
        name=clean_name,
        token_sha256=digest,
        created_at=uow.now,
        expires_at=expires_at,
    )
    uow.session.add(row)
    uow.session.flush()
    uow.audit("token.create", "api_token", row.id, after=token_public(row))
    return token, row


def find_api_token(session: Session, token: str, *, now: datetime) -> ApiToken | None:
    """The unexpired token row for a plain token, or None."""
    if not isinstance(token, str) or not 0 < len(token) <= 200:
        return None
    row = session.exec(select(ApiToken).where(ApiToken.token_sha256 == hash_token(token))).first()
    if row is None or (row.expires_at is not None and row.expires_at <= now):
        return None
    return row


@dataclass(frozen=True, slots=True)
class TokenOwner:
    """Whose a bearer token is, and whether its last_used_at is due for a write."""

    user_id: int
    token_id: int
    touch_due: bool


# Every API call with a token runs this lookup: a Core statement built once (SPEC §9).
_TOKEN = ApiToken.__table__  # type: ignore[attr-defined]
_USER = User.__table__  # type: ignore[attr-defined]
_TOKEN_OWNER = (
    core_select(
        _TOKEN.c.id, _TOKEN.c.expires_at, _TOKEN.c.last_used_at, _USER.c.id.label("user_id")
    )
    .join(_USER, _USER.c.id == _TOKEN.c.user_id)
    .where(_TOKEN.c.token_sha256 == bindparam("token_sha256"))
    .where(_USER.c.is_active.is_(True))
)


def token_owner(session: Session, token: str, *, now: datetime) -> TokenOwner | None:
    """The active user behind an unexpired token, in one statement; writes nothing (the
    caller touches the token with `touch_token` once this session is done)."""
    if not isinstance(token, str) or not 0 < len(token) <= 200:
        return None
    found = session.connection().execute(_TOKEN_OWNER, {"token_sha256": hash_token(token)}).first()
    if found is None or (found.expires_at is not None and found.expires_at <= now):
        return None
    due = found.last_used_at is None or now - found.last_used_at >= TOKEN_TOUCH_INTERVAL
    return TokenOwner(user_id=found.user_id, token_id=found.id, touch_due=due)


def touch_token(engine: Engine, token_id: int, *, now: datetime) -> bool:
    """Record a token's use (at most once a minute) in its own short write transaction.

    Call it holding no other connection: a request that held its read connection while
    waiting for a write one could starve the pool (every thread holding one, waiting for a
    second)."""
    return bool(_write_in(engine, _TOUCH, _touches({token_id: now})))


# A token's use, written at most once a minute (TOKEN_TOUCH_INTERVAL); one row per token.
_TOUCH = (
    update(_TOKEN)
    .where(_TOKEN.c.id == bindparam("token_id"))
    .where(or_(_TOKEN.c.last_used_at.is_(None), _TOKEN.c.last_used_at <= bindparam("due_before")))
    .values(last_used_at=bindparam("used_at"))
)


def _touches(uses: Mapping[int, datetime]) -> list[dict[str, Any]]:
    return [
        {"token_id": token_id, "used_at": at, "due_before": at - TOKEN_TOUCH_INTERVAL}
        for token_id, at in uses.items()
    ]


class TokenTouches:
    """Token uses waiting for their `last_used_at` write, written together by `flush`.

    A touch is due at most once a minute per token, but 200 scripts starting together made
    200 write transactions of their own, each waiting behind the write gate with the timer
    starts (SPEC §9 writes: the first second of such a burst queued requests for seconds).
    The API records uses here instead; the server flushes them every few seconds
    (`live.jobs`) and at shutdown, in one transaction. "Last used" may lag by that much, and a
    killed process forgets at most that much bookkeeping, never a write of anyone's data."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[int, datetime] = {}

    def record(self, token_id: int, *, at: datetime) -> None:
        with self._lock:
            self._pending[token_id] = at

    def __len__(self) -> int:
        with self._lock:
            return len(self._pending)

    def flush(self, engine: Engine) -> int:
        """Write the recorded uses (once a minute per token, as `touch_token`); how many rows
        changed. Uses recorded meanwhile wait for the next flush."""
        with self._lock:
            pending, self._pending = self._pending, {}
        return _write_in(engine, _TOUCH, _touches(pending)) if pending else 0


def authenticate_token(session: Session, token: str, *, now: datetime) -> User | None:
    """The active user behind a bearer token, or None (unknown, expired, or deactivated).

    last_used_at is written at most once a minute: a script polling every second must not
    turn every read into a write. The API uses `token_owner` and `touch_token` instead, so it
    never holds two connections at once.
    """
    owner = token_owner(session, token, now=now)
    if owner is None:
        return None
    if owner.touch_due:
        touch_token(_engine_of(session), owner.token_id, now=now)
    return session.get(User, owner.user_id)


def revoke_token(uow: UnitOfWork, *, token_id: int, user_id: int | None = None) -> None:
    """Delete a token. With `user_id`, only that user's token (anyone else's reads as missing)."""
    row = uow.session.get(ApiToken, token_id)
    if row is None or (user_id is not None and row.user_id != user_id):
        raise NotFound("API token")
    before = token_public(row)
    uow.session.delete(row)
    uow.audit("token.revoke", "api_token", token_id, before=before)


def list_tokens(session: Session, user_id: int) -> list[dict[str, Any]]:
    rows = session.exec(
        select(ApiToken)
        .where(ApiToken.user_id == user_id)
        .order_by(col(ApiToken.created_at).desc(), col(ApiToken.id).desc())
    ).all()
    return [token_public(row) for row in rows]


def token_public(row: ApiToken) -> dict[str, Any]:
    """A token as the API shows it: never the token or its hash."""
    return {
        "id": row.id,
        "user_id": row.user_id,
        "name": row.name,
        "created_at": iso_utc(row.created_at),
        "expires_at": iso_utc(row.expires_at),
        "last_used_at": iso_utc(row.last_used_at),
    }


# --- passwords ---------------------------------------------------------------------------------


def _password_problem(password: object) -> str | None:
    if not isinstance(password, str):
        return "must be text"
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"must be at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"must be at most {MAX_PASSWORD_LENGTH} characters"
    return None


def change_password(uow: UnitOfWork, viewer: Viewer, *, current: str, new: str) -> User:
    """Change the viewer's own password. Bumping session_version ends every other session;
    the caller re-issues its own from the returned user's session_version."""
    user = uow.session.get(User, viewer.id)
    if user is None:
        raise NotFound("user")
    errors: dict[str, str] = {}
    if not isinstance(current, str) or not verify_password(user.password_hash, current):
        errors["current"] = "is not your current password"
    if problem := _password_problem(new):
        errors["new"] = problem
    if errors:
        raise ValidationFailed("; ".join(f"{k}: {v}" for k, v in errors.items()), fields=errors)
    _set_password(uow, user, new, action="user.password_change")
    return user


def reset_password(uow: UnitOfWork, admin_viewer: Viewer, *, user_id: int) -> str:
    """An admin gives someone a new random password (returned once) and ends their sessions."""
    if not admin_viewer.is_admin:
        raise Forbidden()
    user = uow.session.get(User, user_id)
    if user is None:
        raise NotFound("user")
    password = secrets.token_urlsafe(12)
    _set_password(uow, user, password, action="user.password_reset")
    return password


def _set_password(uow: UnitOfWork, user: User, password: str, *, action: str) -> None:
    before = {"session_version": user.session_version}
    user.password_hash = hash_password(password)
    user.session_version += 1
    uow.session.add(user)
    after = {"session_version": user.session_version}
    uow.audit(action, "user", user.id, before=before, after=after)


# --- adding people -----------------------------------------------------------------------------


def clean_user(
    session: Session, values: Mapping[str, Any], *, user_id: int | None = None
) -> dict[str, Any]:
    """Checked, normalised user fields. `values` holds every field (an update merges the
    row's current values with the changes first). Raises ValidationFailed naming each field."""
    read = FieldReader(values)
    email = read.text("email", max_length=254).lower()
    if email and not _EMAIL.fullmatch(email):
        read.fail("email", "is not an email address")
    elif email and _email_taken(session, email, user_id=user_id):
        read.fail("email", "is already in use")
    cleaned: dict[str, Any] = {
        "email": email,
        "name": read.text("name", max_length=120),
        "role": read.choice("role", Role),
        "team_id": read.ident("team_id"),
        "weekly_capacity_hours": read.number("weekly_capacity_hours", maximum=168, required=True),
        "bill_rate": read.number("bill_rate"),
        "cost_rate": read.number("cost_rate"),
        "starts_on": read.day("starts_on"),
        "ends_on": read.day("ends_on"),
        "is_active": read.flag("is_active", default=True),
    }
    if cleaned["team_id"] is not None and session.get(Team, cleaned["team_id"]) is None:
        read.fail("team_id", "no such team")
    starts, ends = cleaned["starts_on"], cleaned["ends_on"]
    if starts is not None and ends is not None and ends < starts:
        read.fail("ends_on", "must not be before starts_on")
    read.done()
    return cleaned


def _email_taken(session: Session, email: str, *, user_id: int | None) -> bool:
    query = select(User.id).where(func.lower(User.email) == email)
    if user_id is not None:
        query = query.where(User.id != user_id)
    return session.exec(query).first() is not None


def flush_user(session: Session, user: User) -> None:
    """Write the row now, turning a lost race for the email into the same 422 as the check."""
    try:
        with session.begin_nested():
            session.add(user)
    except IntegrityError as error:
        if "ux_user_email_lower" in str(error):
            raise ValidationFailed.field("email", "is already in use") from None
        raise


def user_audit_fields(user: User) -> dict[str, Any]:
    return {"id": user.id, "session_version": user.session_version} | {
        name: getattr(user, name) for name in USER_FIELDS
    }


def add_user(
    uow: UnitOfWork,
    *,
    email: str,
    name: str,
    role: str,
    team_id: int | None,
    password: str | None,
    weekly_capacity_hours: float = 37.5,
    bill_rate: float | None = None,
    cost_rate: float | None = None,
    starts_on: Any = None,
    ends_on: Any = None,
) -> User:
    """Add a person (the CLI and admin's create_user). Without a password nobody can sign
    in as them until an admin resets it."""
    values = {
        "email": email,
        "name": name,
        "role": role,
        "team_id": team_id,
        "weekly_capacity_hours": weekly_capacity_hours,
        "bill_rate": bill_rate,
        "cost_rate": cost_rate,
        "starts_on": starts_on,
        "ends_on": ends_on,
        "is_active": True,
    }
    problem = None if password is None else _password_problem(password)
    try:
        cleaned = clean_user(uow.session, values)
    except ValidationFailed as error:
        fields = dict(error.fields or {}) | ({"password": problem} if problem else {})
        raise ValidationFailed(
            "; ".join(f"{k}: {v}" for k, v in fields.items()), fields=fields
        ) from None
    if problem:
        raise ValidationFailed.field("password", problem)
    user = User(**cleaned, password_hash=None if password is None else hash_password(password))
    flush_user(uow.session, user)
    assert user.id is not None
    uow.audit("user.create", "user", user.id, after=user_audit_fields(user))
    uow.emit(
        ReferenceChanged(
            actor_id=uow.actor_id, request_id=uow.request_id, entity="user", entity_id=user.id
        )
    )
    return user
