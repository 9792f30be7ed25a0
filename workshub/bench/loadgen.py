"""Simulated dashboards, in a process of their own: N emulated browsers on one page, each
recording when the watched element reached it and what it showed.

`python -m workshub.bench.loadgen CONFIG.json` connects the clients, prints one JSON line
`{"ready": ...}` on stdout, waits for a line on stdin, writes its records to `config.out`,
prints `{"done": true}` and exits. In `floor` mode the clients connect to the plain socket.io
server instead of loading a page. All times are `time.monotonic()` (CLOCK_MONOTONIC, shared by
every process on the machine), so the orchestrator can compare them with its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx

from workshub.bench.browser import LoadedPage, PageSocket, element_by_testid, parse_page

__all__ = ["ClientRecord", "LoadConfig", "Watched", "main", "rows_of"]

Mode = Literal["nicegui", "floor"]
READY_TIMEOUT_S = 120.0


@dataclass
class LoadConfig:
    mode: Mode
    base_url: str
    clients: int
    out: str
    path: str = "/team"
    cookies: list[str] = field(default_factory=list)  # round-robin over the clients
    watch: str = "active-timers-list"  # data-testid of the element whose rows are recorded
    watch_id: str | None = None  # floor mode: the element id inside the replayed payloads
    watch_tag: str | None = None  # floor mode: its broadcast region tag ("<region> <key>")
    row_key: str = "entry_id"
    concurrency: int = 16
    capture_first: bool = True  # keep client 0's whole update payloads (the floor replays them)


@dataclass
class ClientRecord:
    """What one dashboard saw: (received_at, row keys) each time the watched element arrived."""

    states: list[tuple[float, list[Any]]] = field(default_factory=list)
    ready_at: float | None = None
    page_ms: float | None = None
    connect_ms: float | None = None
    messages: int = 0
    drops: list[float] = field(default_factory=list)  # when the server dropped the socket
    reconnects: int = 0
    error: str | None = None


def rows_of(element: dict[str, Any] | None, row_key: str) -> list[Any] | None:
    """The row keys an element shows, or None while it is loading (or not a table)."""
    if not element:
        return None
    props = element.get("props") or {}
    rows = props.get("rows")
    if props.get("loading") or not isinstance(rows, list):
        return None
    return [row.get(row_key) for row in rows if isinstance(row, dict)]


class Watched:
    """The watched element as the browser holds it: replaced by NiceGUI `update` messages,
    patched by WorksHub's `wh_live` broadcasts (as assets/workshub.js does)."""

    def __init__(self, element_id: str | None, element: dict[str, Any] | None = None) -> None:
        self.id = element_id
        self.element: dict[str, Any] = dict(element or {})

    @property
    def tag(self) -> str | None:
        return (self.element.get("props") or {}).get("data-wh-live")

    def take(self, message_type: str, payload: Any) -> bool:
        """Apply one message (a `wh_live` emit: a list of them); True if it changed the
        watched element."""
        if message_type == "update":
            if self.id is None or self.id not in payload:
                return False
            self.element = dict(payload[self.id] or {})
            return True
        if message_type != "wh_live" or not self.tag:
            return False
        changed = [self._patch(message) for message in payload]
        return any(changed)

    def _patch(self, payload: dict[str, Any]) -> bool:
        assert self.tag is not None
        name, _, key = self.tag.partition(" ")
        patch = (payload.get("p") or {}).get(name)
        props = dict(self.element.get("props") or {})
        if key != payload.get("k") or patch is None or props.get("data-wh-v", 0) >= payload["v"]:
            return False
        props.update(patch.get("props") or {})
        props["data-wh-v"] = payload["v"]
        self.element = {**self.element, "props": props}
        if "text" in patch:
            self.element["text"] = patch["text"]
        return True


