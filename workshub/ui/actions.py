"""Writes from pages: each runs a domain service in a UnitOfWork off the event loop, with a
request id that is also its Idempotency-Key, and answers with the result or a reason to show.

`edit` is the optimistic flow of SPEC §1 and §10: the change shows at once on the editing view
(marked pending), the write runs in the background, and the view is then confirmed or rolled
back. A request id names one intent — a dialog's Save, a row's delete — so a double click or a
resend after a reconnect replays the first answer and never writes twice.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from nicegui import run
from sqlmodel import Session

from workshub.app import System
from workshub.domain.errors import DomainError
from workshub.domain.events import OptimisticUpdate, UpdateConfirmed
from workshub.domain.scope import Viewer, load_viewer
from workshub.domain.uow import (
    IdempotencyRace,
    IdempotencyRequest,
    UnitOfWork,
    claim_key,
    find_replay,
)
from workshub.ui.optimistic import Op

__all__ = [
    "PERSIST_HOOK",
    "EditTarget",
    "Outcome",
    "PendingEdit",
    "edit",
    "new_request_id",
    "read",
    "recheck",
    "write",
]

log = logging.getLogger(__name__)
T = TypeVar("T")

# `System.extras` key of a test seam: a callable(request_id) run in the worker thread before
# each page write (block it to hold a write pending, raise to make it fail).
PERSIST_HOOK = "ui.persist_hook"
UI_METHOD = "UI"  # the idempotency record's method for page writes (the API's are HTTP verbs)


@dataclass(frozen=True)
class Outcome(Generic[T]):
    value: T | None = None
    error: str | None = None
    fields: dict[str, str] | None = None
    seq: int | None = None
    request_id: str = ""
    code: str | None = None  # the API's error code (version_conflict, validation_failed, ...)
    current: dict[str, Any] | None = None  # on a conflict: the row as it is now
    replayed: bool = False  # the same request id had already written: nothing was done again

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def conflict(self) -> bool:
        return self.code == "version_conflict"


def new_request_id() -> str:
    return uuid.uuid4().hex


def _idempotency(
    viewer: Viewer, request_id: str, action: str, args: Mapping[str, Any] | None
) -> IdempotencyRequest:
    body = json.dumps(dict(args or {}), sort_keys=True, default=str).encode()
    return IdempotencyRequest(
        actor_id=viewer.id, key=request_id, method=UI_METHOD, path=action[:300], body=body
    )


def _before_persist(system: System, request_id: str) -> None:
    delay_ms = system.settings.test_persist_delay_ms
    if delay_ms > 0:
        time.sleep(delay_ms / 1000)
    hook = system.extras.get(PERSIST_HOOK)
    if callable(hook):
        hook(request_id)


def _replayed(system: System, request_id: str) -> Outcome[Any]:
    # The first write committed before this twin looked, so the hub's seq now covers it.
    return Outcome(seq=system.hub.seq, request_id=request_id, replayed=True)


def _run_write(
    system: System,
    viewer: Viewer,
    request_id: str,
    work: Callable[[UnitOfWork], T],
    *,
    action: str,
    args: Mapping[str, Any] | None,
) -> Outcome[T]:
    request = _idempotency(viewer, request_id, action, args)
    try:
        _before_persist(system, request_id)
        with UnitOfWork(
            system.engine,
            system.hub,
            system.clock,
            actor_id=viewer.id,
            request_id=request_id,
            idempotency=request,
        ) as uow:
            if find_replay(uow.session, request, now=uow.now) is not None:
                return _replayed(system, request_id)
            claim = claim_key(uow, request)
            value = work(uow)
            claim.status = 200  # the record marks the key used; a page keeps no answer body
            uow.session.add(claim)
        return Outcome(value=value, seq=uow.seq, request_id=request_id)
    except IdempotencyRace:
        with Session(system.engine) as session:
            replay = find_replay(session, request, now=system.clock.now())
        if replay is not None:
            return _replayed(system, request_id)
        return Outcome(
            error="The same change was sent twice at once; please try again.",
            code="version_conflict",
            request_id=request_id,
        )
    except DomainError as exc:
        return Outcome(
            error=exc.message,
            fields=exc.fields,
            code=exc.code,
            current=getattr(exc, "current", None),
            request_id=request_id,
        )
    except Exception:
        log.exception("write %s failed", request_id)
        return Outcome(
            error="Something went wrong on the server; nothing was saved.", request_id=request_id
        )


async def write(
    system: System,
    viewer: Viewer,
    work: Callable[[UnitOfWork], T],
    *,
    request_id: str | None = None,
    action: str = "ui",
    args: Mapping[str, Any] | None = None,
) -> Outcome[T]:
    """Run `work(uow)` in one transaction off the loop. Never raises for domain errors.

    `request_id` is the Idempotency-Key: a second call with the same id, action and args
    changes nothing and answers `replayed`; with other action or args it is refused.
    """
    rid = request_id or new_request_id()
    outcome = await run.io_bound(_run_write, system, viewer, rid, work, action=action, args=args)
    if outcome is None:  # io_bound returns None only while the app shuts down
        return Outcome(error="WorksHub is shutting down.", request_id=rid)
    return outcome


class EditTarget(Protocol):
    """A view that shows edits before they are saved (`live.LiveDashboard`, `live.LocalView`)."""

    data_type: str

    def on_edit(self, event: OptimisticUpdate | UpdateConfirmed) -> None: ...

    def conflicted(self) -> None: ...


class PendingEdit:
    """One edit, shown on `target` from construction on; `commit` writes it and confirms or
    rolls it back, `cancel` rolls it back without writing (an undone delete)."""

    def __init__(
        self,
        system: System,
        target: EditTarget,
        ops: Sequence[Op],
        *,
        action: str,
        request_id: str | None = None,
    ) -> None:
        self.system = system
        self.target = target
        self.action = action
        self.request_id = request_id or new_request_id()
        self.done = False
        data = {"action": action, "ops": tuple(ops)}
        system.store.optimistic_update(
            target.data_type, data, self.request_id, listener=target.on_edit
        )

    async def commit(
        self,
        viewer: Viewer,
        work: Callable[[UnitOfWork], T],
        *,
        args: Mapping[str, Any] | None = None,
    ) -> Outcome[T]:
        outcome: Outcome[T] = Outcome(error="The change was interrupted.", code="interrupted")
        try:
            outcome = await write(
                self.system,
                viewer,
                work,
                request_id=self.request_id,
                action=self.action,
                args=args,
            )
        finally:
            self._finish(success=outcome.ok, error=outcome.error, seq=outcome.seq)
        if outcome.conflict:
            self.target.conflicted()
        return outcome

    def cancel(self) -> None:
        self._finish(success=False, error=None, seq=None)

    def _finish(self, *, success: bool, error: str | None, seq: int | None) -> None:
        if not self.done:
            self.done = True
            self.system.store.update_confirmed(
                self.request_id, success=success, error=error, seq=seq
            )


async def edit(
    system: System,
    viewer: Viewer,
    target: EditTarget,
    ops: Sequence[Op],
    work: Callable[[UnitOfWork], T],
    *,
    action: str,
    args: Mapping[str, Any] | None = None,
    request_id: str | None = None,
) -> Outcome[T]:
    """Show `ops` on `target` at once (pending), write `work` off the loop, then confirm (the
    authoritative data replaces the overlay) or roll back (the caller shows `outcome.error`).
    On a version conflict the target re-reads, so its author sees the current value."""
    pending = PendingEdit(system, target, ops, action=action, request_id=request_id)
    return await pending.commit(viewer, work, args=args)


def _run_read(system: System, work: Callable[[Session], T]) -> T:
    with Session(system.engine) as session:
        return work(session)


async def read(system: System, work: Callable[[Session], T]) -> T | None:
    """A reference read (a picker's options, an admin list) off the loop."""
    return await run.io_bound(_run_read, system, work)


async def recheck(system: System, viewer: Viewer) -> Viewer | None:
    """The same person again, still active and signed in with the same session — for a write
    that runs later than its click (a delete after its undo window), when no request is left
    to read the session from."""
    return await read(
        system, lambda s: load_viewer(s, viewer.id, session_version=viewer.session_version)
    )
