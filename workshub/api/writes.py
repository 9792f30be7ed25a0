"""Idempotent writes: one request = one UnitOfWork, whose transaction also stores the answer
for its `Idempotency-Key` (SPEC §3 IdempotencyRecord, §6).

A repeat with the same key returns the first answer and changes nothing; the same key on a
different request is a 422. Only 2xx answers are kept: a failed write rolls its record back.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Annotated, Any

from fastapi import Depends, Header, Request, Response
from fastapi.responses import JSONResponse
from sqlmodel import Session

from workshub.api.deps import CallerDep, SystemDep
from workshub.api.errors import request_id_of
from workshub.app import System
from workshub.domain.errors import VersionConflict
from workshub.domain.scope import Viewer
from workshub.domain.uow import (
    IdempotencyRace,
    IdempotencyRequest,
    Replay,
    UnitOfWork,
    claim_key,
    find_replay,
)
from workshub.http_headers import COMMITTED_HEADER, REPLAYED_HEADER, SEQ_HEADER

__all__ = [
    "COMMITTED_HEADER",
    "REPLAYED_HEADER",
    "SEQ_HEADER",
    "WriteContext",
    "WriteDep",
    "perform",
]


@dataclass(frozen=True, slots=True)
class WriteContext:
    system: System
    viewer: Viewer
    token: str | None
    request_id: str
    idempotency: IdempotencyRequest | None

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(
            self.system.engine,
            self.system.hub,
            self.system.clock,
            actor_id=self.viewer.id,
            request_id=self.request_id,
            idempotency=self.idempotency,
        )


async def _raw_body(request: Request) -> bytes:
    return await request.body()


async def write_context(
    request: Request,
    system: SystemDep,
    caller: CallerDep,
    body: Annotated[bytes, Depends(_raw_body)],
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=200,
            pattern=r"^[\x21-\x7e]+$",
            description="Repeat a write safely: the same key returns the first answer.",
        ),
    ] = None,
) -> WriteContext:
    idempotency = None
    if idempotency_key is not None:
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        idempotency = IdempotencyRequest(
            actor_id=caller.viewer.id,
            key=idempotency_key,
            method=request.method,
            path=path[:300],
            body=body,
        )
    return WriteContext(
        system=system,
        viewer=caller.viewer,
        token=caller.token,
        request_id=request_id_of(request),
        idempotency=idempotency,
    )


WriteDep = Annotated[WriteContext, Depends(write_context)]


def _respond(status: int, body: Any, headers: dict[str, str]) -> Response:
    if status == 204 or body is None:
        return Response(status_code=status, headers=headers)
    return JSONResponse(body, status_code=status, headers=headers)


def _replayed(replay: Replay) -> Response:
    return _respond(replay.status, replay.body, {REPLAYED_HEADER: "true"})


def perform(
    ctx: WriteContext,
    work: Callable[[UnitOfWork], Any],
    *,
    status: int = 200,
    secret: bool = False,
) -> Response:
    """Run `work(uow)` in one transaction and answer `status` with the body it returns.

    A `secret` answer (a new password) is never stored, so its route is not idempotent.
    """
    if secret:
        ctx = replace(ctx, idempotency=None)
    try:
        with ctx.unit_of_work() as uow:
            claim = None
            if ctx.idempotency is not None:
                replay = find_replay(uow.session, ctx.idempotency, now=uow.now)
                if replay is not None:
                    return _replayed(replay)
                claim = claim_key(uow, ctx.idempotency)
            body = work(uow)
            if claim is not None:
                claim.status = status
                claim.body = json.dumps(body, default=str) if body is not None else ""
                uow.session.add(claim)
    except IdempotencyRace:
        assert ctx.idempotency is not None
        with Session(ctx.system.engine) as session:
            replay = find_replay(session, ctx.idempotency, now=ctx.system.clock.now())
        if replay is None:  # the twin failed after all: the caller may simply retry
            raise VersionConflict("A request with this Idempotency-Key raced; retry.") from None
        return _replayed(replay)
    headers = {SEQ_HEADER: str(uow.seq)} if uow.seq is not None else {}
    if uow.committed_at is not None:
        headers[COMMITTED_HEADER] = f"{uow.committed_at:.6f}"
    return _respond(status, body, headers)
