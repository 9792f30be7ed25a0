"""A NiceGUI page as a browser holds it, without the browser: GET the page, read its elements
and socket query out of the HTML, connect a socket.io client (workshub.bench.wire) with that
query (NiceGUI's implicit handshake), track message ids and ack them every 3 s as nicegui.js
does.

The page GET and the socket use separate connections, like a browser: a socket that reuses the
GET's connection is closed by the server after a few seconds.
"""

from __future__ import annotations

import ast
import asyncio
import json
import random
import re
import time
import uuid
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx

from workshub.bench.wire import SocketIO, open_socket

__all__ = [
    "LoadedPage",
    "PageSocket",
    "element_by_testid",
    "load_page",
    "parse_page",
]

SOCKET_PATH = "/_nicegui_ws/socket.io"
ACK_INTERVAL_S = 3.0  # nicegui.js: setInterval(ack, 3000)
RECONNECT_DELAY_S = 1.0  # socket.io-client's reconnectionDelay (randomised ± 50 %)
RECONNECT_ATTEMPTS = 30
_ELEMENTS = re.compile(r"parseElements\(String\.raw`(.*?)`\)", re.S)
_QUERY = re.compile(r"^\s*query: (\{.*\}),\s*$", re.M)
_UNESCAPE = (("&#36;", "$"), ("&#96;", "`"), ("&gt;", ">"), ("&lt;", "<"), ("&amp;", "&"))

OnMessage = Callable[[float, str, Any], None]  # a NiceGUI message (dict) or a wh_live list


@dataclass(frozen=True)
class LoadedPage:
    """A page as served: its elements by id and the query its socket must connect with."""

    url: str
    elements: dict[str, dict[str, Any]]
    query: dict[str, Any]
    bytes: int

    @property
    def client_id(self) -> str:
        return str(self.query.get("client_id", ""))


def parse_page(html: str, *, url: str = "") -> LoadedPage:
    """The elements and socket query NiceGUI's index.html hands to `createApp`."""
    elements_match, query_match = _ELEMENTS.search(html), _QUERY.search(html)
    if elements_match is None or query_match is None:
        raise ValueError(f"{url or 'the page'} is not a NiceGUI page")
    raw = elements_match.group(1)
    for escaped, plain in _UNESCAPE:  # the same order as nicegui.js's parseElements
        raw = raw.replace(escaped, plain)
    query = ast.literal_eval(query_match.group(1))  # rendered from a Python dict
    return LoadedPage(url=url, elements=json.loads(raw), query=query, bytes=len(html))


def element_by_testid(elements: Mapping[str, Mapping[str, Any]], test_id: str) -> str | None:
    """The id of the element carrying `data-testid=test_id`, if any."""
    for element_id, element in elements.items():
        if (element.get("props") or {}).get("data-testid") == test_id:
            return element_id
    return None


async def load_page(http: httpx.AsyncClient, url: str) -> LoadedPage:
    """GET a page (following redirects, e.g. / → the role's home) and parse it."""
    response = await http.get(url, follow_redirects=True)
    response.raise_for_status()
    return parse_page(response.text, url=str(response.url))


