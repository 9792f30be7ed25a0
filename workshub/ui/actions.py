"""Writes from pages: each runs a domain service in a UnitOfWork off the event loop, with a
request id (also its Idempotency-Key), and answers with the result or a reason to show."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from nicegui import run
from sqlmodel import Session

from workshub.app import System
from workshub.domain.errors import DomainError
from workshub.domain.scope import Viewer
from workshub.domain.uow import UnitOfWork

__all__ = ["Outcome", "read", "write"]

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class Outcome(Generic[T]):
    value: T | None = None
    error: str | None = None
    fields: dict[str, str] | None = None
    seq: int | None = None
    request_id: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None


def _run_write(
    system: System, viewer: Viewer, request_id: str, work: Callable[[UnitOfWork], T]
) -> Outcome[T]:
    try:
        with UnitOfWork(
            system.engine, system.hub, system.clock, actor_id=viewer.id, request_id=request_id
        ) as uow:
            value = work(uow)
        return Outcome(value=value, seq=uow.seq, request_id=request_id)
    except DomainError as exc:
        return Outcome(error=exc.message, fields=exc.fields, request_id=request_id)
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
) -> Outcome[T]:
    """Run `work(uow)` in one transaction off the loop. Never raises for domain errors."""
    rid = request_id or uuid.uuid4().hex
    outcome = await run.io_bound(_run_write, system, viewer, rid, work)
    if outcome is None:  # io_bound returns None only while the app shuts down
        return Outcome(error="WorksHub is shutting down.", request_id=rid)
    return outcome


def _run_read(system: System, work: Callable[[Session], T]) -> T:
    with Session(system.engine) as session:
        return work(session)


async def read(system: System, work: Callable[[Session], T]) -> T | None:
    """A reference read (a picker's options, an admin list) off the loop."""
    return await run.io_bound(_run_read, system, work)
