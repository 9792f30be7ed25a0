"""A lean socket.io client for the load generator: Engine.IO 4 / Socket.IO 5 over one raw
WebSocket, parsed in an `asyncio.Protocol`.

Why not python-socketio's `AsyncClient`: on this 2-core machine it costs ~300 µs of the load
generator's CPU per received message (aiohttp's reader, a task per event, two decoders). 200
emulated dashboards then receive one push one after another over ~60 ms, and that queue, not
the server, set the "last dashboard" figure of both WorksHub and the floor. Real browsers each
have their own CPU. This client reads a message in ~20 µs, so the figure is the server's again.

It speaks what socket.io-client speaks for a page: the HTTP upgrade, the Engine.IO open
packet, CONNECT to the default namespace, EVENT packets both ways, and the answer to the
server's pings. No polling transport, no binary events, no acknowledgements, no namespaces.
"""

from __future__ import annotations

import asyncio
import base64
import os
import struct
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import orjson

__all__ = ["ConnectError", "SocketIO", "encode_frame", "open_socket"]

OnEvent = Callable[[float, str, Any], None]  # (received_at, event name, payload)

_TEXT, _BINARY, _CLOSE, _PING, _PONG, _CONTINUATION = 0x1, 0x2, 0x8, 0x9, 0xA, 0x0
_MAX_HEAD = 64 * 1024


class ConnectError(ConnectionError):
    """The server refused the upgrade or the socket.io CONNECT."""


