"""A lean HTTP/1.1 client for the bench's timer writes: a fixed pool of kept-alive connections,
one request at a time on each.

httpx costs the writer far more than the server spends answering: with a few hundred requests
waiting, httpcore's pool re-scans every connection for every request (measured: the bench
process at 80 % of a core while it sent 60 writes/s, 98 % of it in httpcore), so the writer,
not the server, set the rate. Here a request that finds every connection busy waits for one —
in the open loop that wait counts, since latency runs from the request's scheduled time.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

__all__ = ["Answer", "Connections"]


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class _Connection:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, head: bytes, body: bytes) -> Answer:
        """Send one request. A kept-alive connection the server closed before answering a byte
        (its idle timeout) is reopened and the request sent again, as browsers do."""
        while True:
            reused = self.writer is not None
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            assert self.reader is not None
            try:
                self.writer.write(head + body)
                return await self._answer(self.reader)
            except (ConnectionError, asyncio.IncompleteReadError) as error:
                self.close()
                unanswered = not isinstance(error, asyncio.IncompleteReadError) or not error.partial
                if not (reused and unanswered):
                    raise

    async def _answer(self, reader: asyncio.StreamReader) -> Answer:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        if headers.get("transfer-encoding", "").lower() == "chunked":
            body = await self._chunked(reader)
        else:
            body = await reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection", "").lower() == "close":
            self.close()
        return Answer(status, headers, body)

    @staticmethod
    async def _chunked(reader: asyncio.StreamReader) -> bytes:
        parts: list[bytes] = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                return b"".join(parts)
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


class Connections:
    """`size` kept-alive connections to `base_url` (http only)."""

    def __init__(self, base_url: str, *, size: int = 32) -> None:
        parts = urlsplit(base_url)
        if parts.scheme != "http" or parts.hostname is None:
            raise ValueError(f"an http:// address is needed, not {base_url!r}")
        self.host = parts.hostname
        self.port = parts.port or 80
        self._idle: asyncio.Queue[_Connection] = asyncio.Queue()
        self._all = [_Connection(self.host, self.port) for _ in range(size)]
        for connection in self._all:
            self._idle.put_nowait(connection)

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[_Connection]:
        connection = await self._idle.get()
        try:
            yield connection
        except BaseException:
            connection.close()  # a half-read answer would poison its next request
            raise
        finally:
            self._idle.put_nowait(connection)

    async def get(self, path: str, *, headers: Mapping[str, str] | None = None) -> Answer:
        return await self.request("GET", path, headers=headers)

    async def post(
        self, path: str, *, json_body: Any = None, headers: Mapping[str, str] | None = None
    ) -> Answer:
        return await self.request("POST", path, json_body=json_body, headers=headers)

    async def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Answer:
        head, body = self._message(method, path, json_body=json_body, headers=headers)
        async with self._connection() as connection:
            return await connection.request(head, body)

    async def open_all(self, path: str) -> None:
        """One GET of `path` on every connection at once, so a measured phase does not begin
        by reopening the connections the server closed while they sat idle."""
        head, body = self._message("GET", path)
        held = [await self._idle.get() for _ in self._all]
        try:
            await asyncio.gather(*(connection.request(head, body) for connection in held))
        finally:
            for connection in held:
                self._idle.put_nowait(connection)

    def _message(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[bytes, bytes]:
        body = b"" if json_body is None else json.dumps(json_body).encode()
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        if json_body is not None:
            lines.append("Content-Type: application/json")
        lines.append(f"Content-Length: {len(body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"), body

    async def aclose(self) -> None:
        for connection in self._all:
            connection.close()

    async def __aenter__(self) -> Connections:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