class _Dashboard:
    def __init__(self, config: LoadConfig, index: int, http: httpx.AsyncClient | None) -> None:
        self.config, self.index, self.http = config, index, http
        self.record = ClientRecord()
        self.captured: list[tuple[float, str, dict[str, Any]]] = []
        self.socket: PageSocket | None = None
        self.watched = Watched(
            config.watch_id,
            {"props": {"data-wh-live": config.watch_tag}} if config.watch_tag else None,
        )
        self.ready = asyncio.Event()

    async def open(self) -> None:
        config, record = self.config, self.record
        cookie = config.cookies[self.index % len(config.cookies)] if config.cookies else None
        started = time.monotonic()
        try:
            if config.mode == "nicegui":
                assert self.http is not None
                headers = {"Cookie": cookie} if cookie else {}
                response = await self.http.get(config.path, headers=headers)
                response.raise_for_status()
                page = parse_page(response.text, url=str(response.url))
                record.page_ms = (time.monotonic() - started) * 1000
                watch_id = element_by_testid(page.elements, config.watch)
                if watch_id is None:
                    raise RuntimeError(f"{page.url} has no data-testid={config.watch}")
                self.watched = Watched(watch_id, page.elements.get(watch_id))
                self._state(time.monotonic())
                socket = PageSocket(page, config.base_url, cookie=cookie, on_message=self._on)
            else:
                page = LoadedPage(url=config.base_url, elements={}, query={}, bytes=0)
                socket = PageSocket(page, config.base_url, on_message=self._on)
                socket.socket_path = "/socket.io"
                self.ready.set()
            self.socket = socket
            connecting = time.monotonic()
            await socket.connect()
            record.connect_ms = (time.monotonic() - connecting) * 1000
        except Exception as exc:
            record.error = f"{type(exc).__name__}: {exc}"
            self.ready.set()

    @property
    def is_ready(self) -> bool:
        """Connected, and (for a page) showing the watched element's data."""
        if self.record.error is not None:
            return False
        return self.config.mode == "floor" or self.record.ready_at is not None

    def _on(self, received_at: float, message_type: str, payload: Any) -> None:
        if message_type not in ("update", "wh_live"):
            return
        if self.index == 0 and self.config.capture_first:
            self.captured.append((received_at, message_type, payload))
        if self.watched.take(message_type, payload):
            self._state(received_at)

    def _state(self, at: float) -> None:
        rows = rows_of(self.watched.element, self.config.row_key)
        if rows is None:
            return
        self.record.states.append((at, rows))
        if self.record.ready_at is None:
            self.record.ready_at = at
            self.ready.set()

    async def close(self) -> None:
        if self.socket is not None:
            self.count_up()
            await self.socket.close()

    def count_up(self) -> None:
        """Copy the socket's counters into the record."""
        if self.socket is not None:
            self.record.messages = self.socket.messages
            self.record.drops = list(self.socket.drops)
            self.record.reconnects = self.socket.reconnects


def _say(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


async def _bounded(limit: int, coroutines: list[Any]) -> None:
    gate = asyncio.Semaphore(limit)

    async def one(coroutine: Any) -> None:
        async with gate:
            await coroutine

    await asyncio.gather(*(one(c) for c in coroutines))


async def run(config: LoadConfig) -> None:
    limits = httpx.Limits(max_connections=config.concurrency)
    async with httpx.AsyncClient(base_url=config.base_url, timeout=60.0, limits=limits) as http:
        dashboards = [_Dashboard(config, i, http) for i in range(config.clients)]
        started = time.monotonic()
        await _bounded(config.concurrency, [d.open() for d in dashboards])
        connected_s = time.monotonic() - started
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(
                asyncio.gather(*(d.ready.wait() for d in dashboards)), READY_TIMEOUT_S
            )
        errors = [d.record.error for d in dashboards if d.record.error]
        ready = sum(1 for d in dashboards if d.is_ready)
        _say(
            {
                "ready": ready,
                "clients": config.clients,
                "errors": errors[:5],
                "error_count": len(errors),
                "connect_s": round(connected_s, 3),
                "watch_id": dashboards[0].watched.id if dashboards else None,
            }
        )
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        for dashboard in dashboards:  # counts and drops before our own disconnects
            dashboard.count_up()
        result = {
            "clients": [asdict(d.record) for d in dashboards],
            "captured": dashboards[0].captured if dashboards else [],
            "watch_id": dashboards[0].watched.id if dashboards else None,
            "watch_tag": dashboards[0].watched.tag if dashboards else None,
        }
        Path(config.out).write_text(json.dumps(result))
        await _bounded(config.concurrency, [d.close() for d in dashboards])
    _say({"done": True})


def main() -> None:
    config = LoadConfig(**json.loads(Path(sys.argv[1]).read_text()))
    asyncio.run(run(config))


if __name__ == "__main__":
    main()