def encode_frame(payload: bytes, opcode: int = _TEXT, *, mask: bytes | None = None) -> bytes:
    """One final client frame: masked, as RFC 6455 requires of a client."""
    mask = os.urandom(4) if mask is None else mask
    length = len(payload)
    if length < 126:
        head = struct.pack("!BB", 0x80 | opcode, 0x80 | length)
    elif length < 1 << 16:
        head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, length)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, length)
    repeated = (mask * (length // 4 + 1))[:length]
    masked = (int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")).to_bytes(
        length, "big"
    )
    return head + mask + masked


class SocketIO(asyncio.Protocol):
    """One connection. `on_event(received_at, name, payload)` runs for every EVENT packet, with
    `received_at` taken when its bytes reached the process; `on_close()` once the connection
    is gone, whoever closed it."""

    def __init__(self, request: bytes, on_event: OnEvent, on_close: Callable[[], None]) -> None:
        self.on_event, self.on_close = on_event, on_close
        self._request = request  # the HTTP upgrade, sent once connected
        self.transport: asyncio.Transport | None = None
        self.connected = False
        self._buffer = bytearray()
        self._upgraded = False
        self._fragments: list[bytes] = []
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.opened.add_done_callback(lambda f: f.cancelled() or f.exception())  # retrieved

    # the connection's life

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.write(self._request)

    def connection_lost(self, exc: Exception | None) -> None:
        was_open = self.connected
        self.connected = False
        self.transport = None
        if not self.opened.done():
            reason = f"connection closed during the handshake: {exc}"
            self.opened.set_exception(ConnectError(reason))
        if was_open:
            self.on_close()

    def data_received(self, data: bytes) -> None:
        received_at = time.monotonic()
        buffer = self._buffer
        buffer += data
        if not self._upgraded and not self._upgrade(buffer):
            return
        offset, end = 0, len(buffer)
        while end - offset >= 2:
            first, length = buffer[offset], buffer[offset + 1] & 0x7F
            start = offset + 2
            if length == 126:
                if end - start < 2:
                    break
                length = int.from_bytes(buffer[start : start + 2], "big")
                start += 2
            elif length == 127:
                if end - start < 8:
                    break
                length = int.from_bytes(buffer[start : start + 8], "big")
                start += 8
            if end - start < length:
                break
            offset = start + length
            self._frame(received_at, first, bytes(buffer[start:offset]))
        del buffer[:offset]

    # what the server sends

    def _upgrade(self, buffer: bytearray) -> bool:
        head_end = buffer.find(b"\r\n\r\n")
        if head_end < 0:
            if len(buffer) > _MAX_HEAD:
                self._fail("the upgrade answer has no end")
            return False
        status = bytes(buffer[: buffer.find(b"\r\n")]).decode("latin-1")
        if " 101 " not in f"{status} ":
            self._fail(f"the server refused the upgrade: {status}")
            return False
        del buffer[: head_end + 4]
        self._upgraded = True
        return True

    def _frame(self, received_at: float, first: int, payload: bytes) -> None:
        opcode, final = first & 0x0F, first & 0x80
        if opcode == _PING:
            self._send(payload, _PONG)
            return
        if opcode == _CLOSE:
            self._send(payload[:2], _CLOSE)
            if self.transport is not None:
                self.transport.close()
            return
        if opcode in (_TEXT, _BINARY, _CONTINUATION) and not final:
            self._fragments.append(payload)
            return
        if opcode == _CONTINUATION:
            payload = b"".join([*self._fragments, payload])
            self._fragments.clear()
        elif opcode != _TEXT:
            return  # pongs; binary socket.io attachments are not used by NiceGUI
        self._packet(received_at, payload)

    def _packet(self, received_at: float, packet: bytes) -> None:
        kind = packet[:1]
        if kind == b"4":  # an Engine.IO message: a socket.io packet
            self._socketio(received_at, packet[1:])
        elif kind == b"2":  # the server's ping
            self._send(b"3" + packet[1:])
        elif kind == b"0":  # Engine.IO open: join the default namespace
            self._send(b"40")
        elif kind == b"1":
            self.close()

    def _socketio(self, received_at: float, packet: bytes) -> None:
        kind, body = packet[:1], packet[1:].lstrip(b"0123456789")  # an ack id, never asked for
        if kind == b"2":
            event = orjson.loads(body)
            if isinstance(event, list) and event:
                self.on_event(received_at, event[0], event[1] if len(event) > 1 else None)
        elif kind == b"0":
            self.connected = True
            if not self.opened.done():
                self.opened.set_result(None)
        elif kind == b"4":
            self._fail(f"the server refused the socket.io CONNECT: {body.decode()}")
        elif kind == b"1":
            self.close()

    # what the client sends

    def emit(self, event: str, payload: Any) -> None:
        self._send(b"42" + orjson.dumps([event, payload]))

    def close(self) -> None:
        """Leave the namespace and close the connection (on_close follows)."""
        if self.transport is None or self.transport.is_closing():
            return
        if self.connected:
            self._send(b"41")
        self._send(struct.pack("!H", 1000), _CLOSE)
        self.transport.close()

    def _send(self, payload: bytes, opcode: int = _TEXT) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(encode_frame(payload, opcode))

    def _fail(self, reason: str) -> None:
        if not self.opened.done():
            self.opened.set_exception(ConnectError(reason))
        if self.transport is not None:
            self.transport.close()


async def open_socket(
    url: str,
    *,
    path: str,
    on_event: OnEvent,
    on_close: Callable[[], None],
    headers: dict[str, str] | None = None,
    timeout: float = 20.0,
) -> SocketIO:
    """Connect to `url` (`http://host:port?query`, the query passed on to the server) at the
    socket.io `path`, and return once the default namespace accepted the connection."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    query = f"{parts.query}&" if parts.query else ""
    target = f"{path.rstrip('/')}/?{query}EIO=4&transport=websocket"
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [
        f"GET {target} HTTP/1.1",
        f"Host: {host}:{port}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
        *(f"{name}: {value}" for name, value in (headers or {}).items()),
    ]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    protocol = SocketIO(request, on_event, on_close)
    loop = asyncio.get_running_loop()
    async with asyncio.timeout(timeout):
        await loop.create_connection(lambda: protocol, host, port)
        try:
            await asyncio.shield(protocol.opened)
        except BaseException:
            protocol.close()
            if protocol.transport is not None:
                protocol.transport.abort()
            raise
    return protocol
