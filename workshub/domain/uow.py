"""One write = one transaction: the row changes, an audit event, the idempotency record, then
the domain events, published only after the commit succeeded."""

from __future__ import annotations

import hashlib
import json
import time
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, cast

from sqlalchemy import Table, insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from workshub.clock import Clock
from workshub.db import one_writer
from workshub.domain.errors import IdempotencyKeyReused
from workshub.domain.events import DomainEvent, EventHub
from workshub.domain.models import AuditEvent, IdempotencyRecord

__all__ = [
    "IDEMPOTENCY_TTL",
    "IdempotencyRace",
    "IdempotencyRequest",
    "Replay",
    "UnitOfWork",
    "claim_key",
    "find_replay",
]

IDEMPOTENCY_TTL = timedelta(hours=24)
_AUDIT_TABLE = cast(Table, AuditEvent.__table__)  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class IdempotencyRequest:
    """An `Idempotency-Key` and the request it came with."""

    actor_id: int
    key: str
    method: str
    path: str
    body: bytes

    @property
    def body_sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()


@dataclass(frozen=True, slots=True)
class Replay:
    status: int
    body: Any


def find_replay(session: Session, request: IdempotencyRequest, *, now: datetime) -> Replay | None:
    """The first response to this key, or None. The same key on another request → 422."""
    record = session.exec(
        select(IdempotencyRecord)
        .where(IdempotencyRecord.actor_id == request.actor_id)
        .where(IdempotencyRecord.key == request.key)
    ).first()
    if record is None or record.created_at < now - IDEMPOTENCY_TTL:
        return None
    if (record.method, record.path, record.body_sha256) != (
        request.method,
        request.path,
        request.body_sha256,
    ):
        raise IdempotencyKeyReused("This Idempotency-Key was used for a different request.")
    return Replay(status=record.status, body=json.loads(record.body) if record.body else None)


class UnitOfWork:
    """Usage::

    with UnitOfWork(engine, hub, clock, actor_id=me.id, request_id=rid) as uow:
        entry = ...  # change rows through uow.session
        uow.audit("timer.start", entry, after=...)
        uow.emit(TimeEntryStarted(...))
        uow.respond(201, body)  # stores the idempotency record, if a key was given
    uow.events  # published, numbered; uow.seq is the last one's seq
    """

    def __init__(
        self,
        engine: Engine,
        hub: EventHub,
        clock: Clock,
        *,
        actor_id: int | None,
        request_id: str | None = None,
        idempotency: IdempotencyRequest | None = None,
    ) -> None:
        self.engine = engine
        self.hub = hub
        self.clock = clock
        self.actor_id = actor_id
        self.request_id = request_id
        self.idempotency = idempotency
        self.now = clock.now()
        self.session = Session(engine, expire_on_commit=False)
        self._pending: list[DomainEvent] = []
        self.events: list[DomainEvent] = []
        self.seq: int | None = None
        # time.monotonic() just after the commit (the machine's clock, not the app's): where a
        # push's latency starts (SPEC §9; the API answers it for `workshub bench`)
        self.committed_at: float | None = None
        self._audit_rows: list[dict[str, Any]] = []
        self._writer = ExitStack()

    def __enter__(self) -> UnitOfWork:
        # In line behind this process's other writers first (SQLite), then the write lock.
        self._writer.enter_context(one_writer(self.engine))
        try:
            self.session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
        except BaseException:
            self.session.close()
            self._writer.close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc_type is not None:
                self.session.rollback()
                return
            try:
                self._write_audit()
                self.session.commit()
                self.committed_at = time.monotonic()
            except IntegrityError as error:
                self.session.rollback()
                if self.idempotency is not None and "idempotency" in str(error).lower():
                    # A concurrent twin with the same key committed first: the caller replays.
                    raise IdempotencyRace() from error
                raise
        finally:
            self.session.close()
            self._writer.close()  # the next writer may begin while we publish
        for event in self._pending:
            self.events.append(self.hub.publish(event))
        if self.events:
            self.seq = self.events[-1].seq

    def audit(
        self,
        action: str,
        entity: str,
        entity_id: int | None,
        *,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
    ) -> None:
        """An audit event, written with the rest of this transaction (one statement for all
        of them, just before the commit)."""
        self._audit_rows.append(
            {
                "actor_id": self.actor_id,
                "action": action,
                "entity": entity,
                "entity_id": entity_id,
                "before": _jsonable(before),
                "after": _jsonable(after),
                "at": self.now,
                "request_id": self.request_id,
            }
        )

    def _write_audit(self) -> None:
        # Core, not the ORM's unit of work: an audit row is never read back in the write that
        # made it, and an INSERT through the ORM's flush costs several times as much.
        if self._audit_rows:
            self.session.flush()
            self.session.execute(insert(_AUDIT_TABLE), self._audit_rows)
            self._audit_rows = []

    def emit(self, event: DomainEvent) -> None:
        """Queue a domain event; it is published after the commit, never before."""
        self._pending.append(event)

    def respond(self, status: int, body: Any) -> None:
        """Record a 2xx answer for the Idempotency-Key, in this same transaction."""
        if self.idempotency is None or not 200 <= status < 300:
            return
        self.session.add(
            IdempotencyRecord(
                actor_id=self.idempotency.actor_id,
                key=self.idempotency.key,
                method=self.idempotency.method,
                path=self.idempotency.path,
                body_sha256=self.idempotency.body_sha256,
                status=status,
                body=json.dumps(body, default=str) if body is not None else "",
                created_at=self.now,
            )
        )


class IdempotencyRace(Exception):
    """Two requests with one key raced; the loser should replay the winner's response."""


def _jsonable(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    return json.loads(json.dumps(value, default=str))


def claim_key(uow: UnitOfWork, request: IdempotencyRequest) -> IdempotencyRecord:
    """Claim the key before the work runs, in the same transaction (API and pages alike).

    A concurrent twin's claim waits on the unique index until this transaction ends, then
    replays its answer (or, if it failed, runs itself): twins never both reach the service,
    whose own constraints would otherwise answer the loser first. Complete the record with the
    answer at the end; a failed write rolls the claim back with everything else.
    """
    claim = IdempotencyRecord(
        actor_id=request.actor_id,
        key=request.key,
        method=request.method,
        path=request.path,
        body_sha256=request.body_sha256,
        status=0,
        body="",
        created_at=uow.now,
    )
    for _ in range(2):
        try:
            with uow.session.begin_nested():
                uow.session.add(claim)
            return claim
        except IntegrityError:
            if not _free_expired(uow, request):
                raise IdempotencyRace() from None
    raise IdempotencyRace()


def _free_expired(uow: UnitOfWork, request: IdempotencyRequest) -> bool:
    """A record past its 24 h still holds the key in the unique index: delete it."""
    expired = uow.session.exec(
        select(IdempotencyRecord)
        .where(IdempotencyRecord.actor_id == request.actor_id)
        .where(IdempotencyRecord.key == request.key)
        .where(col(IdempotencyRecord.created_at) < uow.now - IDEMPOTENCY_TTL)
    ).first()
    if expired is None:
        return False
    uow.session.delete(expired)
    uow.session.flush()
    return True
