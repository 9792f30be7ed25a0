"""The load generator's socket.io client against a real python-socketio server (the bench's
floor, served by uvicorn with wsproto as NiceGUI is): it joins, receives every event whole
(including frames with 16- and 64-bit lengths), answers pings, emits, and reports a drop."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import socketio
import uvicorn
import wsproto
import wsproto.events
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from workshub.bench.floor import build_app
from workshub.bench.wire import ConnectError, encode_frame, open_socket

Received = list[tuple[float, str, Any]]


@asynccontextmanager
async def serving(app: Any) -> AsyncIterator[tuple[str, uvicorn.Server]]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, ws="wsproto", log_level="error")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}", server
    finally:
        server.should_exit = True
        await task


async def until(condition: Any, timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


async def connect(url: str, received: Received, closed: list[bool] | None = None) -> Any:
    return await open_socket(
        url,
        path="/socket.io",
        on_event=lambda at, name, payload: received.append((at, name, payload)),
        on_close=lambda: closed.append(True) if closed is not None else None,
        timeout=5.0,
    )


async def test_every_client_receives_each_broadcast_whole() -> None:
    small = {"id": 1, "text": "ok"}
    medium = {"rows": ["x" * 100] * 10}  # > 125 bytes: a 16-bit length
    large = {"rows": ["y" * 1000] * 100}  # > 65,535 bytes: a 64-bit length
    async with serving(build_app()) as (url, _):
        inboxes: list[Received] = [[], []]
        clients = [await connect(url, inbox) for inbox in inboxes]
        assert all(client.connected for client in clients)
        messages = [["update", small], ["wh_live", [medium]], ["update", large]]
        async with httpx.AsyncClient(base_url=url) as http:
            answer = await http.post("/broadcast", json={"messages": messages})
            assert answer.status_code == 204
        await until(lambda: all(len(inbox) == 3 for inbox in inboxes))
        for inbox in inboxes:
            assert [(name, payload) for _, name, payload in inbox] == [
                ("update", small),
                ("wh_live", [medium]),
                ("update", large),
            ]
            assert inbox[0][0] <= inbox[1][0] <= inbox[2][0]
        for client in clients:
            client.close()


async def test_it_emits_answers_pings_and_reports_the_server_closing() -> None:
    sio = socketio.AsyncServer(async_mode="asgi", ping_interval=0.2, ping_timeout=0.5)
    heard: list[Any] = []

    @sio.on("event")
    async def event(sid: str, data: Any) -> None:
        heard.append(data)
        await sio.emit("echo", data, to=sid)

    async def kick(_: Request) -> Response:
        for sid in list(sio.manager.get_participants("/", None)):
            await sio.disconnect(sid[0])
        return Response(status_code=204)

    app = socketio.ASGIApp(sio, Starlette(routes=[Route("/kick", kick, methods=["POST"])]))
    async with serving(app) as (url, _):
        received: Received = []
        closed: list[bool] = []
        client = await connect(url, received, closed)
        client.emit("event", {"n": 1})
        await until(lambda: received)
        assert heard == [{"n": 1}]
        assert received[0][1:] == ("echo", {"n": 1})
        await asyncio.sleep(1.5)  # three ping intervals: an unanswered ping would drop us
        assert client.connected and not closed
        async with httpx.AsyncClient(base_url=url) as http:
            await http.post("/kick")
        await until(lambda: closed)
        assert not client.connected


async def test_a_refused_connect_is_an_error() -> None:
    sio = socketio.AsyncServer(async_mode="asgi")

    @sio.on("connect")
    async def refuse(*_: Any) -> bool:
        return False

    async with serving(socketio.ASGIApp(sio)) as (url, _):
        with pytest.raises(ConnectError, match="CONNECT"):
            await connect(url, [])
        with pytest.raises(ConnectError, match="upgrade"):
            await open_socket(url, path="/nowhere", on_event=lambda *_: None, on_close=lambda: None)


def test_client_frames_are_masked_as_a_server_reads_them() -> None:
    server = wsproto.WSConnection(wsproto.ConnectionType.SERVER)
    server.receive_data(
        b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    request = next(server.events())
    server.send(wsproto.events.AcceptConnection())
    assert isinstance(request, wsproto.events.Request)
    sizes = [0, 3, 125, 126, 65_535, 65_536]
    for size in sizes:
        server.receive_data(encode_frame(b"a" * size))
    texts = [event.data for event in server.events()]
    assert [len(text) for text in texts] == sizes and all(set(t) <= {"a"} for t in texts)