@dataclass(eq=False)
class PageSocket:
    """The socket.io side of one loaded page. `on_message(received_at, type, payload)` runs for
    every message, with `received_at` from `time.monotonic()` taken before anything else.

    Like socket.io-client in nicegui.js, a dropped connection is retried (1 s ± 50 %) with the
    same document and tab ids and the next message id expected, so NiceGUI replays what was
    missed; `drops` and `reconnects` count what happened.
    """

    page: LoadedPage
    base_url: str
    cookie: str | None = None
    on_message: OnMessage | None = None
    socket_path: str = SOCKET_PATH
    next_message_id: int = 0
    messages: int = 0
    drops: list[float] = field(default_factory=list)  # monotonic times of unasked disconnects
    reconnects: int = 0
    _acked: int = -1
    _closing: bool = False
    _sio: SocketIO | None = None
    _ids: dict[str, str] = field(default_factory=dict)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _waiters: dict[str, asyncio.Future[dict[str, Any]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.next_message_id = int(self.page.query.get("next_message_id", 0))
        self._ids = {"document_id": str(uuid.uuid4()), "tab_id": str(uuid.uuid4())}

    @property
    def connected(self) -> bool:
        return self._sio is not None and bool(self._sio.connected)

    def _url(self) -> str:
        if "client_id" not in self.page.query:
            return self.base_url  # not a NiceGUI page: a plain socket.io server
        query = {
            **self.page.query,
            **self._ids,
            "implicit_handshake": "true" if self.page.query.get("implicit_handshake") else "",
            "next_message_id": str(self.next_message_id),
        }
        query = {name: value for name, value in query.items() if value not in ("", None)}
        return f"{self.base_url}?{urlencode(query)}"

    async def connect(self, *, timeout: float = 20.0) -> None:
        """Connect with the page's query: NiceGUI accepts it as the (implicit) handshake."""
        headers = {"Cookie": self.cookie} if self.cookie else {}
        self._sio = await open_socket(
            self._url(),
            path=self.socket_path,
            on_event=self._received,
            on_close=self._dropped,
            headers=headers,
            timeout=timeout,
        )
        if not self._tasks:
            self._spawn(self._ack_loop())

    async def event(self, element_id: str, event_type: str, *args: Any) -> None:
        """What nicegui.js emits when a listener of `element_id` fires (args JSON-encoded)."""
        assert self._sio is not None
        element = self.page.elements[element_id]
        listener = next(e for e in element.get("events", []) if e["type"] == event_type)
        self._sio.emit(
            "event",
            {
                "id": int(element_id),
                "client_id": self.page.client_id,
                "listener_id": listener["listener_id"],
                "args": [json.dumps(arg) for arg in args],
            },
        )

    async def wait_for(self, message_type: str, *, timeout: float) -> dict[str, Any]:
        """The next message of `message_type` (e.g. "open" after `ui.navigate.to`)."""
        future = asyncio.get_running_loop().create_future()
        self._waiters[message_type] = future
        try:
            return await asyncio.wait_for(future, timeout)
        finally:
            self._waiters.pop(message_type, None)

    async def close(self) -> None:
        self._closing = True
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._sio is not None:
            self._sio.close()

    def _received(self, received_at: float, message_type: str, payload: Any) -> None:
        self.messages += 1
        if isinstance(payload, dict):
            message_id = payload.pop("_id", None)
            if isinstance(message_id, int):
                if message_id < self.next_message_id:
                    return  # a replay the browser would skip too
                self.next_message_id = message_id + 1
        if isinstance(payload, dict | list) and self.on_message is not None:
            self.on_message(received_at, message_type, payload)
        if isinstance(payload, dict):
            waiter = self._waiters.get(message_type)
            if waiter is not None and not waiter.done():
                waiter.set_result(payload)

    def _dropped(self) -> None:
        if self._closing:
            return
        self.drops.append(time.monotonic())
        self._spawn(self._reconnect())

    async def _reconnect(self) -> None:
        for _attempt in range(RECONNECT_ATTEMPTS):
            await asyncio.sleep(RECONNECT_DELAY_S * random.uniform(0.5, 1.5))
            try:
                await self.connect()
            except OSError:  # a refused or timed-out connect (ConnectError, TimeoutError)
                continue
            self.reconnects += 1
            return

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _ack_loop(self) -> None:
        while True:
            await asyncio.sleep(ACK_INTERVAL_S)
            if self._acked >= self.next_message_id or not self.connected:
                continue
            assert self._sio is not None
            self._sio.emit(
                "ack",
                {"client_id": self.page.client_id, "next_message_id": self.next_message_id},
            )
            self._acked = self.next_message_id
