"""Timer writes through the REST API, timed from just before the request leaves to the answer
(sent over `rawhttp.Connections`: httpx costs more than the server's answer, see there).

Times are `time.monotonic()` (comparable with the load generator's) and, for the Chromium
cross-check, `time.time()` at the send.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from workshub.bench.cast import Writer
from workshub.bench.rawhttp import Connections
from workshub.http_headers import COMMITTED_HEADER, SEQ_HEADER

__all__ = ["Action", "WriteResult", "project_for", "stop_all", "timer_write"]

Action = Literal["start", "stop"]


@dataclass(frozen=True)
class WriteResult:
    user_id: int
    action: Action
    status: int
    sent_at: float  # monotonic, just before the request was sent
    answered_at: float  # monotonic, when the whole answer was read
    sent_wall: float  # time.time() at the send, for the browser's clock
    entry_id: int | None  # the started (or stopped) entry
    seq: int | None  # the hub's seq of the write (X-WorksHub-Seq)
    committed_at: float | None = None  # monotonic, the server's commit (X-WorksHub-Committed)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def request_ms(self) -> float:
        return (self.answered_at - self.sent_at) * 1000


def _auth(writer: Writer) -> dict[str, str]:
    return {"Authorization": f"Bearer {writer.token}"}


async def timer_write(
    http: Connections, writer: Writer, action: Action, *, project_id: int
) -> WriteResult:
    """One start (a switch if a timer runs) or stop of `writer`'s timer."""
    body = {"project_id": project_id} if action == "start" else None
    sent_wall = time.time()
    sent_at = time.monotonic()
    try:
        answer = await http.post(f"/api/v1/timer/{action}", json_body=body, headers=_auth(writer))
    except (OSError, asyncio.IncompleteReadError, ValueError):
        return WriteResult(
            writer.user_id, action, 0, sent_at, time.monotonic(), sent_wall, None, None
        )
    answered_at = time.monotonic()
    entry_id = seq = committed_at = None
    if 200 <= answer.status < 300:
        entry_id = answer.json().get("id")
        seq_text = answer.headers.get(SEQ_HEADER.lower())
        seq = int(seq_text) if seq_text and seq_text.isdigit() else None
        committed_at = _seconds(answer.headers.get(COMMITTED_HEADER.lower()))
    return WriteResult(
        writer.user_id,
        action,
        answer.status,
        sent_at,
        answered_at,
        sent_wall,
        entry_id,
        seq,
        committed_at,
    )


def _seconds(text: str | None) -> float | None:
    try:
        return float(text) if text else None
    except ValueError:
        return None


async def project_for(http: Connections, writer: Writer) -> int:
    """A project `writer` may track time on (the first their picker offers)."""
    answer = await http.get("/api/v1/projects", headers=_auth(writer))
    if answer.status != 200:
        raise RuntimeError(f"GET /api/v1/projects answered {answer.status}: {answer.body[:200]!r}")
    projects = answer.json()["projects"]
    if not projects:
        raise RuntimeError(f"{writer.name} may track time on no project")
    return int(projects[0]["id"])


async def stop_all(http: Connections, writers: Sequence[Writer]) -> int:
    """Stop every writer's running timer, so a start shows as a new row; returns how many ran."""
    answers = await asyncio.gather(
        *(http.post("/api/v1/timer/stop", headers=_auth(w)) for w in writers)
    )
    for answer in answers:
        if answer.status not in (200, 409):
            raise RuntimeError(f"stopping a timer answered {answer.status}: {answer.body[:200]!r}")
    return sum(1 for a in answers if a.status == 200)
